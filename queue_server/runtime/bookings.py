"""预约 at run time: the keyed hash that keeps ID numbers out of the database, and the keeper that
marks missed bookings, sends tomorrow's reminders and erases personal data when it is due.

The key is 32 random bytes in ``booking.key`` in the data folder (beside the database), made at
the first start, readable by the server's user only. Without it a stored hash cannot be checked
against the 10^10-odd possible ID numbers of a region and year; a database copied off the server
alone does not give the numbers back.

The keeper runs at start and every ``KEEPER_S`` seconds, as an engine command (its writes commit
in a batch like every other change):

- **missed**: a booking never checked in is missed once its slot is more than ``check_in_late``
  old (with ``late = "refuse"``), or once its day is over (with ``late = "normal"``, where a late
  visitor still gets a normal ticket that day);
- **reminders**: from ``remind_at`` the day before, each of tomorrow's bookings gets one SMS;
- **erasure**: name, phone and hashes go ``keep_days`` after the slot's day.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import sqlite_utils

from queue_server.core import booking
from queue_server.core.model import HallConfig
from queue_server.runtime.engine import CommandFailed, Context, Engine, StoreUnavailable
from queue_server.runtime.notifier import Notifier
from queue_server.store import bookings as store

_LOGGER = logging.getLogger(__name__)
_PRIVACY = logging.getLogger("hallqueue.privacy")
KEY_FILE = "booking.key"
KEEPER_S = 60.0
REMINDER, CONFIRMATION = "booking_reminder", "booking_confirmed"


def load_key(data_dir: Path) -> bytes:
    """The HMAC key, made (0600) at the first start."""
    path = data_dir / KEY_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex() + "\n")
        f.flush()
        os.fsync(f.fileno())
    _LOGGER.info("made the booking key %s", path)
    return key


class BookingDesk:
    """The hall's bookings at run time. ``start`` after the engine and the notifier."""

    def __init__(
        self,
        config: Callable[[], HallConfig],
        engine: Engine,
        notifier: Notifier,
        data_dir: Path,
        clock: Callable[[], datetime],
    ) -> None:
        self.config, self.engine, self.notifier, self.clock = config, engine, notifier, clock
        self._key = load_key(data_dir)
        # Bookings this process checked in or cancelled, by id: commands run one at a time, so a
        # command that sees a booking here knows it changed after the caller read it.
        self.changed: dict[int, str] = {}
        self._task: asyncio.Task | None = None

    def phone_hash(self, phone: str) -> str:
        return hmac.new(self._key, b"phone:" + phone.encode(), hashlib.sha256).hexdigest()

    def id_hash(self, id_number: str) -> str:
        return hmac.new(self._key, b"id:" + id_number.encode(), hashlib.sha256).hexdigest()

    # ------------------------------------------------------------ the keeper

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._keep())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _keep(self) -> None:
        while True:
            try:
                await self.engine.submit(self.tidy)
            except (StoreUnavailable, CommandFailed):  # logged by the engine; the next round retries
                _LOGGER.warning("bookings: could not mark, remind or erase this round; will retry")
            await asyncio.sleep(KEEPER_S)

    def tidy(self, ctx: Context) -> None:
        """A command: mark missed bookings, make the reminders due, erase what is past keeping."""
        config, now = self.config(), ctx.now
        rules = config.booking
        today = now.astimezone(config.timezone).date()  # a booking's day is its slot's date
        if rules.late == "refuse":
            slots_before = booking.missed_by(now, rules).isoformat()
        else:
            slots_before = datetime.combine(today, datetime.min.time(), config.timezone).isoformat()
        erase_before = (today - timedelta(days=rules.keep_days)).isoformat()
        tomorrow = today + timedelta(days=1)
        remind = now >= booking.reminder_due_from(tomorrow, rules, config.timezone)
        sent: list = []

        def write(db: sqlite_utils.Database) -> None:
            missed = store.mark_missed(db, slots_before, today.isoformat(), now)
            erased = store.erase(db, erase_before, now)
            if erased:
                _PRIVACY.info("erased the personal data of %d booking(s) before %s", erased, erase_before)
            if missed:
                _LOGGER.info("%d booking(s) missed", missed)
            if remind:
                sent.extend(self._reminders(db, config, tomorrow.isoformat(), now))

        ctx.writes.append(write)
        ctx.after_commit.append(lambda: self.notifier.send_stored(sent))

    def _reminders(self, db: sqlite_utils.Database, config: HallConfig, day: str, now: datetime) -> list:
        due = store.reminders_due(db, day)
        if not due:
            return []
        store.set_reminded(db, [b["id"] for b in due], now)
        messages = []
        for b in due:
            service = config.services.get(b["service"])
            if service is None:  # a service removed from the config since: staff contact them
                continue
            slot = booking.Slot(datetime.fromisoformat(b["slot_start"]), datetime.fromisoformat(b["slot_end"]))
            text = booking.reminder_text(config.name, service.name, slot, b["code"], config.booking)
            messages.append(self.notifier.booking_message(b["id"], b["code"], REMINDER, b["phone"], text, now))
        return self.notifier.store_booking_messages(db, messages)
