"""Ticket operations: 取号, reading a ticket, and the actions staff take on it."""

from __future__ import annotations

import secrets
from typing import Any

from queue_server.api import appkeys
from queue_server.api.errors import ApiError
from queue_server.api.real_name import Person, issue_as, person_of, run_issuing
from queue_server.api.routes import Call, Reply
from queue_server.api.views import stored_ticket_view, ticket_view
from queue_server.core import lifecycle
from queue_server.core.errors import UnknownTicket
from queue_server.core.model import Priority, Status, TicketAction
from queue_server.runtime.engine import Context
from queue_server.store.accounts import Role

# What each caller may ask for: a kiosk is the visitor's own choice (普通 or 特别通道); 预约 comes
# from a booking check-in and 绿色通道 from the reception desk, so both need staff.
KIOSK_PRIORITIES = frozenset({Priority.NORMAL, Priority.ELDERLY})


async def post_ticket(call: Call) -> Reply:
    """取号. 201 with the new ticket; 200 with the same ticket when ``request_id`` repeats."""
    p, body = call.principal, call.body
    if p.role is Role.KIOSK and body.priority not in KIOSK_PRIORITIES:
        raise ApiError(
            403,
            "forbidden_priority",
            f"取号机只能取普通号或特别通道号；{body.priority.value} 请到咨询台办理",
            priority=body.priority.value,
        )
    chosen_services(body)  # a bad choice is refused before it counts against the kiosk's limit
    person = person_of(call, body.id_number, call.app[appkeys.CLOCK]())
    if p.role is Role.KIOSK:
        call.app[appkeys.LIMITS].check_kiosk(p.name, body.request_id)
    ticket_id, created, view = await run_issuing(call, lambda ctx: _issue(ctx, call, body, p.actor, person))
    if view is None:  # a repeated request for a ticket that is finished by now
        view = await stored_ticket(call, ticket_id)
    return Reply(view, 201 if created else 200, {"Location": f"/api/tickets/{ticket_id}"})


def chosen_services(body: Any) -> tuple[str, ...]:
    """The services a 取号 body names: ``service`` or ``services``, exactly one of the two."""
    if (body.service is None) == (body.services is None):
        raise ApiError(400, "invalid_request", "请选择要办理的业务：service（一项）或 services（多项），二者取其一")
    services = (body.service,) if body.service is not None else tuple(body.services)
    if len(set(services)) != len(services):
        raise ApiError(400, "invalid_request", "同一项业务只需选择一次")
    return services


def _issue(
    ctx: Context, call: Call, body: Any, actor: str, person: Person | None
) -> tuple[int, bool, dict[str, Any] | None]:
    services = chosen_services(body)
    codes = tuple(secrets.token_urlsafe(6) for _ in services)
    if body.request_id is not None and (actor, body.request_id) in ctx.state.requests:
        first = ctx.state.issue_visit(services, body.priority, actor, ctx.now, body.request_id, codes)[0]
    else:
        issued = []

        def issue(priority):
            issued.extend(ctx.state.issue_visit(services, priority, actor, ctx.now, body.request_id, codes))
            return [i.ticket_id for i in issued]

        issue_as(ctx, call, person, services, body.priority, issue)
        first = issued[0]
    ticket = ctx.state.active.get(first.ticket_id)
    return first.ticket_id, first.created, ticket_view(ctx.state, ticket) if ticket else None


async def stored_ticket(call: Call, ticket_id: int) -> dict[str, Any]:
    """A ticket no longer in play, from the database; 404 ``unknown_ticket`` if there is none."""
    row = await call.read(call.app[appkeys.STORE].ticket, ticket_id)
    if row is None:
        raise ApiError(404, "unknown_ticket", f"没有号票 {ticket_id}", ticket=ticket_id)
    return stored_ticket_view(await call.live_config(), row)


async def get_ticket(call: Call) -> dict[str, Any]:
    ticket_id = call.params["id"]

    def command(ctx: Context) -> dict[str, Any] | None:
        ticket = ctx.state.active.get(ticket_id)
        return ticket_view(ctx.state, ticket) if ticket else None

    view = await call.run(command)
    return view if view is not None else await stored_ticket(call, ticket_id)


def ticket_action(action: TicketAction):
    """The handler of one action: 重呼, 过号, 开始办理, 办结, 转移, 取消."""

    async def handler(call: Call) -> dict[str, Any]:
        p, ticket_id = call.principal, call.params["id"]
        service = call.body.service if action is TicketAction.TRANSFER else None
        # A clerk acts for the window signed in to: the core refuses a ticket at another window.
        window = p.window if p.role is Role.CLERK else None

        def command(ctx: Context) -> dict[str, Any]:
            ticket = ctx.state.act(ticket_id, action, p.actor, ctx.now, window=window, service=service)
            return ticket_view(ctx.state, ticket)

        try:
            return await call.run(command)
        except UnknownTicket:
            # Not in play any more: a finished ticket (or one of another day) refuses every action.
            stored = await stored_ticket(call, ticket_id)
            lifecycle.check(action, stored["number"], Status(stored["status"]))
            raise

    handler.__name__ = f"post_ticket_{action.name.lower()}"
    return handler
