"""Simulated days written as history: a new database, filled through the real store.

``hallqueue simulate --days 365 --write-history year.db`` hands every journal the simulated hall
core produces to :class:`HistoryWriter`, which writes it with ``Store.persist``: the same schema,
the same rows and events, the timestamps of the simulated days, and the store's bookkeeping
(``meta.business_day``, the windows) that a server started on the file reads back.

What makes a year take minutes instead of hours:

- Journals are merged as the engine's group commit merges a batch's commands, and written
  ``BATCH_EVENTS`` events to a transaction: a ticket changed five times in a batch is written
  once, in its last state, and its five events in order. A batch never spans two business days
  (ticketless events take the journal's day), and memory stays at one batch.
- During the load SQLite does not sync and keeps its rollback journal in memory, with a larger
  page cache. A load cut short leaves a file to delete, never a hall's data lost: the writer only
  ever makes new files. At the end the database is back in WAL mode, as the server keeps it.

History is the past: an event later than the moment the writer was created is refused, since a
server started on a database whose business day lies ahead would number tickets on that day.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from queue_server.core.journal import Journal
from queue_server.core.model import EventKind
from queue_server.store.database import Store

BATCH_EVENTS = 20_000  # events written per transaction
_LOAD_CACHE_KIB = 65_536  # the page cache during the load (SQLite's default is 2 MiB)


class HistoryError(Exception):
    """The history cannot be written: the file exists, or a simulated day is not in the past."""


def check_past(journal: Journal, created: datetime) -> None:
    """Refuse a journal that reaches beyond ``created`` (the moment the writer was made)."""
    if journal.events and journal.events[-1].at > created:
        raise HistoryError(
            f"simulated day {journal.day} reaches {journal.events[-1].at.isoformat()}, after now: "
            "history ends before today (choose an earlier --start or fewer --days)"
        )


def merge(pending: Journal, journal: Journal) -> None:
    """Add ``journal`` to ``pending``, as the engine merges a batch's commands: each ticket,
    window … in its latest state, the events in order."""
    pending.day = journal.day
    pending.tickets.update(journal.tickets)
    pending.windows.update(journal.windows)
    pending.faults.update(journal.faults)
    pending.ratings.extend(journal.ratings)
    pending.followups.update(journal.followups)
    pending.window_services.update(journal.window_services)
    if journal.notices is not None:
        pending.notices = journal.notices
    if journal.alerts is not None:
        pending.alerts = journal.alerts
    pending.events.extend(journal.events)


class Batches:
    """What both history writers do with the journals they take (``add`` is the simulator's
    ``on_journal``): refuse one that is not in the past, merge them into batches of one business
    day and at most ``BATCH_EVENTS`` events, and count them. A full batch goes to ``_hand_off``;
    a refusal calls ``_refused`` first."""

    def __init__(self) -> None:
        self.tickets = 0  # tickets issued
        self.events = 0  # events written (and waiting to be)
        self._pending = Journal()
        self._created = datetime.now(UTC)

    def add(self, journal: Journal) -> None:
        """Take one journal from the simulated core; written with its batch."""
        try:
            check_past(journal, self._created)
        except HistoryError:
            self._refused()
            raise
        if self._pending.day is not None and journal.day != self._pending.day:
            self._hand_off()
        merge(self._pending, journal)
        self.events += len(journal.events)
        self.tickets += sum(1 for e in journal.events if e.kind is EventKind.ISSUED)
        if len(self._pending.events) >= BATCH_EVENTS:
            self._hand_off()

    def _refused(self) -> None:
        raise NotImplementedError

    def _hand_off(self) -> None:
        raise NotImplementedError


class HistoryWriter(Batches):
    """Writes simulated journals into a new database, each batch one transaction."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self._failed = False

    @classmethod
    def create(cls, path: str | Path) -> HistoryWriter:
        """A writer on a new database at ``path``; refuses a file that exists (nothing is touched)."""
        path = Path(path)
        if not path.parent.is_dir():
            raise HistoryError(f"{path.parent} is not a folder")
        for leftover in (Path(f"{path}-wal"), Path(f"{path}-journal")):
            if leftover.exists():
                raise HistoryError(f"{leftover} exists: another database was here; choose a new file")
        try:
            # Created exclusively: no other process's file can be taken over between check and use.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            raise HistoryError(f"{path} exists already; history goes into a new database") from None
        store = Store(path)
        try:
            store.open()  # the lock, the schema (every migration), WAL
            # Only during the load (``close`` goes back to WAL; the others end with the connection).
            store.writer.execute("PRAGMA journal_mode = MEMORY")
            store.writer.execute("PRAGMA synchronous = OFF")
            store.writer.execute(f"PRAGMA cache_size = -{_LOAD_CACHE_KIB}")
        except BaseException:
            store.close()
            path.unlink(missing_ok=True)
            raise
        return cls(store)

    @property
    def path(self) -> Path:
        return self.store.path

    def _refused(self) -> None:
        self._failed = True

    def _hand_off(self) -> None:
        self.flush()

    def flush(self) -> None:
        """Write what was added since the last flush, in one transaction."""
        if self._pending:
            try:
                self.store.persist(self._pending)
            except BaseException:
                self._failed = True
                raise
        self._pending = Journal()

    def discard(self) -> None:
        """Close and remove the file: what it holds is incomplete (a write failed)."""
        self._failed = True
        self.close()

    def close(self) -> None:
        """Write the rest and leave the database as the server keeps it (WAL). After a refused
        day or a failed write the incomplete file is removed: this writer made it, and it holds no
        one's data. (Closed after the simulation itself failed, it keeps the days written so far,
        each batch complete.)"""
        try:
            if not self._failed:
                self.flush()
                self.store.writer.execute("PRAGMA journal_mode = WAL")
        finally:
            self.store.close()
            if self._failed:
                for leftover in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
                    leftover.unlink(missing_ok=True)
