"""The keyed hash that keeps ID numbers (and, for the booking rules, phone numbers) out of the
database: HMAC-SHA256 under 32 random bytes in ``privacy.key`` in the data folder (beside the
database), made at the first start and readable by the server's user only.

Without the key a stored hash cannot be checked against the 10^10-odd ID numbers of a region and
year, so a database copied off the server does not give the numbers back. One key for every use:
a booking's ID hash and a ticket's must match (a booking checks in by the ID card).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlite_utils

from queue_server.core.model import HallConfig
from queue_server.runtime.engine import Context, Engine
from queue_server.runtime.periodic import Periodic
from queue_server.store import bookings, ticket_ids
from queue_server.store.database import Store

_LOGGER = logging.getLogger(__name__)
_PRIVACY = logging.getLogger("hallqueue.privacy")
KEY_FILE = "privacy.key"


def load_key(data_dir: Path) -> bytes:
    """The key, made (mode 0600) at the first start."""
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
    _LOGGER.info("made the key for personal data %s", path)
    return key


class PersonalHasher:
    """Keyed hashes of personal numbers; a different prefix for each kind of number."""

    def __init__(self, data_dir: Path) -> None:
        self._key = load_key(data_dir)

    def _hash(self, kind: bytes, value: str) -> str:
        return hmac.new(self._key, kind + b":" + value.encode(), hashlib.sha256).hexdigest()

    def phone(self, phone: str) -> str:
        return self._hash(b"phone", phone)

    def id_number(self, id_number: str) -> str:
        return self._hash(b"id", id_number)


class PrivacyKeeper(Periodic):
    """Erases personal data when the hall's rules say, by itself: the ID hashes of tickets
    ``[privacy] keep_days`` after their day, and the name, phone and hashes of bookings
    ``[booking] keep_days`` after their slot's day. At start and every minute, as
    an engine command; each erasure is recorded in the audit log (``personal_data_erased``: the
    rule, the cut-off, how many) without the data."""

    what = "privacy: erasing personal data past keep_days"

    def __init__(
        self,
        config: Callable[[], HallConfig],
        engine: Engine,
        store: Store,
        readers: Executor,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__()
        self.config, self.engine, self.store, self.readers, self.clock = config, engine, store, readers, clock

    def cutoffs(self, now: datetime) -> tuple[date, date]:
        """(tickets before, bookings before): days whose personal data is past keeping."""
        config = self.config()
        today = now.astimezone(config.timezone).date()
        return today - timedelta(days=config.privacy_keep_days), today - timedelta(days=config.booking.keep_days)

    async def run_once(self) -> None:
        tickets_before, bookings_before = self.cutoffs(self.clock())

        def count() -> tuple[int, int]:
            db = self.store.reader()
            return ticket_ids.erasable(db, tickets_before), bookings.erasable(db, bookings_before.isoformat())

        due = await asyncio.get_running_loop().run_in_executor(self.readers, count)
        if any(due):
            await self.engine.submit(lambda ctx: self._erase(ctx, tickets_before, bookings_before, due))

    def _erase(self, ctx: Context, tickets_before: date, bookings_before: date, due: tuple[int, int]) -> None:
        config, now = self.config(), ctx.now

        def write(db: sqlite_utils.Database) -> None:
            erased = ticket_ids.erase(db, tickets_before), bookings.erase(db, bookings_before.isoformat(), now)
            _PRIVACY.info("erased the ID hashes of %d ticket(s) and the personal data of %d booking(s)", *erased)

        ctx.writes.append(write)
        ctx.state.record_erasure(
            "system:privacy",
            now,
            tickets=due[0],
            tickets_before=tickets_before.isoformat(),
            tickets_keep_days=config.privacy_keep_days,
            bookings=due[1],
            bookings_before=bookings_before.isoformat(),
            bookings_keep_days=config.booking.keep_days,
        )
