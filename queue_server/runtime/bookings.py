"""预约 at run time: the keeper that marks missed bookings and sends tomorrow's reminders (phones
and ID numbers are hashed, and erased when due, by ``runtime/privacy.py``).

The keeper runs at start and every minute, as an engine command (its writes commit
in a batch like every other change):

- **missed**: a booking never checked in is missed once its slot is more than ``check_in_late``
  old (with ``late = "refuse"``), or once its day is over (with ``late = "normal"``, where a late
  visitor still gets a normal ticket that day);
- **reminders**: from ``remind_at`` the day before, each of tomorrow's bookings gets one SMS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlite_utils

from queue_server.core import booking
from queue_server.core.model import HallConfig
from queue_server.runtime.engine import Context, Engine
from queue_server.runtime.notifier import Notifier
from queue_server.runtime.periodic import Periodic
from queue_server.store import bookings as store

_LOGGER = logging.getLogger(__name__)
REMINDER, CONFIRMATION = "booking_reminder", "booking_confirmed"


class BookingDesk(Periodic):
    """The hall's bookings at run time. ``start`` after the engine and the notifier."""

    what = "bookings: marking missed ones and the reminders"

    def __init__(
        self,
        config: Callable[[], HallConfig],
        engine: Engine,
        notifier: Notifier,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__()
        self.config, self.engine, self.notifier, self.clock = config, engine, notifier, clock
        # Bookings this process checked in or cancelled, by id: commands run one at a time, so a
        # command that sees a booking here knows it changed after the caller read it.
        self.changed: dict[int, str] = {}

    async def run_once(self) -> None:
        await self.engine.submit(self.tidy)

    def tidy(self, ctx: Context) -> None:
        """A command: mark missed bookings, make the reminders due."""
        config, now = self.config(), ctx.now
        rules = config.booking
        today = now.astimezone(config.timezone).date()  # a booking's day is its slot's date
        if rules.late == "refuse":
            slots_before = booking.missed_by(now, rules).isoformat()
        else:
            slots_before = datetime.combine(today, datetime.min.time(), config.timezone).isoformat()
        tomorrow = today + timedelta(days=1)
        remind = now >= booking.reminder_due_from(tomorrow, rules, config.timezone)
        sent: list = []

        def write(db: sqlite_utils.Database) -> None:
            missed = store.mark_missed(db, slots_before, today.isoformat(), now)
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
