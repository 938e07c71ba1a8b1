"""The aiohttp application factory; the server, the tests and the benchmark all use it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from aiohttp import WSCloseCode, web

from queue_server.api import appkeys
from queue_server.api.auth import Authenticator
from queue_server.api.errors import error_middleware
from queue_server.api.pages import setup_pages
from queue_server.api.public_api import setup_routes
from queue_server.api.staff_api import setup_staff_routes
from queue_server.config.guides import GuideItem
from queue_server.core.model import HallConfig
from queue_server.runtime.engine import Engine
from queue_server.runtime.hub import RECENT_EVENTS_KEPT, Hub
from queue_server.store import accounts
from queue_server.store.database import Store

_LOGGER = logging.getLogger(__name__)
MAX_BODY_BYTES = 16 * 1024  # a ticket request is under 200 bytes


def hall_clock(config: HallConfig) -> Callable[[], datetime]:
    """The real clock, in the hall's time zone."""
    return lambda: datetime.now(config.timezone)


def init_app(
    config: HallConfig,
    db_path: str | Path,
    clock: Callable[[], datetime] | None = None,
    guides: tuple[GuideItem, ...] = (),
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[error_middleware])
    app[appkeys.CONFIG] = config
    app[appkeys.GUIDES] = guides
    app[appkeys.CLOCK] = clock or hall_clock(config)
    app[appkeys.STORE] = Store(db_path)
    app[appkeys.HUB] = Hub()
    app[appkeys.SOCKETS] = set()
    app.cleanup_ctx.append(_store_ctx)
    app.cleanup_ctx.append(_engine_ctx)
    app.on_shutdown.append(_close_sockets)
    setup_routes(app)
    setup_staff_routes(app)
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
