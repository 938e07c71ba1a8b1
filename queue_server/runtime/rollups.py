"""Folding closed business days into the 统计分析 rollup, in the background of a running server.

At start and then every ``EVERY_S`` the keeper folds each business day before today that is
not folded yet (``store/rollup.py``): the day that just turned over, or, the first time a
server starts on a history written by an older hallqueue, every day of it. It works on a thread
of its own with its own connection, a day per transaction, so the engine's writes wait at most
one day's fold; a report meanwhile reads the unfolded days from the tickets, so it is never
wrong, only slower.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from queue_server.core.model import HallConfig
from queue_server.store import rollup
from queue_server.store.database import connect

_LOGGER = logging.getLogger(__name__)
EVERY_S = 600.0


class RollupKeeper:
    def __init__(self, db_path, config: Callable[[], HallConfig], clock: Callable[[], datetime]) -> None:
        self.db_path = db_path
        self.config = config  # the live config: departments as the hall has them now
        self.clock = clock
        self._stop = threading.Event()  # seen by the folding thread between days
        self._stopped = asyncio.Event()  # wakes the loop from its wait
        self._task: asyncio.Task | None = None

    def fold_missing(self) -> int:
        """Fold what is missing; returns how many days (stops early when the server stops)."""
        db = connect(self.db_path)
        try:
            now = self.clock()
            config = self.config()
            today = rollup.closed_before(db, now, config)
            folded = 0
            for day in rollup.days_to_roll_up(db, today):
                if self._stop.is_set():
                    break
                rollup.roll_up(db, [day], config, now)
                folded += 1
            if folded:
                _LOGGER.info("统计: folded %d closed business day(s) into the report rollup", folded)
            return folded
        finally:
            db.close()

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self.fold_missing)
            except Exception:  # the next round tries again; reports read unfolded days live meanwhile
                _LOGGER.exception("folding closed days into the report rollup failed")
            try:
                await asyncio.wait_for(self._stopped.wait(), EVERY_S)
            except TimeoutError:
                pass

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Let the day being folded finish (one transaction), then end."""
        self._stop.set()
        self._stopped.set()
        if self._task is not None:
            await self._task
