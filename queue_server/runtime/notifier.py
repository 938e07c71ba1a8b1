"""短信提醒: the notifier sends the reminders a visitor who left a phone number is due.

It watches the hall as an engine observer (``Engine.observers``): after each committed batch it
works out the messages due (``core/notify.py``: 快到您了, 请到 N 号窗口) and stores them in the
outbox, one delivery per sink. A task per sink delivers them oldest first and records each
outcome. What makes it durable:

- **Nothing is sent before it is stored.** Every message is written to the outbox (SQLite) in an
  engine batch before a sink sees it; a restart loads what is still queued and sends it.
- **Made once.** A message's key names what it is about (ticket, kind, which call); the outbox
  stores a key once. After a restart the notifier works the state out again, which makes the
  message a crash lost between a batch and its outbox write, and nothing else.
- **Delivered once per sink.** A delivery is marked delivered after the sink took it; a sink that
  fails keeps the message at the head of its queue and waits (exponential backoff) before the
  next attempt, so a gateway that is down gets one request per wait, not a flood. The webhook
  carries the message id, so a gateway drops the copy a lost answer makes us send again.
- **Never blocking the hall.** The observer only computes and queues; the writes go through the
  engine's writer, the reads to the reader threads, the sending to its own tasks.

Numbers are kept for the ticket's business day plus ``[notify] keep_phone_days``, then erased
(at start and at each day turn); messages not delivered within their business day are dropped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from queue_server.core import notify
from queue_server.core.feedback import mask_phone
from queue_server.core.hall import HallState
from queue_server.core.model import Event, HallConfig
from queue_server.core.numbering import business_day
from queue_server.runtime.engine import CommandFailed, Context, Engine, StoreUnavailable
from queue_server.runtime.notify_sinks import DeliveryFailed, LogSink, Sink, WebhookSink
from queue_server.store import outbox
from queue_server.store.database import Store
from queue_server.store.outbox import Outgoing

_LOGGER = logging.getLogger(__name__)
_PRIVACY = logging.getLogger("hallqueue.privacy")
MAX_CHANGES_PER_TICKET = 5  # numbers left for one ticket: a ticket cannot text a whole address book
STUCK_AFTER_S = 120  # /admin flags a sink whose oldest queued message waited this long ...
STUCK_FAILURES = 3  # ... or that failed this many times in a row
LOG_BACKOFF_S, LOG_BACKOFF_MAX_S = 1.0, 60.0  # the log file's retries (a full disk, a lost mount)
STORE_RETRY_S = 1.0  # the outbox could not be written: try again after this


class Notifier:
    """The reminders of one hall. ``start`` after the engine, ``stop`` before it."""

    def __init__(
        self,
        config: HallConfig,
        engine: Engine,
        store: Store,
        readers: Executor,
        data_dir: Path,
        clock: Callable[[], datetime],
    ) -> None:
        self.config, self.engine, self.store, self.readers, self.clock = config, engine, store, readers, clock
        self.settings = config.notify
        sinks: list[Sink] = []
        if self.settings.log_file is not None:
            path = data_dir / self.settings.log_file  # an absolute log_file stays as it is
            sinks.append(LogSink(path, config.name, self.settings.log_full_phone, clock))
        if self.settings.webhook is not None:
            sinks.append(WebhookSink(self.settings.webhook, data_dir, config.name))
        self.sinks = {s.name: s for s in sinks}
        self._workers = {name: _Worker(self, sink) for name, sink in self.sinks.items()}
        self._day: date | None = None
        self._phones: dict[int, str] = {}  # today's tickets with a number left -> the number
        self._changes: dict[int, int] = {}  # today's tickets -> numbers left for them so far
        self._known: set[str] = set()  # keys of today's messages, stored or on their way
        self._unsaved: list[Outgoing] = []  # made, not stored yet (the saver's)
        self._save = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._chores: set[asyncio.Task] = set()

    @property
    def enabled(self) -> bool:
        """Whether the hall sends reminders (``[notify]`` names a sink)."""
        return bool(self.sinks)

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Erase what is past keeping, load today's numbers and the queued messages, start
        watching and sending, and make what the last process may have lost."""
        assert self.engine.state is not None, "start the engine first"
        day = self.engine.state.day
        # A server started on a later day erases by today's date at once, not at its first batch.
        today = max(day, business_day(self.clock(), self.config.timezone, self.config.day_start))
        loop = asyncio.get_running_loop()
        keep = self.settings.keep_phone_days
        if await loop.run_in_executor(self.readers, lambda: outbox.tidy_needed(self.store.reader(), today, keep)):
            await self._write(functools.partial(self._tidy, day=today))
        if not self.enabled:  # no sink: nothing to send, but numbers still get erased on time
            self.engine.observers.append(self._observe_days_only)
            self._day = day
            return
        phones, changes, keys, queued = await loop.run_in_executor(self.readers, self._load, day)
        self._day, self._phones, self._changes, self._known = day, phones, changes, keys
        for message in queued:
            self._workers[message.sink].queue.append(message)
        for sink in self.sinks.values():
            await sink.start()
        # Watching starts before the catch-up below, and the catch-up runs as a command: whatever
        # happened in between is seen by one or the other, and keys keep both from making it twice.
        self.engine.observers.append(self.observe)
        self._tasks = [asyncio.create_task(self._saver())]
        self._tasks += [asyncio.create_task(w.run()) for w in self._workers.values()]
        if phones:
            await self.engine.submit(self._catch_up)
        _LOGGER.info(
            "notifier: %s; %d message(s) queued", ", ".join(s.target for s in self.sinks.values()), len(queued)
        )

    async def stop(self) -> None:
        for observer in (self.observe, self._observe_days_only):
            if observer in self.engine.observers:
                self.engine.observers.remove(observer)
        tasks = [*self._tasks, *self._chores]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sink in self.sinks.values():
            await sink.stop()

    def _load(self, day: date) -> tuple[dict[int, str], dict[int, int], set[str], list[Outgoing]]:
        db = self.store.reader()
        phones = {ticket_id: phone for ticket_id, (phone, _) in outbox.phones_of_day(db, day).items()}
        return phones, outbox.changes_of(db, day), outbox.keys_of_day(db, day), outbox.queued(db, tuple(self.sinks))

    def _tidy(self, db: sqlite_utils.Database, day: date, now: datetime) -> None:
        outbox.expire(db, day, now)
        erased = outbox.purge(db, day, self.settings.keep_phone_days)
        if erased:
            _PRIVACY.info("erased %d phone number(s) left for tickets before %s", erased, day.isoformat())

    # ------------------------------------------------------------ watching the hall

    def observe(self, state: HallState, events: list[Event], now: datetime, everything: bool) -> None:
        """The engine observer: queue what the batch made due. No I/O here."""
        if state.day != self._day:
            self._turn_day(state.day)
        if everything:  # the config was reloaded: work every watched ticket out again
            self._spawn(self.engine.submit(self._catch_up))
            return
        self._enqueue(self._outgoing(notify.due_messages(state, self._phones, events), now))

    def _observe_days_only(self, state: HallState, events: list[Event], now: datetime, everything: bool) -> None:
        if state.day != self._day:
            self._turn_day(state.day)

    def _turn_day(self, day: date) -> None:
        """A new business day: yesterday's tickets are over, their numbers go when due."""
        self._day = day
        self._phones.clear()
        self._changes.clear()
        self._known.clear()
        self._unsaved = [m for m in self._unsaved if m.business_day >= day.isoformat()]
        for worker in self._workers.values():
            worker.drop(lambda m: m.business_day < day.isoformat())
        self._spawn(self._write(functools.partial(self._tidy, day=day)))

    def _catch_up(self, ctx: Context) -> None:
        """A command: make what the tickets with a number are due by where they stand (after a
        restart, a reload); queued once the batch committed."""
        due = []
        for ticket_id in self._phones:
            if (ticket := ctx.state.active.get(ticket_id)) is not None:
                due += notify.standing_messages(ctx.state, ticket)
        if due:
            ctx.after_commit.append(lambda: self._enqueue(self._outgoing(due, ctx.now)))

    def _outgoing(self, messages: Iterable[notify.Message], now: datetime) -> list[Outgoing]:
        """The messages to the numbers left now whose keys are new. A key counts the numbers
        left for its ticket: a corrected number gets again what the wrong one was sent."""
        out = []
        for m in messages:
            phone = self._phones.get(m.ticket_id)
            key = f"{m.key}/{self._changes.get(m.ticket_id, 0)}"
            if phone is None or key in self._known:
                continue
            out.append(
                Outgoing(
                    message_id=uuid.uuid4().hex,
                    sink="",
                    ticket_id=m.ticket_id,
                    business_day=m.business_day.isoformat(),
                    number=m.number,
                    kind=m.kind,
                    phone=phone,
                    phone_masked=mask_phone(phone),
                    text=m.text,
                    window=m.window,
                    ahead=m.ahead,
                    created_at=now.isoformat(),
                    key=key,
                )
            )
        return out

    def _enqueue(self, messages: list[Outgoing]) -> None:
        """Hand messages to the saver; from here on their keys count as made."""
        if messages:
            self._known.update(m.key for m in messages)
            self._unsaved.extend(messages)
            self._save.set()

    async def _saver(self) -> None:
        """Store what was made, a batch at a time (retried until stored); the sinks get each
        message once it is in the outbox."""
        while True:
            await self._save.wait()
            self._save.clear()
            batch, self._unsaved = self._unsaved, []
            if not batch:
                continue
            try:
                await self.engine.submit(functools.partial(self._store, messages=batch))
            except CommandFailed:  # a bug, logged by the engine with its stack: these are lost
                _LOGGER.error("%d reminder(s) could not be stored and are dropped", len(batch))
            except StoreUnavailable:
                _LOGGER.warning("could not store %d reminder(s); trying again", len(batch))
                self._unsaved[:0] = batch
                await asyncio.sleep(STORE_RETRY_S)
                self._save.set()

    def _store(self, ctx: Context, messages: list[Outgoing]) -> None:
        stored: set[str] = set()
        sinks = tuple(self.sinks)
        ctx.writes.append(lambda db: stored.update(outbox.add_messages(db, messages, sinks)))
        ctx.after_commit.append(lambda: self._stored(messages, stored))

    def _stored(self, messages: list[Outgoing], stored: set[str]) -> None:
        today = self._day.isoformat() if self._day else None
        for m in messages:
            # The outbox took only messages to numbers still left when it wrote them (in batch
            # order): one withdrawn or replaced meanwhile was not written, and is not sent.
            if m.message_id in stored and m.business_day == today and self._phones.get(m.ticket_id) == m.phone:
                for name, worker in self._workers.items():
                    worker.push(dataclasses.replace(m, sink=name))

    # ------------------------------------------------------------ 预约 messages

    def booking_message(self, booking_id: int, code: str, kind: str, phone: str, text: str, now: datetime) -> Outgoing:
        """A confirmation or reminder of a booking (``kind`` booking_confirmed, booking_reminder),
        made once per ``kind`` and booking."""
        return Outgoing(
            message_id=uuid.uuid4().hex,
            sink="",
            ticket_id=0,
            business_day=business_day(now, self.config.timezone, self.config.day_start).isoformat(),
            number=code,
            kind=kind,
            phone=phone,
            phone_masked=mask_phone(phone),
            text=text,
            window=None,
            ahead=None,
            created_at=now.isoformat(),
            key=f"booking:{booking_id}:{kind}",
            booking_id=booking_id,
        )

    def store_booking_messages(self, db: sqlite_utils.Database, messages: list[Outgoing]) -> list[Outgoing]:
        """Runs in a batch's transaction (``Context.writes``): store the messages; returns those
        stored, which ``send_stored`` hands to the sinks once the batch committed."""
        if not self.enabled or not messages:
            return []
        return outbox.add_booking_messages(db, messages, tuple(self.sinks))

    def send_stored(self, messages: list[Outgoing]) -> None:
        for m in messages:
            for name, worker in self._workers.items():
                worker.push(dataclasses.replace(m, sink=name))

    # ------------------------------------------------------------ numbers left by visitors

    def phone_left(self, ticket_id: int) -> str | None:
        """The number left for today's ticket, masked (138****5678), or None."""
        phone = self._phones.get(ticket_id)
        return mask_phone(phone) if phone is not None else None

    def leave_phone(self, ctx: Context, code: str, phone: str) -> tuple[str, str] | None:
        """A command: the visitor of today's ticket ``code`` leaves ``phone`` (replacing one left
        before). Returns ("ok", number); ("ended", number) for a ticket that is over;
        ("limit", number) past ``MAX_CHANGES_PER_TICKET``; None when today has no such ticket.
        What the ticket is due already (it may be close to the front, or called) is made at once.

        The notifier's memory changes after the commit only: a failed batch leaves it as the
        database is."""
        ticket = ctx.state.ticket_by_code(code)
        if ticket is None:
            return None
        if ticket.id not in ctx.state.active:
            return "ended", ticket.number
        changes = self._changes.get(ticket.id, 0)
        if changes >= MAX_CHANGES_PER_TICKET:
            return "limit", ticket.number
        ticket_id, day, number, masked, now = ticket.id, ticket.business_day, ticket.number, mask_phone(phone), ctx.now
        ctx.writes.append(lambda db: outbox.save_phone(db, ticket_id, day, number, phone, masked, now))

        def committed() -> None:
            self._phones[ticket_id], self._changes[ticket_id] = phone, self._changes.get(ticket_id, 0) + 1
            self._forget_queued(lambda m: m.ticket_id == ticket_id and m.phone != phone)
            if (live := ctx.state.active.get(ticket_id)) is not None:
                self._enqueue(self._outgoing(notify.standing_messages(ctx.state, live), now))
            _PRIVACY.info("phone number %s left for ticket %s", masked, number)

        ctx.after_commit.append(committed)
        return "ok", number

    def withdraw(self, ctx: Context, ticket_id: int) -> None:
        """A command: the visitor takes the number back; it is erased, and nothing more is sent."""
        now = ctx.now
        ctx.writes.append(lambda db: outbox.withdraw_phone(db, ticket_id, now))

        def committed() -> None:
            self._phones.pop(ticket_id, None)
            self._forget_queued(lambda m: m.ticket_id == ticket_id)
            _PRIVACY.info("phone number withdrawn for ticket id %d", ticket_id)

        ctx.after_commit.append(committed)

    def _forget_queued(self, which: Callable[[Outgoing], bool]) -> None:
        self._unsaved = [m for m in self._unsaved if not which(m)]
        for worker in self._workers.values():
            worker.drop(which)

    # ------------------------------------------------------------ writing, status

    async def _write(self, fn: Callable[..., Any]) -> None:
        """Write to the outbox in the engine's next batch (``fn(db, now=…)``), until it is written."""
        while True:
            try:
                await self.engine.submit(lambda ctx: ctx.writes.append(lambda db: fn(db, now=ctx.now)))
                return
            except CommandFailed:  # a bug, logged by the engine with its stack
                return
            except StoreUnavailable:
                _LOGGER.warning("could not write the outbox; trying again")
                await asyncio.sleep(STORE_RETRY_S)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def status(self) -> dict[str, Any]:
        """What /admin shows: per sink, queued, delivered and failed today, the last error, and
        whether messages are stuck. No number and no secret."""
        assert self.engine.state is not None
        day, now = self.engine.state.day, self.clock()
        sinks = tuple(self.sinks)
        # The workers' counts are taken before the rows are read: a worker counts a failure once
        # its row is written, so the counts shown never run ahead of the rows.
        seen = {name: (w.failures_in_a_row, w.last_error) for name, w in self._workers.items()}

        def read() -> tuple[int, dict[str, dict[str, Any]]]:
            db = self.store.reader()
            return outbox.phones_left(db, day), {name: outbox.sink_figures(db, name, day) for name in sinks}

        phones, figures = await asyncio.get_running_loop().run_in_executor(self.readers, read)
        out = []
        for name, sink in self.sinks.items():
            f, worker = figures[name], self._workers[name]
            failures_in_a_row, last_error = seen[name]
            oldest = f.pop("oldest_queued_at")
            if last_error is not None:  # this process saw it happen (the rows' times may tie)
                f["last_error"], f["last_error_at"] = last_error
            age = max(0, round((now - datetime.fromisoformat(oldest)).total_seconds())) if oldest else None
            stuck = f["queued"] > 0 and (
                (age is not None and age >= STUCK_AFTER_S) or failures_in_a_row >= STUCK_FAILURES
            )
            out.append(
                {
                    "name": name,
                    "label": sink.label,
                    "target": sink.target,
                    **f,
                    "oldest_queued_s": age,
                    "failures_in_a_row": failures_in_a_row,
                    "retry_in_s": worker.retry_in_s(),
                    "stuck": stuck,
                }
            )
        return {
            "enabled": self.enabled,
            "business_day": day.isoformat(),
            "notify_ahead": self.config.rules.notify_ahead,
            "keep_phone_days": self.settings.keep_phone_days,
            "phones_today": phones,
            "sinks": out,
        }


