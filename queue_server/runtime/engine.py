"""The command loop between the HTTP handlers and the hall core (group commit).

Handlers ``submit`` a command: a function of a :class:`Context` that reads or changes the
``HallState``. Commands run one at a time on the event loop, so two clerks can never take
the same ticket. Commands that arrive while the previous batch is being written form the
next batch: the batch's changes are written in one SQLite transaction (one fsync) and only
then does any command of the batch get its answer, and are its events published.

If the write fails, nothing of the batch is answered as done: every command in it gets
``StoreUnavailable`` and the state is rebuilt from the database.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import sqlite_utils

from queue_server.core.errors import QueueError
from queue_server.core.hall import HallState
from queue_server.core.model import Event, HallConfig
from queue_server.runtime.hub import Hub
from queue_server.store.database import Store, StoreError

_LOGGER = logging.getLogger(__name__)
# One line per committed change (A001 issued hz-idcard by kiosk:lobby-1); `serve --log-level
# warning` silences it.
_EVENT_LOG = logging.getLogger("hallqueue.events")
T = TypeVar("T")
TICK_S = 15.0  # how often the day-turn check runs when nobody is taking tickets


class StoreUnavailable(Exception):
    """The command's batch could not be written; nothing of it happened."""


class CommandFailed(Exception):
    """A command raised something other than a ``QueueError``: a bug, logged with its stack."""


@dataclass
class Context:
    """What a command sees: the state, the batch's time, and hooks into the transaction."""

    state: HallState
    now: datetime
    writes: list[Callable[[sqlite_utils.Database], None]] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)


# Called after each committed batch, once its events are published, with the state as the batch
# left it: the visitors' phones and the notifier see where each ticket stands without a command
# of their own. ``events`` is empty and ``everything`` true after the state was rebuilt (a reload).
Observer = Callable[[HallState, list[Event], datetime, bool], None]


