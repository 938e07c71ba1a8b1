"""The aiohttp application factory; the server, the tests and the benchmark all use it.

Besides routes and resources it sets what every answer shares: one access-log line per request,
and the security headers (``nosniff``, no referrer, a Content-Security-Policy on every HTML page,
no ``Server`` header naming versions).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from aiohttp import WSCloseCode, web

from queue_server.api import appkeys
from queue_server.api.auth import Authenticator
from queue_server.api.errors import error_middleware
from queue_server.api.limits import KioskLimit, SocketGate
from queue_server.api.openapi import openapi_document
from queue_server.api.operations import OPERATIONS
from queue_server.api.pages import CONTENT_SECURITY_POLICY, setup_pages
from queue_server.api.routes import PRINCIPAL, register
from queue_server.config.guides import GuideItem
from queue_server.core.model import HallConfig
from queue_server.runtime.engine import Engine
from queue_server.runtime.hub import RECENT_EVENTS_KEPT, Hub
from queue_server.store import accounts
from queue_server.store.database import Store

_LOGGER = logging.getLogger(__name__)
ACCESS_LOG = logging.getLogger("hallqueue.access")
MAX_BODY_BYTES = 16 * 1024  # a ticket request is under 200 bytes
SHARED_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@web.middleware
async def access_log_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """One INFO line per request on ``hallqueue.access``: method, path, status, milliseconds and
    the caller's role. Never the query string or a token; the path as sent (still
    percent-encoded, so it cannot break the line), with a status page's code left out. For the
    event stream the line comes when the socket closes, and the time is how long it was open."""
    if not ACCESS_LOG.isEnabledFor(logging.INFO):
        return await handler(request)
    started = time.perf_counter()
    status: int | str = "-"  # the request ended in neither an answer nor an HTTP exception
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:  # a redirect; errors come back as answers
        status = exc.status
        raise
    finally:
        principal = request.get(PRINCIPAL)
        ACCESS_LOG.info(
            "%s %s %s %.1fms %s",
            request.method,
            _logged_path(request),
            status,
            (time.perf_counter() - started) * 1000,
            principal.role if principal is not None else "anonymous",
        )


def _logged_path(request: web.Request) -> str:
    route = request.match_info.route
    if route.name == "status_page":
        return "/t/…"  # the code is the ticket's link: whoever has it sees where the visitor stands
    return request.rel_url.raw_path


async def _shared_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer: no MIME sniffing, no referrer, no ``Server`` naming aiohttp and Python
    versions; every HTML page: the Content-Security-Policy (no inline script or style)."""
    response.headers.popall("Server", None)
    response.headers.update(SHARED_HEADERS)
    if response.content_type == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY


def hall_clock(config: HallConfig) -> Callable[[], datetime]:
    """The real clock, in the hall's time zone."""
    return lambda: datetime.now(config.timezone)


def init_app(
    config: HallConfig,
    db_path: str | Path,
    clock: Callable[[], datetime] | None = None,
    guides: tuple[GuideItem, ...] = (),
) -> web.Application:
    # The access log is outermost: it sees the answers the error middleware makes of exceptions.
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[access_log_middleware, error_middleware])
    app[appkeys.CONFIG] = config
    app[appkeys.GUIDES] = guides
    app[appkeys.CLOCK] = clock or hall_clock(config)
    app[appkeys.STORE] = Store(db_path)
    app[appkeys.HUB] = Hub()
    app[appkeys.SOCKETS] = set()
    app[appkeys.EVENT_SOCKETS] = SocketGate(config.limits.event_sockets, config.limits.event_sockets_per_address)
    app.cleanup_ctx.append(_store_ctx)
    app.cleanup_ctx.append(_engine_ctx)
    app.on_shutdown.append(_close_sockets)
    app.on_response_prepare.append(_shared_headers)
    app[appkeys.OPENAPI] = openapi_document(OPERATIONS)
    app[appkeys.LIMITS] = KioskLimit(config.limits.kiosk_tickets_per_minute)
    register(app, OPERATIONS)
    setup_pages(app)
    return app


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    store = app[appkeys.STORE]
    readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hallqueue-reader")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(readers, store.open)
    app[appkeys.READERS] = readers
    auth = Authenticator(store, readers, app[appkeys.CLOCK])
    auth.idle_s = app[appkeys.CONFIG].session_idle_s
    now = app[appkeys.CLOCK]()
    auth.load(await loop.run_in_executor(readers, lambda: accounts.live_sessions(store.reader(), now)))
    app[appkeys.AUTH] = auth
    yield
    readers.shutdown(wait=True)
    store.close()


async def _engine_ctx(app: web.Application) -> AsyncIterator[None]:
    store, hub = app[appkeys.STORE], app[appkeys.HUB]
    engine = Engine(app[appkeys.CONFIG], store, hub, app[appkeys.CLOCK])
    await engine.start()
    latest = await asyncio.get_running_loop().run_in_executor(
        app[appkeys.READERS], store.latest_events, RECENT_EVENTS_KEPT
    )
    hub.publish_restored(latest)
    app[appkeys.ENGINE] = engine
    yield
    await engine.stop()


async def _close_sockets(app: web.Application) -> None:
    for ws in set(app[appkeys.SOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
