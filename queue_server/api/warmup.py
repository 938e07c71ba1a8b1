"""Right after the server starts, load in the background what the first requests would
otherwise wait for: pypinyin (the service lists' pinyin initials) and, when the reception desk
has a printer, python-escpos. Each takes about half a second to import; the server answers
without them meanwhile, and starts (and restarts after a crash) that much sooner."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from queue_server.api import appkeys
from queue_server.config.guides import pinyin_initials
from queue_server.core.model import HallConfig

_LOGGER = logging.getLogger(__name__)


def warm_up(config: HallConfig) -> None:
    for service in config.services.values():
        pinyin_initials(service.name)
    if config.reception_printer:
        import hardware.printer  # noqa: F401
        import queue_server.client  # noqa: F401  (the ticket's layout)


async def warmup_ctx(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(asyncio.to_thread(warm_up, app[appkeys.CONFIG]))
    yield
    try:
        await task  # a thread cannot be cancelled: a server stopped at once waits for it
    except Exception:  # what failed here fails again, with its error, on the request that needs it
        _LOGGER.exception("warming up failed")
