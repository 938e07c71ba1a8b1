"""The HTTP and WebSocket API. Handlers are thin: check the caller, validate, submit one
command to the engine, answer. The route table at the bottom is the whole surface; the
OpenAPI document (``openapi.py``) describes the same routes and a test keeps them equal.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import secrets
from typing import Any

from aiohttp import WSMsgType, web
from pydantic import BaseModel, ConfigDict, Field

from queue_server.api import appkeys
from queue_server.api.auth import acting_window
from queue_server.api.errors import ApiError, read_json
from queue_server.api.openapi import openapi_document
from queue_server.api.status_page import status_page
from queue_server.api.views import guide_list, guide_view, public_state, services_view, stored_ticket_view, ticket_view
from queue_server.core import lifecycle
from queue_server.core.errors import UnknownTicket, WindowOccupied
from queue_server.core.model import Priority, Status
from queue_server.runtime.engine import Context
from queue_server.store import accounts
from queue_server.store.accounts import Principal

_LOGGER = logging.getLogger(__name__)
TICKET_ACTIONS = ("recall", "no-show", "start", "finish", "transfer", "cancel")
STAFF = ("clerk", "admin")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IssueRequest(_Body):
    service: str = Field(min_length=1, max_length=40)
    priority: Priority = Priority.NORMAL
    request_id: str | None = Field(None, min_length=1, max_length=100)


class TransferRequest(_Body):
    service: str = Field(min_length=1, max_length=40)


class LoginRequest(_Body):
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    window: int | None = Field(None, ge=1)
    force: bool = False  # take over a window another session holds


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=lambda o: json.dumps(o, ensure_ascii=False))


# ---------------------------------------------------------------- public reads


async def get_services(request: web.Request) -> web.Response:
    config = request.app[appkeys.CONFIG]
    services = await request.app[appkeys.ENGINE].submit(lambda ctx: services_view(ctx.state, ctx.now))
    departments = [{"code": d.code, "name": d.name, "short_name": d.short_name} for d in config.departments.values()]
    tiles = [{"name": t.name, "subtitle": t.subtitle, "services": list(t.services)} for t in config.tiles]
    hall = {"name": config.name, "complaint_phone": config.complaint_phone}
    return _json({"hall": hall, "services": services, "departments": departments, "tiles": tiles})


async def get_state(request: web.Request) -> web.Response:
    return _json(await request.app[appkeys.ENGINE].submit(lambda ctx: public_state(ctx.state, ctx.now)))


async def get_health(request: web.Request) -> web.Response:
    engine = request.app[appkeys.ENGINE]

    def command(ctx: Context) -> dict[str, Any]:
        return {
            "status": "ok",
            "seq": ctx.state.last_event_seq,
            "business_day": ctx.state.day.isoformat(),
            "commits": engine.commits,
        }

    return _json(await engine.submit(command))


async def get_openapi(request: web.Request) -> web.Response:
    return _json(openapi_document())


# ---------------------------------------------------------------- tickets


async def post_ticket(request: web.Request) -> web.Response:
    """取号. 201 with the new ticket; 200 with the same ticket when ``request_id`` repeats."""
    p = await request.app[appkeys.AUTH].require(request, "kiosk", *STAFF)
    body = await read_json(request, IssueRequest)
    if body.priority is Priority.GREEN_CHANNEL and p.kind == "kiosk":
        raise ApiError(403, "forbidden_priority", "绿色通道号请到咨询台由工作人员发放")

    def command(ctx: Context) -> tuple[bool, int, dict[str, Any] | None]:
        issued = ctx.state.issue(
            body.service, body.priority, p.actor, ctx.now, body.request_id, public_code=secrets.token_urlsafe(6)
        )
        ticket = ctx.state.active.get(issued.ticket_id)
        return issued.created, issued.ticket_id, ticket_view(ctx.state, ticket) if ticket else None

    created, ticket_id, view = await request.app[appkeys.ENGINE].submit(command)
    if view is None:  # a repeated request for a ticket that is finished by now
        view = await _stored_ticket(request, ticket_id)
    headers = {"Location": f"/api/tickets/{ticket_id}"}
    return _json(view, status=201 if created else 200, headers=headers)


async def _stored_ticket(request: web.Request, ticket_id: int) -> dict[str, Any]:
    store = request.app[appkeys.STORE]
    row = await asyncio.get_running_loop().run_in_executor(request.app[appkeys.READERS], store.ticket, ticket_id)
    if row is None:
        raise ApiError(404, "unknown_ticket", f"没有号票 {ticket_id}", ticket=ticket_id)
    return stored_ticket_view(request.app[appkeys.CONFIG], row)


async def get_ticket(request: web.Request) -> web.Response:
    await request.app[appkeys.AUTH].identify(request)
    ticket_id = int(request.match_info["id"])

    def command(ctx: Context) -> dict[str, Any] | None:
        ticket = ctx.state.active.get(ticket_id)
        return ticket_view(ctx.state, ticket) if ticket else None

    view = await request.app[appkeys.ENGINE].submit(command)
    return _json(view if view is not None else await _stored_ticket(request, ticket_id))


async def post_ticket_action(request: web.Request) -> web.Response:
    """重呼, 过号, 开始办理, 办结, 转移, 取消 for one ticket."""
    p = await request.app[appkeys.AUTH].require(request, *STAFF)
    ticket_id = int(request.match_info["id"])
    action = request.match_info["action"]
    service = (await read_json(request, TransferRequest)).service if action == "transfer" else None
    window = p.window if p.kind == "clerk" else None

    def command(ctx: Context) -> dict[str, Any]:
        ticket = ctx.state.act(ticket_id, action, p.actor, ctx.now, window=window, service=service)
        return ticket_view(ctx.state, ticket)

    try:
        return _json(await request.app[appkeys.ENGINE].submit(command))
    except UnknownTicket:
        # Not in play any more: a finished ticket (or one of another day) refuses every action.
        stored = await _stored_ticket(request, ticket_id)
        lifecycle.check(action, stored["number"], Status(stored["status"]))
        raise


# ---------------------------------------------------------------- windows


async def post_call_next(request: web.Request) -> web.Response:
    """叫号: 200 with the called ticket, 204 when nobody waits for this window."""
    p = await request.app[appkeys.AUTH].require(request, *STAFF)
    number = int(request.match_info["number"])
    acting_window(p, number)

    def command(ctx: Context) -> dict[str, Any] | None:
        ticket = ctx.state.call_next(number, p.actor, ctx.now)
        return ticket_view(ctx.state, ticket) if ticket else None

    view = await request.app[appkeys.ENGINE].submit(command)
    return _json(view) if view is not None else web.Response(status=204)


async def post_window_status(request: web.Request) -> web.Response:
    """暂停服务 / 恢复服务."""
    p = await request.app[appkeys.AUTH].require(request, *STAFF)
    number = int(request.match_info["number"])
    acting_window(p, number)
    pause = request.match_info["change"] == "pause"

    def command(ctx: Context) -> dict[str, Any]:
        (ctx.state.pause if pause else ctx.state.resume)(number, p.actor, ctx.now)
        w = ctx.state.windows[number]
        return {"number": number, "status": w.status.value, "since": w.since.isoformat() if w.since else None}

    return _json(await request.app[appkeys.ENGINE].submit(command))


# ---------------------------------------------------------------- devices and guides


class FaultReport(_Body):
    component: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    state: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")  # "ok" clears it
    message: str = Field("", max_length=200)


async def post_device_fault(request: web.Request) -> web.Response:
    """A kiosk or display PC reports one of its parts (printer, board 3 ...) so staff see it."""
    p = await request.app[appkeys.AUTH].require(request, "kiosk", "display")
    body = await read_json(request, FaultReport)

    def command(ctx: Context) -> dict[str, Any]:
        changed = ctx.state.report_fault(p.name, body.component, body.state, body.message, ctx.now)
        return {"device": p.name, "component": body.component, "state": body.state, "changed": changed}

    return _json(await request.app[appkeys.ENGINE].submit(command))


async def get_guides(request: web.Request) -> web.Response:
    return _json({"items": guide_list(request.app[appkeys.CONFIG], request.app[appkeys.GUIDES])})


async def get_guide(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    for item in request.app[appkeys.GUIDES]:
        if item.code == code:
            return _json(guide_view(request.app[appkeys.CONFIG], item))
    raise ApiError(404, "unknown_guide", f"没有这项服务指南：{code}", guide=code)


async def get_status_page(request: web.Request) -> web.Response:
    """The page a ticket's QR code opens: public, the ticket found by its unguessable code."""
    code = request.match_info["code"]
    config = request.app[appkeys.CONFIG]

    def command(ctx: Context) -> dict[str, Any] | None:
        for ticket in ctx.state.active.values():
            if ticket.public_code == code:
                return ticket_view(ctx.state, ticket)
        return None

    view = await request.app[appkeys.ENGINE].submit(command)
    if view is None:
        row = await asyncio.get_running_loop().run_in_executor(
            request.app[appkeys.READERS], request.app[appkeys.STORE].ticket_by_code, code
        )
        view = stored_ticket_view(config, row) if row else None
    return web.Response(
        text=status_page(config.name, view),
        content_type="text/html",
        status=200 if view else 404,
        headers={"Cache-Control": "no-store"},
    )


