"""Taking a ticket at the kiosk, and printing a guide item's 一次性告知单, as plain async Python
the screens call (tested without a window).

The flow: ask the server for a ticket under a request id; on a network failure, ask again under
the same id, so a retry never yields a second ticket. Then print it, if the printer can print.
The ticket is valid either way: the screen always shows the number and its QR code.
If the printer cannot print, the kiosk tells the server (staff see it) and says so on screen.
The next successful check or print clears the report.

Several services in one visit (``take(["mz-elder", "jt-elder-card"])``) are one request: the
server answers with one ticket carrying them all when one window serves them all, else with the
first of linked tickets and the others in its ``linked``, in the order to go. Either way one slip
is printed for the visit (``ticket_content`` lists the carried services and the linked numbers).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hardware.checklist_layout import ChecklistContent, Fee, checklist_bytes
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
    # 预约取号: the booking checked in, whether it was in time (else the ticket is a normal one),
    # and the server's word on it (what a late visitor is told).
    booking: dict[str, Any] | None = None
    on_time: bool = True
    message: str = ""

    @property
    def services(self) -> list[dict[str, str]]:
        """Every service this number is for ({code, name}), its own first."""
        ticket = self.ticket
        return ticket.get("services") or [{"code": ticket["service"], "name": ticket["service_name"]}]

    @property
    def also(self) -> list[str]:
        """The names of the services carried besides the first ("同时办理")."""
        return [s["name"] for s in self.services[1:]]

    @property
    def linked(self) -> list[dict[str, Any]]:
        """The visit's other tickets, in the order to go."""
        return list(self.ticket.get("linked") or [])

    @property
    def numbers(self) -> list[str]:
        return [self.ticket["number"], *(t["number"] for t in self.linked)]


@dataclass(frozen=True)
class ChecklistOutcome:
    """A 告知单 printed, or why not (``printer_message`` in Chinese, for logs and tests)."""

    printed: bool
    printer_state: PrinterState
    printer_message: str | None


def new_request_id() -> str:
    return uuid.uuid4().hex


def guide_page_url(item: dict[str, Any], server_url: str) -> str | None:
    """The item's public page: on the hall's public URL when it has one, else on the server's."""
    if item.get("page_url"):
        return item["page_url"]
    if item.get("page_path"):
        return server_url.rstrip("/") + item["page_path"]
    return None


def checklist_content(
    item: dict[str, Any], hall_name: str, server_url: str, printed_at: datetime | None = None
) -> ChecklistContent:
    """A guide item as ``GET /api/guides/{code}`` gives it, as its printed 一次性告知单."""
    return ChecklistContent(
        hall_name=hall_name,
        item_name=item["name"],
        department_name=item.get("department_name") or "",
        kind=item.get("kind", ""),
        service_name=item.get("service_name") or item.get("service", ""),
        materials=tuple(item.get("materials") or ()),
        conditions=tuple(item.get("conditions") or ()),
        statutory_limit=item.get("statutory_limit", ""),
        promised_limit=item.get("promised_limit", ""),
        complaint_phone=item.get("complaint_phone", ""),
        printed_at=printed_at or datetime.now().astimezone(),
        fees=tuple(Fee(f["name"], f["standard"], f.get("basis") or "") for f in item.get("fees") or ()),
        url=guide_page_url(item, server_url),
        where=item.get("where") or "",
    )


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

    async def take(
        self,
        services: str | Sequence[str],
        priority: str = "normal",
        request_id: str | None = None,
        id_number: str | None = None,
    ) -> TicketOutcome:
        """Take and print a ticket for one service, or for several in one visit; ``id_number``
        for 身份证取号. Raises ``ServerUnavailable`` after the retries, ``Refused`` when the server
        says no (service closed, daily cap reached, the ID's ticket of the day taken ...: a visit
        is all or nothing)."""
        codes = [services] if isinstance(services, str) else list(dict.fromkeys(services))
        if not codes:
            raise ValueError("no service chosen")
        request_id = request_id or new_request_id()
        for attempt in range(1, self.attempts + 1):
            try:
                if len(codes) == 1:
                    ticket = await self.client.take_ticket(codes[0], priority, request_id, id_number)
                else:
                    ticket = await self.client.take_visit(codes, priority, request_id, id_number)
                break
            except ServerUnavailable:
                if attempt == self.attempts:
                    raise
                await asyncio.sleep(self.retry_delay_s * attempt)
        return await self._print(ticket)

    async def check_in(
        self, code: str | None, request_id: str | None = None, id_number: str | None = None
    ) -> TicketOutcome:
        """预约取号: check the booking ``code`` (or today's booking of ``id_number``) in and
        print its ticket as any other. Retried under the same request id like ``take``; raises
        ``ServerUnavailable`` after the retries, ``Refused`` when the server says no (too early,
        unknown code, no booking for that ID, used ...)."""
        request_id = request_id or new_request_id()
        for attempt in range(1, self.attempts + 1):
            try:
                if code is None:
                    answer = await self.client.check_in_by_id(id_number or "", request_id)
                else:
                    answer = await self.client.check_in(code, request_id)
                break
            except ServerUnavailable:
                if attempt == self.attempts:
                    raise
                await asyncio.sleep(self.retry_delay_s * attempt)
        outcome = await self._print(answer["ticket"])
        return replace(
            outcome,
            booking=answer.get("booking") or {},
            on_time=bool(answer.get("on_time", True)),
            message=answer.get("message") or "",
        )

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

    async def print_checklist(self, item: dict[str, Any], printed_at: datetime | None = None) -> ChecklistOutcome:
        """Print a guide item's 一次性告知单 on the kiosk's printer (its paper width and Chinese
        mode), with the QR code of the item's public page. A printer that cannot print is
        reported like for a ticket; the visitor can still read the item on screen."""
        if self.printer is None:
            return ChecklistOutcome(False, PrinterState.UNKNOWN, None)
        content = checklist_content(item, self.hall_name, self.client.base_url, printed_at)
        uri = self.printer.uri
        data = checklist_bytes(content, uri.paper_mm, uri.chinese)
        try:
            report = await asyncio.to_thread(self.printer.print_bytes, data)
        except PrinterError as exc:
            state = exc.status.state
            await self._report(exc.status)
            return ChecklistOutcome(False, state, strings.ZH.checklist_problem(state))
        await self._report(report.status)
        return ChecklistOutcome(True, report.status.state, None)

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
