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
from queue_server.api.limits import WINDOW_S, BookingLimit, KioskLimit, SlidingWindow, SocketGate
from queue_server.api.openapi import openapi_document
from queue_server.api.operations import OPERATIONS
from queue_server.api.pages import CONTENT_SECURITY_POLICY, setup_pages
from queue_server.api.phone_view import phone_view
from queue_server.api.routes import PRINCIPAL, register
from queue_server.api.warmup import warmup_ctx
from queue_server.config.guides import GuideItem
from queue_server.config.hall_files import HallFiles
from queue_server.core.model import HallConfig
from queue_server.runtime.bookings import BookingDesk
from queue_server.runtime.engine import Engine
from queue_server.runtime.hub import RECENT_EVENTS_KEPT, Hub
from queue_server.runtime.notifier import Notifier
from queue_server.runtime.phone_watch import PhoneWatch
from queue_server.runtime.privacy import PersonalHasher, PrivacyKeeper
from queue_server.runtime.rollups import RollupKeeper
from queue_server.store import accounts, ticket_ids
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
    if route.name == "booking_page":
        return "/book/…"
    # The same link in the phone's API calls; a booking's code (it checks in at the kiosk).
    if code := request.match_info.get("public_code") or request.match_info.get("booking_code"):
        return request.rel_url.raw_path.replace(code, "…")
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
    config_path: Path | None = None,
) -> web.Application:
    """The server's app for the hall ``config`` (read from ``config_path``, ``None``: the sample
    hall, which is what a reload reads again) and its database at ``db_path``."""
    # The access log is outermost: it sees the answers the error middleware makes of exceptions.
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[access_log_middleware, error_middleware])
    app[appkeys.CONFIG] = config
    app[appkeys.FILES] = HallFiles(config, guides, config_path)
    app[appkeys.CLOCK] = clock or hall_clock(config)
    app[appkeys.STORE] = Store(db_path)
    app[appkeys.HUB] = Hub()
    app[appkeys.PHONE_WATCH] = PhoneWatch(phone_view)
    app[appkeys.SOCKETS] = set()
    app[appkeys.EVENT_SOCKETS] = SocketGate(config.limits.event_sockets, config.limits.event_sockets_per_address)
    app.cleanup_ctx.append(_store_ctx)
    app.cleanup_ctx.append(_engine_ctx)
    app.cleanup_ctx.append(_notifier_ctx)
    app.cleanup_ctx.append(_bookings_ctx)
    app.cleanup_ctx.append(_privacy_ctx)
    app.cleanup_ctx.append(_rollup_ctx)
    app.cleanup_ctx.append(warmup_ctx)
    app[appkeys.SMS_LIMIT] = SlidingWindow(config.notify.signups_per_minute, WINDOW_S)
    app[appkeys.BOOKING_LIMIT] = BookingLimit(config.booking.requests_per_minute)
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
    # The key for ID and phone numbers, beside the database (made at the first start).
    app[appkeys.HASHER] = await loop.run_in_executor(readers, PersonalHasher, store.path.parent)
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
    engine.observers.append(app[appkeys.PHONE_WATCH].observe)
    await engine.start()
    # Only the state's business day: a reconnecting screen catches up within the day, and a
    # server on years of history reads (and keeps) no more than on a new database.
    day = engine.state.day
    latest = await asyncio.get_running_loop().run_in_executor(
        app[appkeys.READERS], lambda: store.latest_events(RECENT_EVENTS_KEPT, day)
    )
    hub.publish_restored(latest)
    app[appkeys.ENGINE] = engine
    yield
    await engine.stop()


async def _notifier_ctx(app: web.Application) -> AsyncIterator[None]:
    """短信提醒: started after the engine (it watches it), stopped before it (it writes through it).
    The log file and the webhook's key file live in the data folder, the database's."""
    store = app[appkeys.STORE]
    notifier = Notifier(
        app[appkeys.CONFIG], app[appkeys.ENGINE], store, app[appkeys.READERS], store.path.parent, app[appkeys.CLOCK]
    )
    await notifier.start()
    app[appkeys.NOTIFIER] = notifier
    yield
    await notifier.stop()


async def _bookings_ctx(app: web.Application) -> AsyncIterator[None]:
    """预约's keeper: marks missed bookings, sends reminders, erases personal data; after the notifier."""
    files = app[appkeys.FILES]
    desk = BookingDesk(lambda: files.config, app[appkeys.ENGINE], app[appkeys.NOTIFIER], app[appkeys.CLOCK])
    desk.start()
    app[appkeys.BOOKINGS] = desk
    yield
    await desk.stop()


async def _privacy_ctx(app: web.Application) -> AsyncIterator[None]:
    """身份证取号's day of tickets per ID (restored), and the keeper that erases personal data."""
    store, engine = app[appkeys.STORE], app[appkeys.ENGINE]
    day = engine.state.day
    app[appkeys.ID_TICKETS] = await asyncio.get_running_loop().run_in_executor(
        app[appkeys.READERS], lambda: ticket_ids.of_day(store.reader(), day)
    )
    files = app[appkeys.FILES]
    keeper = PrivacyKeeper(lambda: files.config, engine, store, app[appkeys.READERS], app[appkeys.CLOCK])
    keeper.start()
    app[appkeys.PRIVACY] = keeper
    yield
    await keeper.stop()


async def _rollup_ctx(app: web.Application) -> AsyncIterator[None]:
    """统计分析: closed days are folded into the report rollup in the background."""
    files = app[appkeys.FILES]
    keeper = RollupKeeper(app[appkeys.STORE].path, lambda: files.config, app[appkeys.CLOCK])
    keeper.start()
    app[appkeys.ROLLUPS] = keeper
    yield
    await keeper.stop()


async def _close_sockets(app: web.Application) -> None:
    app[appkeys.PHONE_WATCH].close_all()
    for ws in set(app[appkeys.SOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
