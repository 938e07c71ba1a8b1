"""The staff side of the API: a window's queue, 指定叫号, 好差评, the reception desk and the hall
manager's overview. Handlers stay thin, as in ``http_api``: check the caller, validate, one
command, answer."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from aiohttp import web
from pydantic import Field

from hardware.printer import PrinterError, TicketPrinter
from queue_server.api import appkeys
from queue_server.api.auth import acting_window
from queue_server.api.errors import ApiError
from queue_server.api.public_api import STAFF, _Body, _json, read_json
from queue_server.api.views import ticket_view
from queue_server.client import ticket_content
from queue_server.core.feedback import LEVELS, REASONS
from queue_server.core.model import Priority
from queue_server.runtime.engine import Context
from queue_server.store.figures import today_figures

NEXT_SHOWN = 5


class CallNumber(_Body):
    number: str = Field(pattern=r"^[A-Z]{1,2}\d{3,5}$")


class RatingBody(_Body):
    level: int = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=len(REASONS))


class CloseFollowUp(_Body):
    resolution: str = Field(min_length=2, max_length=500)


class Notices(_Body):
    notices: list[str] = Field(max_length=20)


class ReceptionTicket(_Body):
    service: str = Field(min_length=1, max_length=40)
    priority: Priority = Priority.NORMAL


def _window_number(request: web.Request) -> int:
    return int(request.match_info["number"])


async def get_window_queue(request: web.Request) -> web.Response:
    """What the clerk console shows: the window, its ticket in hand, and the queue it serves."""
    p = await request.app[appkeys.AUTH].require(request, *STAFF)
    number = _window_number(request)
    acting_window(p, number)

    def command(ctx: Context) -> dict[str, Any]:
        state = ctx.state
        w = state.window(number)
        held = state.active.get(w.ticket_id) if w.ticket_id is not None else None
        return {
            "window": number,
            "name": state.config.windows[number].name,
            "status": w.status.value,
            "ticket": ticket_view(state, held) if held else None,
            "services": [
                {
                    "code": code,
                    "name": state.config.services[code].name,
                    "waiting": state.waiting_count(code),
                    "next": state.queues[code].next_numbers(NEXT_SHOWN),
                }
                for code in state.config.windows[number].services
            ],
            "all_services": [{"code": c, "name": s.name} for c, s in state.config.services.items()],
        }

    return _json(await request.app[appkeys.ENGINE].submit(command))


async def post_call_number(request: web.Request) -> web.Response:
    """指定叫号: call a given waiting number at this window."""
    p = await request.app[appkeys.AUTH].require(request, *STAFF)
    number = _window_number(request)
    acting_window(p, number)
    body = await read_json(request, CallNumber)

    def command(ctx: Context) -> dict[str, Any]:
        return ticket_view(ctx.state, ctx.state.call_number(number, body.number, p.actor, ctx.now))

    return _json(await request.app[appkeys.ENGINE].submit(command))


async def post_request_rating(request: web.Request) -> web.Response:
    """评价: show the rating buttons on the window's evaluator tablet."""
    p = await request.app[appkeys.AUTH].require(request, *STAFF)
    number = _window_number(request)
    acting_window(p, number)

    def command(ctx: Context) -> dict[str, Any]:
        return {"window": number, "ticket_id": ctx.state.request_rating(number, p.actor, ctx.now)}

    return _json(await request.app[appkeys.ENGINE].submit(command))


async def get_pending_rating(request: web.Request) -> web.Response:
    """The evaluator tablet asks what it may rate now: 200 with the ticket, or 204."""
    await request.app[appkeys.AUTH].require(request, "display", *STAFF)
    number = _window_number(request)

    def command(ctx: Context) -> dict[str, Any] | None:
        ticket = ctx.state.pending_rating(number)
        if ticket is None:
            return None
        service = ctx.state.config.services.get(ticket.service)
        return {"ticket_id": ticket.id, "number": ticket.number, "service_name": service.name if service else ""}

    pending = await request.app[appkeys.ENGINE].submit(command)
    return _json(pending) if pending else web.Response(status=204)


async def post_rating(request: web.Request) -> web.Response:
    """好差评 from the window's evaluator tablet: it can only rate the ticket the window just served."""
    p = await request.app[appkeys.AUTH].require(request, "display", *STAFF)
    number = _window_number(request)
    body = await read_json(request, RatingBody)
    unknown = [r for r in body.reasons if r not in REASONS]
    if unknown:
        raise ApiError(400, "invalid_request", f"不认识的原因：{'、'.join(unknown)}", allowed=list(REASONS))
    if body.reasons and body.level > 2:
        raise ApiError(400, "invalid_request", "只有不满意或非常不满意时才选原因")

    def command(ctx: Context) -> dict[str, Any]:
        return ctx.state.rate(number, body.level, tuple(body.reasons), p.actor, ctx.now).as_dict()

    return _json(await request.app[appkeys.ENGINE].submit(command), status=201)


async def post_close_followup(request: web.Request) -> web.Response:
    p = await request.app[appkeys.AUTH].require(request, "admin")
    followup_id = int(request.match_info["id"])
    body = await read_json(request, CloseFollowUp)

    def command(ctx: Context) -> dict[str, Any]:
        return ctx.state.close_followup(followup_id, body.resolution, p.actor, ctx.now).as_dict()

    return _json(await request.app[appkeys.ENGINE].submit(command))


