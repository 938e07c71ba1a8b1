"""The event stream (``/api/events``, a WebSocket): a snapshot (or, with ``?since=SEQ``, what was
missed), then every event as it commits.

Without a token it is the **public** stream: what ``/api/state`` shows, for lobby screens and
visitors' phones. With a staff or device token (``Authorization: Bearer``, or from a browser the
subprotocols ``hallqueue, bearer.TOKEN``) it is the full one. See ``runtime/hub.py`` for the two
forms.

Open sockets are capped in total and per client address (``[limits] event_sockets`` and
``event_sockets_per_address``): past a cap the answer is 503 ``too_many_connections`` before the
handshake. A hall's guest Wi-Fi puts every visitor's phone behind one NAT address, so the
per-address cap is what keeps the phones from taking the sockets the hall's own screens need.
Sockets that stop answering pings are closed (``HEARTBEAT_S``).
"""

from __future__ import annotations

import asyncio
import json
import re

from aiohttp import WSCloseCode, WSMsgType, web

from queue_server.api import appkeys
from queue_server.api.errors import ApiError
from queue_server.api.routes import Call
from queue_server.api.views import public_state
from queue_server.runtime.hub import Subscription

SUBPROTOCOL = "hallqueue"  # the one the server selects; a browser's bearer.TOKEN is never echoed
# A ping every 25 s; no pong within half of that and the socket is closed. Well under the idle
# timeouts of home routers and proxies (60 s and more), and a dead screen is gone within 40 s.
# No receive timeout: screens send nothing, the pongs are what says they are there.
HEARTBEAT_S = 25.0
MAX_CLIENT_MESSAGE = 1024  # screens send nothing; a client that sends a lot is cut off
_SINCE = re.compile(r"[0-9]{1,12}")  # ASCII digits only: "²" is a digit to str.isdigit()


def _since(request: web.Request) -> int | None:
    text = request.query.get("since")
    if text is None:
        return None
    if not _SINCE.fullmatch(text):
        raise ApiError(400, "invalid_request", "since 必须是事件序号（不超过 12 位的非负整数）")
    return int(text)


def _check_subprotocols(request: web.Request) -> None:
    """A client that offers subprotocols must offer ``hallqueue``: the server selects it, and
    never answers with (or logs) the ``bearer.TOKEN`` entry next to it."""
    offered = request.headers.get("Sec-WebSocket-Protocol")
    if offered is not None and SUBPROTOCOL not in (p.strip() for p in offered.split(",")):
        raise ApiError(400, "invalid_request", f"WebSocket 子协议须包含 {SUBPROTOCOL}")


async def get_events(call: Call) -> web.StreamResponse:
    request = call.request
    since = _since(request)
    _check_subprotocols(request)
    gate = call.app[appkeys.EVENT_SOCKETS]
    address = request.remote or "local"
    gate.admit(address)
    try:
        return await _stream(call, since, public=call.principal is None)
    finally:
        gate.release(address)


async def _stream(call: Call, since: int | None, public: bool) -> web.WebSocketResponse:
    request, app = call.request, call.app
    hub, sockets = app[appkeys.HUB], app[appkeys.SOCKETS]
    # No permessage-deflate: browsers offer it, and its zlib state costs ~100 KiB a socket for
    # messages of a few hundred bytes on a LAN.
    ws = web.WebSocketResponse(
        protocols=(SUBPROTOCOL,), heartbeat=HEARTBEAT_S, compress=False, max_msg_size=MAX_CLIENT_MESSAGE
    )
    await ws.prepare(request)
    sockets.add(ws)
    sender = _Sender(ws)
    # Subscribe before taking the snapshot: events committed in between wait in the
    # subscription, and the sender skips those the snapshot already contains.
    sender.sub = hub.subscribe(public, sender.wake)
    try:
        last = await _send_start(call, ws, since, public)
        sender.start(last)
        async for msg in ws:  # screens send nothing; reading answers pings and notices the close
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        hub.unsubscribe(sender.sub)
        await sender.stop()
        sockets.discard(ws)
    return ws


async def _send_start(call: Call, ws: web.WebSocketResponse, since: int | None, public: bool) -> int:
    """Send the snapshot, or ``resumed`` and what was missed; return the seq they reach.

    The snapshot is public either way (it names nobody); it is dropped once sent, so an idle
    socket does not keep its copy.
    """
    hub = call.app[appkeys.HUB]
    snapshot = await call.run(lambda ctx: public_state(ctx.state, ctx.now))
    last = snapshot["seq"]
    missed = hub.missed_since(since, last, public) if since is not None else None
    if missed is None:
        await ws.send_str(json.dumps({"type": "snapshot", **snapshot}, ensure_ascii=False))
        return last
    await ws.send_str(json.dumps({"type": "resumed", "since": since, "seq": last}))
    for _, text in missed:
        await ws.send_str(text)
    return last


class _Sender:
    """Sends a subscription's messages on its socket, one at a time and in order.

    No task waits while there is nothing to send: one is started when messages arrive and ends
    when they are out, so an idle socket costs no sender task.
    """

    __slots__ = ("ws", "sub", "last", "task", "started")

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.sub: Subscription | None = None
        self.last = 0  # the seq of the newest message the socket has had
        self.task: asyncio.Task[None] | None = None
        self.started = False

    def start(self, last: int) -> None:
        self.last, self.started = last, True
        self.wake()

    def wake(self) -> None:
        if self.started and self.task is None and not self.ws.closed:
            self.task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        sub = self.sub
        try:
            while not self.ws.closed:
                if sub.overflowed:
                    # Too far behind: let it reconnect with its seq and catch up instead.
                    await self.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too slow; reconnect with ?since=")
                    return
                item = sub.take()
                if item is None:
                    return
                seq, text = item
                if seq > self.last:
                    await self.ws.send_str(text)
                    self.last = seq
        except ConnectionError:
            pass  # the screen went away; the handler's read loop ends and cleans up
        finally:
            self.task = None

    async def stop(self) -> None:
        self.started = False
        task = self.task
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
