"""Taking a ticket at the kiosk, as plain async Python the screens call (tested without a window).

The flow: ask the server for a ticket under a request id; on a network failure, ask again under
the same id, so a retry never yields a second ticket. Then print it, if the printer can print.
The ticket is valid either way: the screen always shows the number and its QR code.
If the printer cannot print, the kiosk tells the server (staff see it) and says so on screen.
The next successful check or print clears the report.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from hardware.printer import PrinterError, TicketPrinter
from hardware.printer_status import PrinterState, PrinterStatus
from queue_server.client import HallClient, ServerUnavailable, ticket_content

from . import strings

PRINTER = "printer"  # the component name under which the kiosk reports its printer


@dataclass(frozen=True)
class TicketOutcome:
    ticket: dict[str, Any]
    status_url: str
    printed: bool
    printer_state: PrinterState
    printer_message: str | None  # what to tell the visitor when it was not printed


def new_request_id() -> str:
    return uuid.uuid4().hex


class TicketFlow:
    def __init__(
        self,
        client: HallClient,
        printer: TicketPrinter | None,
        hall_name: str,
        attempts: int = 3,
        retry_delay_s: float = 1.0,
    ) -> None:
        self.client, self.printer, self.hall_name = client, printer, hall_name
        self.attempts, self.retry_delay_s = attempts, retry_delay_s
        self.reported_state: PrinterState | None = None  # the fault the server knows about

    async def take(self, service: str, priority: str = "normal", request_id: str | None = None) -> TicketOutcome:
        """Take and print a ticket. Raises ``ServerUnavailable`` after the retries, ``Refused``
        when the server says no (service closed, daily cap reached ...)."""
        request_id = request_id or new_request_id()
        for attempt in range(1, self.attempts + 1):
            try:
                ticket = await self.client.take_ticket(service, priority, request_id)
                break
            except ServerUnavailable:
                if attempt == self.attempts:
                    raise
                await asyncio.sleep(self.retry_delay_s * attempt)
        return await self._print(ticket)

    async def _print(self, ticket: dict[str, Any]) -> TicketOutcome:
        content = ticket_content(ticket, self.hall_name, self.client.base_url)
        status_url = content.status_url
        if self.printer is None:
            return TicketOutcome(ticket, status_url, False, PrinterState.UNKNOWN, None)
        try:
            report = await asyncio.to_thread(self.printer.print_ticket, content)
        except PrinterError as exc:
            state = exc.status.state
            await self._report(exc.status)
            return TicketOutcome(
                ticket,
                status_url,
                False,
                state,
                strings.PRINTER_PROBLEM.get(state, strings.PRINTER_PROBLEM[PrinterState.UNKNOWN]),
            )
        await self._report(report.status)
        return TicketOutcome(ticket, status_url, True, report.status.state, None)

    async def check_printer(self) -> PrinterStatus:
        """Ask the printer now (the kiosk does so while a fault is open): paper back clears it."""
        if self.printer is None:
            return PrinterStatus.unknown()
        status = await asyncio.to_thread(self.printer.status)
        await self._report(status)
        return status

    async def _report(self, status: PrinterStatus) -> None:
        """Tell the server when the printer's condition changed; best effort, retried next time."""
        state = status.state
        # A near-end roll still prints, and is reported all the same so staff bring paper.
        wanted = "ok" if state is PrinterState.READY else state.value
        known = self.reported_state.value if self.reported_state else "ok"
        if wanted == known:
            return
        try:
            await self.client.report(PRINTER, wanted, status.label)
        except ServerUnavailable:
            return  # the report is sent again with the next print or check
        self.reported_state = None if wanted == "ok" else state