async def put_notices(request: web.Request) -> web.Response:
    p = await request.app[appkeys.AUTH].require(request, "admin")
    body = await read_json(request, Notices)
    notices = tuple(n.strip() for n in body.notices if n.strip())
    if any(len(n) > 200 for n in notices):
        raise ApiError(400, "invalid_request", "每条通知不超过 200 字")

    def command(ctx: Context) -> dict[str, Any]:
        ctx.state.set_notices(notices, p.actor, ctx.now)
        return {"notices": list(notices)}

    return _json(await request.app[appkeys.ENGINE].submit(command))


async def get_overview(request: web.Request) -> web.Response:
    """The hall manager's live view: windows, queues, faults, follow-ups, notices, today's figures."""
    await request.app[appkeys.AUTH].require(request, "admin")

    def command(ctx: Context) -> dict[str, Any]:
        state, now = ctx.state, ctx.now
        windows = []
        for n, w in state.config.windows.items():
            live = state.windows[n]
            held = state.active.get(live.ticket_id) if live.ticket_id is not None else None
            windows.append(
                {
                    "number": n,
                    "name": w.name,
                    "status": live.status.value,
                    "clerk": live.clerk,
                    "ticket": held.number if held else None,
                    "ticket_status": held.status.value if held else None,
                    "since": live.since.isoformat() if live.since else None,
                }
            )
        services = []
        for code, s in state.config.services.items():
            oldest = state.queues[code].oldest()
            services.append(
                {
                    "code": code,
                    "name": s.name,
                    "waiting": state.waiting_count(code),
                    "longest_wait_s": int((now - oldest.queued_since).total_seconds()) if oldest else 0,
                }
            )
        return {
            "at": now.isoformat(),
            "business_day": state.day.isoformat(),
            "timezone": getattr(state.config.timezone, "key", "Asia/Shanghai"),
            "windows": windows,
            "services": services,
            "faults": [f.as_dict() for f in state.faults.values()],
            "followups": [f.as_dict() for f in state.followups.values()],
            "notices": list(state.notices),
        }

    live = await request.app[appkeys.ENGINE].submit(command)
    figures = await asyncio.get_running_loop().run_in_executor(
        request.app[appkeys.READERS],
        today_figures,
        request.app[appkeys.STORE],
        live["business_day"],
        request.app[appkeys.CONFIG],
    )
    return _json({**live, "today": figures})


async def post_reception_ticket(request: web.Request) -> web.Response:
    """咨询台: staff issue a ticket for a visitor and print it on the desk's printer."""
    p = await request.app[appkeys.AUTH].require(request, *STAFF)
    body = await read_json(request, ReceptionTicket)
    config = request.app[appkeys.CONFIG]

    def command(ctx: Context) -> dict[str, Any]:
        issued = ctx.state.issue(body.service, body.priority, p.actor, ctx.now, public_code=secrets.token_urlsafe(6))
        return ticket_view(ctx.state, ctx.state.active[issued.ticket_id])

    ticket = await request.app[appkeys.ENGINE].submit(command)
    printed = await _print_at_reception(request, config, ticket)
    return _json({"ticket": ticket, "print": printed}, status=201)


async def _print_at_reception(request: web.Request, config, ticket: dict[str, Any]) -> dict[str, Any]:
    printer = _reception_printer(request)
    if printer is None:
        return {"printed": False, "state": "none", "label": "咨询台未配置打印机"}
    content = ticket_content(ticket, config.name, f"{request.scheme}://{request.host}")
    try:
        report = await asyncio.to_thread(printer.print_ticket, content)
    except PrinterError as exc:
        return {"printed": False, "state": exc.status.state.value, "label": exc.status.label}
    return {"printed": True, "state": report.status.state.value, "label": report.status.label}


def _reception_printer(request: web.Request) -> TicketPrinter | None:
    uri = request.app[appkeys.CONFIG].reception_printer
    return TicketPrinter(uri) if uri else None


async def get_reception_printer(request: web.Request) -> web.Response:
    await request.app[appkeys.AUTH].require(request, *STAFF)
    printer = _reception_printer(request)
    if printer is None:
        return _json({"configured": False, "state": "none", "label": "咨询台未配置打印机"})
    status = await asyncio.to_thread(printer.status)
    return _json({"configured": True, "state": status.state.value, "label": status.label, "ready": status.ready})


async def get_rating_options(request: web.Request) -> web.Response:
    return _json({"levels": [{"level": k, "label": v} for k, v in LEVELS.items()], "reasons": list(REASONS)})


def setup_staff_routes(app: web.Application) -> None:
    r = app.router
    r.add_get(r"/api/windows/{number:\d+}/queue", get_window_queue, name="window_queue")
    r.add_post(r"/api/windows/{number:\d+}/call", post_call_number, name="call_number")
    r.add_post(r"/api/windows/{number:\d+}/request-rating", post_request_rating, name="request_rating")
    r.add_get(r"/api/windows/{number:\d+}/rating", get_pending_rating, name="pending_rating")
    r.add_post(r"/api/windows/{number:\d+}/rating", post_rating, name="rating")
    r.add_get("/api/ratings/options", get_rating_options, name="rating_options")
    r.add_post(r"/api/followups/{id:\d+}/close", post_close_followup, name="close_followup")
    r.add_put("/api/notices", put_notices, name="notices")
    r.add_get("/api/admin/overview", get_overview, name="overview")
    r.add_post("/api/reception/tickets", post_reception_ticket, name="reception_tickets")
    r.add_get("/api/reception/printer", get_reception_printer, name="reception_printer")