# ---------------------------------------------------------------- sign-in


async def post_login(request: web.Request) -> web.Response:
    body = await read_json(request, LoginRequest)
    app = request.app
    store, readers, auth = app[appkeys.STORE], app[appkeys.READERS], app[appkeys.AUTH]
    config = app[appkeys.CONFIG]
    loop = asyncio.get_running_loop()

    def check_password() -> str | None:
        found = accounts.find_user(store.reader(), body.login)
        # Hash even for an unknown login, so timing does not tell which logins exist.
        ok = accounts.verify_password(body.password, found[1] if found else _dummy_hash())
        return found[0] if found and ok else None

    role = await loop.run_in_executor(readers, check_password)
    if role is None:
        raise ApiError(401, "invalid_credentials", "账号或密码错误")
    if role == "clerk" and body.window is None:
        raise ApiError(400, "invalid_request", "窗口人员登录需要选择窗口号")
    if body.window is not None and body.window not in config.windows:
        raise ApiError(404, "unknown_window", f"没有 {body.window} 号窗口", window=body.window)
    token = accounts.new_token()

    def command(ctx: Context) -> dict[str, Any]:
        expires = accounts.session_expiry(ctx.now, config.session_hours)
        session = Principal(role, body.login, accounts.token_hash(token), body.window, expires)
        replaced: list[str] = []
        if body.window is not None:
            others = [s for s in auth.sessions_at_window(body.window) if s.name != body.login]
            if others and not body.force:
                raise WindowOccupied(
                    f"{body.window} 号窗口已由 {others[0].name} 登录；如需接替请确认接管",
                    window=body.window,
                )
            replaced = [s.token_hash for s in auth.sessions_at_window(body.window)]
            ctx.state.open_window(body.window, body.login, ctx.now)
        ctx.writes.append(lambda db: accounts.end_sessions(db, replaced, ctx.now))
        ctx.writes.append(lambda db: accounts.insert_session(db, session, ctx.now))
        ctx.after_commit.append(lambda: (auth.drop_sessions(replaced), auth.add_session(session)))
        return {
            "token": token,
            "role": role,
            "login": body.login,
            "window": body.window,
            "expires_at": expires.isoformat(),
        }

    return _json(await app[appkeys.ENGINE].submit(command))


