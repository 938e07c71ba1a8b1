"""A chore the server does by itself: at start, then every so often, until it stops."""

from __future__ import annotations

import asyncio
import logging

from queue_server.runtime.engine import CommandFailed, StoreUnavailable

_LOGGER = logging.getLogger(__name__)


class Periodic:
    """Runs ``run_once`` at ``start`` and every ``every_s`` seconds. A round whose batch could not
    be written (the engine logged why) is tried again the next time."""

    every_s = 60.0
    what = "a periodic chore"  # for the log line of a failed round

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None

    async def run_once(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except (StoreUnavailable, CommandFailed):
                _LOGGER.warning("%s could not be written this round; will retry", self.what)
            await asyncio.sleep(self.every_s)