class Engine:
    def __init__(self, config: HallConfig, store: Store, hub: Hub, clock: Callable[[], datetime]):
        self.config = config
        self.store = store
        self.hub = hub
        self.clock = clock
        self.state: HallState | None = None
        self._pending: list[tuple[Callable[[Context], Any], asyncio.Future]] = []
        self._wake = asyncio.Event()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hallqueue-writer")
        self._tasks: list[asyncio.Task] = []
        # Held while a batch runs, and by a reload: a reload swaps the state between batches only.
        self._between_batches = asyncio.Lock()
        self.commits = 0  # transactions written (each one fsync), for monitoring and the benchmark
        self.observers: list[Observer] = []

    async def start(self) -> None:
        await self._rebuild()
        self._tasks = [asyncio.create_task(self._run()), asyncio.create_task(self._tick())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for _, fut in self._pending:
            if not fut.done():
                fut.set_exception(StoreUnavailable("server is shutting down"))
        self._writer.shutdown(wait=True)

    async def _rebuild(self) -> None:
        loop = asyncio.get_running_loop()
        restored = await loop.run_in_executor(self._writer, self.store.restore, self.config, self.clock())
        self.state = HallState(self.config, restored)

    async def reload(self, config: HallConfig, actor: str, **data: Any) -> list[Event]:
        """Run the hall on ``config`` from now on (``hallqueue reload``).

        Between two batches, never during one: the state is rebuilt from the database with the
        new config exactly as a restart would (waiting tickets of a removed service expire, the
        潮汐窗口 changes that still fit are kept), the reload is recorded (``CONFIG_RELOADED``
        with ``data``), and its events are written, published and logged; then the observers
        hear that anything may have changed. Commands that arrive meanwhile wait for the next
        batch, which runs on the new config.

        Returns the reload's events. Raises ``StoreUnavailable`` when the database cannot be
        read or written: the hall then runs on as before, on the old config.
        """
        loop = asyncio.get_running_loop()
        async with self._between_batches:
            now = self.clock()
            try:
                restored = await loop.run_in_executor(self._writer, self.store.restore, config, now)
                state = HallState(config, restored)
                state.record_reload(actor, now, **data)
                state.review_alerts(now)  # alerts about removed services and windows end here
                journal = state.take_journal()
                await loop.run_in_executor(self._writer, self.store.persist, journal, ())
            except (StoreError, sqlite3.Error) as exc:
                _LOGGER.exception("could not reload the hall config into the database")
                raise StoreUnavailable("the database could not be read or written") from exc
            self.config, self.state = config, state
            self.commits += 1
            self.hub.publish(journal.events)
            self._notify([], now, everything=True)
            for e in journal.events:
                _EVENT_LOG.info("%s", describe(e))
        return journal.events

    async def submit(self, command: Callable[[Context], T]) -> T:
        """Run ``command`` in the next batch; returns its result once the batch committed."""
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending.append((command, fut))
        self._wake.set()
        return await fut

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                await self.submit(lambda ctx: None)
            except StoreUnavailable:
                _LOGGER.warning("periodic check could not write; will retry")

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            async with self._between_batches:
                batch, self._pending = self._pending, []
                if batch:
                    await self._run_batch(batch)

    async def _run_batch(self, batch: list[tuple[Callable[[Context], Any], asyncio.Future]]) -> None:
        assert self.state is not None
        ctx = Context(self.state, self.clock())
        outcomes: list[tuple[asyncio.Future, Any, BaseException | None]] = []
        try:
            self.state.advance(ctx.now)
            self.state.review_alerts(ctx.now)  # the time that passed: the commands see alerts as they stand
            for command, fut in batch:
                try:
                    outcomes.append((fut, command(ctx), None))
                except QueueError as exc:  # refused; the core changed nothing
                    outcomes.append((fut, None, exc))
            # And after them: what they changed may start or end an alert too (a call ends a long
            # wait). The periodic tick's empty batch is what notices a wait growing too long.
            self.state.review_alerts(ctx.now)
        except Exception:
            # A bug may have left the state half-changed: drop the batch, reload what is on disk.
            _LOGGER.exception("a command failed; the batch is dropped and the state reloaded")
            self.state.take_journal(estimates=False)
            await self._rebuild()
            for _, fut in batch:
                _settle(fut, None, CommandFailed("internal error; nothing was changed"))
            return
        journal = self.state.take_journal()
        if journal or ctx.writes:
            try:
                await asyncio.get_running_loop().run_in_executor(self._writer, self.store.persist, journal, ctx.writes)
            except StoreError:
                _LOGGER.exception("could not write a batch of %d commands", len(batch))
                await self._rebuild_after_failure()
                for fut, _, err in outcomes:
                    _settle(fut, None, err or StoreUnavailable("the database could not be written"))
                return
            self.commits += 1
        for callback in ctx.after_commit:
            callback()
        for fut, result, err in outcomes:
            _settle(fut, result, err)
        self.hub.publish(journal.events)
        if journal.events:
            self._notify(journal.events, ctx.now, everything=False)
        if _EVENT_LOG.isEnabledFor(logging.INFO):
            for e in journal.events:
                _EVENT_LOG.info("%s", describe(e))

    def _notify(self, events: list[Event], now: datetime, everything: bool) -> None:
        for observer in self.observers:
            try:
                observer(self.state, events, now, everything)
            except Exception:  # an observer's bug must not stop the hall; it is logged with its stack
                _LOGGER.exception("observer %r failed", observer)

    async def _rebuild_after_failure(self) -> None:
        try:
            await self._rebuild()
        except Exception:  # the disk is gone: keep the old state, every write fails until it returns
            _LOGGER.exception("could not reload the state from the database")


def describe(e: Event) -> str:
    """A committed change in one line, for the server's log."""
    parts = [f"#{e.seq}"]
    if e.ticket:
        parts.append(f"{e.ticket['number']} {e.kind} {e.ticket['service']}")
        if e.window is not None:
            parts.append(f"window {e.window}")
    else:
        parts.append(e.kind + (f" window {e.window}" if e.window is not None else ""))
        parts.extend(f"{k}={v}" for k, v in e.data.items() if k in ("device", "component", "state", "reason"))
    parts.append(f"by {e.actor}")
    return " ".join(parts)


def _settle(fut: asyncio.Future, result: Any, err: BaseException | None) -> None:
    if fut.done():  # the caller went away (client disconnected); the command still happened
        return
    if err is not None:
        fut.set_exception(err)
    else:
        fut.set_result(result)