class _Worker:
    """Delivers one sink's queue, oldest first, one message at a time."""

    def __init__(self, notifier: Notifier, sink: Sink) -> None:
        self.notifier, self.sink = notifier, sink
        self.queue: deque[Outgoing] = deque()
        self._wake = asyncio.Event()
        webhook = notifier.settings.webhook if sink.name == "webhook" else None
        self.backoff_s = webhook.backoff_s if webhook else LOG_BACKOFF_S
        self.backoff_max_s = webhook.backoff_max_s if webhook else LOG_BACKOFF_MAX_S
        self.max_attempts = webhook.max_attempts if webhook else 0
        self.failures_in_a_row = 0
        self.last_error: tuple[str, str] | None = None  # (why, when) of this process's last failure
        self._retry_at: float | None = None  # loop time of the next attempt while backing off

    def push(self, message: Outgoing) -> None:
        self.queue.append(message)
        self._wake.set()

    def drop(self, which: Callable[[Outgoing], bool]) -> None:
        """Leave out the queued messages ``which`` picks (withdrawn, or of an ended day)."""
        self.queue = deque(m for m in self.queue if not which(m))

    def retry_in_s(self) -> float | None:
        if self._retry_at is None:
            return None
        return round(max(0.0, self._retry_at - asyncio.get_running_loop().time()), 1)

    async def run(self) -> None:
        while True:
            if not self.queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            message = self.queue[0]
            try:
                await self.sink.deliver(message)
            except DeliveryFailed as exc:
                await self._failed(message, exc)
                continue
            except Exception:  # a bug in a sink: logged with its stack, treated as a failed attempt
                _LOGGER.exception("sink %s failed on message %s", self.sink.name, message.message_id)
                await self._failed(message, DeliveryFailed("内部错误，已记录日志"))
                continue
            self.failures_in_a_row = 0
            await self._record(outbox.settle, message, state=outbox.DELIVERED)
            self._remove(message)

    async def _failed(self, message: Outgoing, exc: DeliveryFailed) -> None:
        message.failures += 1
        when = self.notifier.clock().isoformat()
        out_of_attempts = self.max_attempts and message.failures >= self.max_attempts
        if not exc.retry or out_of_attempts:
            _LOGGER.warning("%s: message %s not delivered, given up: %s", self.sink.name, message.message_id, exc)
            await self._record(outbox.settle, message, state=outbox.FAILED, error=exc.message)
            self._remove(message)
        else:
            _LOGGER.warning("%s: delivery failed (attempt %d): %s", self.sink.name, message.failures, exc)
            await self._record(outbox.record_failure, message, error=exc.message)
        # Counted once the row holds the attempt: /admin reads both, and must never show more
        # failures in a row than failed attempts recorded.
        self.last_error = (exc.message, when)
        if not exc.retry:  # this message was refused; the link works, go on with the next
            self.failures_in_a_row = 0
            return
        self.failures_in_a_row += 1
        delay = min(exc.retry_after_s or self.backoff_s * 2 ** (self.failures_in_a_row - 1), self.backoff_max_s)
        loop = asyncio.get_running_loop()
        self._retry_at = loop.time() + delay
        try:
            await asyncio.sleep(delay)
        finally:
            self._retry_at = None

    def _remove(self, message: Outgoing) -> None:
        if self.queue and self.queue[0] is message:
            self.queue.popleft()
        elif message in self.queue:
            self.queue.remove(message)

    async def _record(self, fn: Callable[..., None], message: Outgoing, **values: Any) -> None:
        """Write an attempt's outcome for ``message`` to this sink's delivery row."""
        await self.notifier._write(functools.partial(fn, message_id=message.message_id, sink=self.sink.name, **values))