async def post_logout(request: web.Request) -> web.Response:
    auth = request.app[appkeys.AUTH]
    p = await auth.require(request, *STAFF)

    def command(ctx: Context) -> None:
        if p.window is not None and not [s for s in auth.sessions_at_window(p.window) if s != p]:
            ctx.state.close_window(p.window, p.actor, ctx.now)
        ctx.writes.append(lambda db: accounts.end_sessions(db, [p.token_hash], ctx.now))
        ctx.after_commit.append(lambda: auth.drop_sessions([p.token_hash]))

    await request.app[appkeys.ENGINE].submit(command)
    return web.Response(status=204)


@functools.cache
def _dummy_hash() -> str:
    return accounts.hash_password("not a real password, only for timing")


# ---------------------------------------------------------------- event stream


async def get_events(request: web.Request) -> web.StreamResponse:
    """WebSocket: a snapshot (or, with ``?since=SEQ``, what was missed), then every event."""
    app = request.app
    hub, engine = app[appkeys.HUB], app[appkeys.ENGINE]
    since_text = request.query.get("since")
    if since_text is not None and not since_text.isdigit():
        raise ApiError(400, "invalid_request", "since 必须是事件序号（非负整数）")
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    app[appkeys.SOCKETS].add(ws)
    # Subscribe before taking the snapshot: events committed in between are queued, not lost.
    sub = hub.subscribe()
    try:
        snapshot = await engine.submit(lambda ctx: public_state(ctx.state, ctx.now))
        last = snapshot["seq"]
        missed = hub.missed_since(int(since_text), last) if since_text is not None else None
        if missed is not None:
            await ws.send_str(json.dumps({"type": "resumed", "since": int(since_text), "seq": last}))
            for _, text in missed:
                await ws.send_str(text)
        else:
            await ws.send_str(json.dumps({"type": "snapshot", **snapshot}, ensure_ascii=False))
        sender = asyncio.create_task(_forward(ws, sub, last))
        try:
            async for msg in ws:  # screens send nothing; reading notices the close
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
    finally:
        hub.unsubscribe(sub)
        app[appkeys.SOCKETS].discard(ws)
    return ws


