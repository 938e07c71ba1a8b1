"""The reception desk (咨询台): staff issue a ticket for a visitor (绿色通道 too) and print it on the
desk's printer."""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

from queue_server.api import appkeys
from queue_server.api.real_name import issue_as, person_of, run_issuing
from queue_server.api.routes import Call
from queue_server.api.views import ticket_view
from queue_server.runtime.engine import Context

if TYPE_CHECKING:
    from hardware.printer import TicketPrinter

# The printer driver (python-escpos) is imported when the desk first prints or asks its printer,
# not at the server's start (``warmup.py`` loads it in the background right after).

NO_PRINTER = {"printed": False, "state": "none", "label": "咨询台未配置打印机"}


async def post_reception_ticket(call: Call) -> dict[str, Any]:
    body, actor = call.body, call.principal.actor
    person = person_of(call, body.id_number, call.app[appkeys.CLOCK]())

    def command(ctx: Context) -> dict[str, Any]:
        def issue(priority):
            code = secrets.token_urlsafe(6)
            return [ctx.state.issue(body.service, priority, actor, ctx.now, public_code=code).ticket_id]

        (ticket_id,) = issue_as(ctx, call, person, (body.service,), body.priority, issue)
        return ticket_view(ctx.state, ctx.state.active[ticket_id])

    ticket = await run_issuing(call, command)
    return {"ticket": ticket, "print": await print_at_desk(call, ticket)}


async def print_at_desk(call: Call, ticket: dict[str, Any]) -> dict[str, Any]:
    """Print ``ticket`` on the desk's printer; what happened, for the console."""
    from hardware.printer import PrinterError
    from queue_server.client import ticket_content

    printer = _printer(call)
    if printer is None:
        return NO_PRINTER
    config, request = call.files.config, call.request
    content = ticket_content(ticket, config.name, f"{request.scheme}://{request.host}")
    try:
        report = await asyncio.to_thread(printer.print_ticket, content)
    except PrinterError as exc:
        return {"printed": False, "state": exc.status.state.value, "label": exc.status.label}
    return {"printed": True, "state": report.status.state.value, "label": report.status.label}


def _printer(call: Call) -> TicketPrinter | None:
    from hardware.printer import TicketPrinter

    uri = call.files.config.reception_printer
    return TicketPrinter(uri) if uri else None


async def get_reception_printer(call: Call) -> dict[str, Any]:
    printer = _printer(call)
    if printer is None:
        return {"configured": False, "state": NO_PRINTER["state"], "label": NO_PRINTER["label"]}
    status = await asyncio.to_thread(printer.status)
    return {"configured": True, "state": status.state.value, "label": status.label, "ready": status.ready}
