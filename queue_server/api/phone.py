"""The visitor's phone: the page a ticket's QR code opens (/t/CODE), its view as JSON, the live
push of that view (Server-Sent Events), and 扫码评价 once the ticket is finished.

All public: the ticket's unguessable code is what gives access, and what is shown names nobody.
Server-Sent Events rather than a WebSocket: plain HTTP that every phone browser (WeChat's
included) reconnects by itself, through any proxy that passes a long answer. The page polls the
JSON when the push is silent, so a browser without ``EventSource`` still follows the queue.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from queue_server.api import appkeys
from queue_server.api.errors import ApiError
from queue_server.api.feedback import checked_rating
from queue_server.api.phone_view import phone_view, stored_phone_view
from queue_server.api.routes import Call, Reply
from queue_server.api.status_page import status_page
from queue_server.api.views import stored_ticket_view
from queue_server.core.feedback import LEVELS, LOW
from queue_server.runtime.engine import Context
from queue_server.runtime.phone_watch import Listener

# A ping this often keeps proxies and the phone's radio from dropping a quiet stream, and tells
# the page the stream is alive (it polls when nothing came for three of these).
PING_S = 15.0
RETRY_MS = 3000  # how soon a browser reconnects a dropped stream
OTHER_DAY = 0  # the listener id of a stream for another day's ticket: no ticket has id 0


async def _view(call: Call) -> tuple[dict[str, Any] | None, tuple[int, str] | None]:
    """The phone view of the ticket behind the code, and (id, number) when it is today's."""
    code = call.params["public_code"]

    def command(ctx: Context) -> tuple[dict[str, Any], tuple[int, str]] | None:
        ticket = ctx.state.ticket_by_code(code)
        return (phone_view(ctx.state, ticket, ctx.now), (ticket.id, ticket.number)) if ticket else None

    found = await call.run(command)
    if found is not None:
        return found
    row = await call.read(call.app[appkeys.STORE].ticket_by_code, code)
    if row is None:
        return None, None
    stored = stored_ticket_view(await call.live_config(), row)
    return await call.run(lambda ctx: stored_phone_view(ctx.state, stored)), None


def _unknown() -> ApiError:
    return ApiError(404, "unknown_ticket", "没有找到这张号票，请核对二维码，或到咨询台询问")


async def get_status_page(call: Call) -> web.Response:
    """The page a ticket's QR code opens: rendered whole (it reads right without script), then
    kept live by ``static/phone.js``."""
    view, today = await _view(call)
    config = await call.live_config()
    notifier = call.app[appkeys.NOTIFIER]
    sms = None  # the 短信提醒 box: for a ticket still in line, in a hall that sends reminders
    if view is not None and today is not None and notifier.enabled and view["status"] in ("waiting", "called"):
        sms = {"phone": notifier.phone_left(today[0]), "keep_days": config.notify.keep_phone_days}
    return web.Response(
        text=status_page(config.name, view, call.params["public_code"], sms),
        content_type="text/html",
        status=200 if view else 404,
        headers={"Cache-Control": "no-store"},
    )


async def get_phone_ticket(call: Call) -> dict[str, Any]:
    view, _ = await _view(call)
    if view is None:
        raise _unknown()
    return view


async def get_phone_stream(call: Call) -> web.StreamResponse:
    """The view now, then again whenever it changes; ``event: ping`` every ``PING_S``."""
    view, today = await _view(call)
    if view is None:
        raise _unknown()
    request, app = call.request, call.app
    gate, address = app[appkeys.EVENT_SOCKETS], request.remote or "local"
    gate.admit(address)  # phones' streams count with the event sockets, per address too
    watch = app[appkeys.PHONE_WATCH]
    # Another day's ticket never changes, but its stream is still registered: the server's
    # shutdown closes every phone's stream at once (``PhoneWatch.close_all``).
    listener = Listener(*today) if today is not None else Listener(OTHER_DAY, "")
    try:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",  # nginx in front must not hold the pushes back
            }
        )
        await response.prepare(request)
        # Listen before taking the view the stream starts with: a change committed in between is
        # offered to the listener, and dropped if the view already shows it (by seq).
        watch.add(listener)
        if today is not None:
            view, _ = await _view(call)
            if view is None:  # the ticket went with the day's turn in between: the page polls
                return response
        seq = view.pop("seq")
        await response.write(_frame("ticket", view, seq, retry=True))
        await _pushes(response, listener, seq)
    except ConnectionError:
        pass  # the phone went away (screen off, out of the building): nothing to clean but below
    finally:
        watch.remove(listener)
        gate.release(address)
    return response


async def _pushes(response: web.StreamResponse, listener: Listener, sent: int) -> None:
    while not listener.closed:
        try:
            await asyncio.wait_for(listener.changed.wait(), PING_S)
        except TimeoutError:
            await response.write(b"event: ping\ndata: {}\n\n")
            continue
        listener.changed.clear()
        if listener.latest is not None and listener.latest[0] > sent:
            sent, text = listener.latest
            await response.write(f"id: {sent}\nevent: ticket\ndata: {text}\n\n".encode())


def _frame(event: str, data: dict[str, Any], seq: int, retry: bool = False) -> bytes:
    head = f"retry: {RETRY_MS}\n" if retry else ""
    return f"{head}id: {seq}\nevent: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def post_phone_rating(call: Call) -> Reply:
    """扫码评价: the visitor rates the finished ticket from the phone, once (and not after the
    window's tablet did)."""
    code, body = call.params["public_code"], call.body
    comment, reasons = checked_rating(body)

    def command(ctx: Context) -> dict[str, Any] | None:
        ticket = ctx.state.ticket_by_code(code)
        if ticket is None:
            return None
        rating = ctx.state.rate_by_phone(
            ticket, body.level, reasons, "phone:visitor", ctx.now, comment=comment, phone=body.phone
        )
        return {
            "number": rating.number,
            "level": rating.level,
            "level_label": LEVELS[rating.level],
            "followup": rating.level in LOW,
        }

    result = await call.run(command)
    if result is None:
        view, _ = await _view(call)
        if view is None:
            raise _unknown()
        raise ApiError(409, "nothing_to_rate", f"{view['number']} 号的评价期限已过（当天办结的业务当天评价）")
    return Reply(result, 201)