async def _forward(ws: web.WebSocketResponse, sub, last: int) -> None:
    while not ws.closed:
        seq, text = await sub.queue.get()
        if sub.overflowed:
            # Too far behind: let it reconnect with its seq and catch up instead.
            await ws.close(code=1013, message=b"too slow; reconnect with ?since=")
            return
        if seq > last:
            await ws.send_str(text)
            last = seq


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/services", get_services, name="services")
    app.router.add_get("/api/state", get_state, name="state")
    app.router.add_get("/api/health", get_health, name="health")
    app.router.add_get("/api/events", get_events, name="events")
    app.router.add_get("/api/openapi.json", get_openapi, name="openapi")
    app.router.add_post("/api/login", post_login, name="login")
    app.router.add_post("/api/logout", post_logout, name="logout")
    app.router.add_post("/api/tickets", post_ticket, name="tickets")
    app.router.add_get(r"/api/tickets/{id:\d+}", get_ticket, name="ticket")
    actions = "|".join(TICKET_ACTIONS)
    app.router.add_post(r"/api/tickets/{id:\d+}/{action:" + actions + "}", post_ticket_action, name="ticket_action")
    app.router.add_post(r"/api/windows/{number:\d+}/call-next", post_call_next, name="call_next")
    app.router.add_post(r"/api/windows/{number:\d+}/{change:pause|resume}", post_window_status, name="window_status")
    app.router.add_post("/api/devices/faults", post_device_fault, name="device_faults")
    app.router.add_get("/api/guides", get_guides, name="guides")
    app.router.add_get(r"/api/guides/{code:[a-z0-9_-]+}", get_guide, name="guide")
    app.router.add_get(r"/t/{code:[A-Za-z0-9_-]{4,20}}", get_status_page, name="status_page")
