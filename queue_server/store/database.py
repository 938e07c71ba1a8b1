"""The SQLite store: tickets, windows, the append-only event log, accounts.

Durability contract: ``persist`` writes one journal (the tickets and windows a run of
commands touched, plus their events) in one transaction and returns only once SQLite has
committed it with ``synchronous=FULL`` in WAL mode, i.e. after the fsync of the WAL. The
server answers a command only after that, so every acknowledged ticket survives a
``kill -9`` or a power cut.

One process writes a database: ``open`` takes an exclusive lock on ``<db>.lock`` and
refuses a second server. Reads may happen on other threads, each with its own connection.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from array import array
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from queue_server.core.estimate import EARLIER_DAYS
from queue_server.core.feedback import FollowUp
from queue_server.core.hall import Journal, RecentCall, Restored
from queue_server.core.model import Event, EventKind, Fault, HallConfig, Ticket, WindowState, WindowStatus
from queue_server.core.numbering import business_day
from queue_server.store.schema import migrate

ACTIVE = ("waiting", "called", "serving")
_RESTORE_CACHE_KIB = 256  # the page cache while ``Store.restore`` reads (SQLite's default: 2 MiB)
CALL_KINDS = (EventKind.CALLED, EventKind.RECALLED)  # the events that make the lobby's latest calls
TICKET_COLUMNS = (
    "id business_day number prefix seq service priority status issued_at queued_since issued_by "
    "request_id waiting_ahead estimated_wait_s called_at started_at finished_at window call_count "
    "no_show_count transfer_count original_service public_code also_services group_id clerk"
).split()
_UPSERT_TICKET = (
    f"INSERT INTO tickets ({', '.join(f'[{c}]' for c in TICKET_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in TICKET_COLUMNS)}) "
    f"ON CONFLICT(id) DO UPDATE SET " + ", ".join(f"[{c}] = excluded.[{c}]" for c in TICKET_COLUMNS if c != "id")
)
_UPSERT_WINDOW = (
    "INSERT INTO windows (number, status, ticket_id, clerk, since, priority_streak, rating_ticket) "
    "VALUES (:number, :status, :ticket_id, :clerk, :since, :priority_streak, :rating_ticket) "
    "ON CONFLICT(number) DO UPDATE SET status = excluded.status, ticket_id = excluded.ticket_id, "
    "clerk = excluded.clerk, since = excluded.since, priority_streak = excluded.priority_streak, "
    "rating_ticket = excluded.rating_ticket"
)
_INSERT_RATING = (
    "INSERT INTO ratings (ticket_id, number, service, window, clerk, level, reasons, at, business_day, rated_by, "
    "comment) VALUES (:ticket_id, :number, :service, :window, :clerk, :level, :reasons, :at, :business_day, "
    ":rated_by, :comment)"
)
_UPSERT_FOLLOWUP = (
    "INSERT INTO followups (id, ticket_id, number, window, clerk, level, reasons, opened_at, due, closed_at, "
    "resolution, closed_by, comment, phone) VALUES (:id, :ticket_id, :number, :window, :clerk, :level, :reasons, "
    ":opened_at, :due, :closed_at, :resolution, :closed_by, :comment, :phone) ON CONFLICT(id) DO UPDATE SET "
    "closed_at = excluded.closed_at, resolution = excluded.resolution, closed_by = excluded.closed_by, "
    "phone = excluded.phone"
)


def ticket_row(ticket: Ticket) -> dict[str, Any]:
    """A ticket as the tickets table keeps it (lists as JSON text; no carried services: NULL)."""
    row = ticket.as_dict()
    row["also_services"] = json.dumps(row["also_services"], ensure_ascii=False) if ticket.also_services else None
    return row


def _with_json_reasons(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "reasons": json.dumps(row["reasons"], ensure_ascii=False)}


_UPSERT_FAULT = (
    "INSERT INTO device_faults (device, component, state, message, since, cleared_at) "
    "VALUES (:device, :component, :state, :message, :since, :cleared_at) "
    "ON CONFLICT(device, component, since) DO UPDATE SET state = excluded.state, "
    "message = excluded.message, cleared_at = excluded.cleared_at"
)
_INSERT_EVENT = (
    "INSERT INTO events (seq, at, business_day, kind, actor, ticket_id, number, service, "
    "from_status, to_status, window, ticket, data) VALUES "
    "(:seq, :at, :business_day, :kind, :actor, :ticket_id, :number, :service, "
    ":from_status, :to_status, :window, :ticket, :data)"
)


class StoreError(Exception):
    """The store could not do what was asked (disk full, I/O error, locked)."""


class StoreLocked(StoreError):
    """Another hallqueue server already has this database open."""


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open the database with the pragmas every connection of ours uses."""
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode = WAL")
    # FULL in WAL mode fsyncs the WAL at every commit: an acknowledged ticket is on disk.
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 10000")
    return db


def open_database(path: str | Path) -> sqlite_utils.Database:
    """Connect and migrate: what the command-line tools use."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = connect(path)
    migrate(db)
    return db


def event_row(e: Event, day: date) -> dict[str, Any]:
    t = e.ticket or {}
    return {
        "seq": e.seq,
        "at": e.at.isoformat(),
        "business_day": t.get("business_day") or day.isoformat(),
        "kind": e.kind,
        "actor": e.actor,
        "ticket_id": t.get("id"),
        "number": t.get("number"),
        "service": t.get("service"),
        "from_status": e.from_status,
        "to_status": e.to_status,
        "window": e.window,
        "ticket": json.dumps(e.ticket, ensure_ascii=False) if e.ticket else None,
        "data": json.dumps(e.data, ensure_ascii=False),
    }


class Store:
    """The server's handle on its database: one writer connection, per-thread readers."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock_file: int | None = None
        self._writer: sqlite_utils.Database | None = None
        self._local = threading.local()
        self._readers: list[sqlite_utils.Database] = []
        self._readers_lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreLocked(f"{self.path} is in use by another hallqueue server (lock {self.path}.lock)") from None
        self._lock_file = fd
        self._writer = open_database(self.path)

    def close(self) -> None:
        with self._readers_lock:
            for db in self._readers:
                db.close()
            self._readers.clear()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None

    @property
    def writer(self) -> sqlite_utils.Database:
        assert self._writer is not None, "store is not open"
        return self._writer

    def reader(self) -> sqlite_utils.Database:
        """This thread's read connection (WAL lets it read while the writer commits)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path)
            self._local.db = db
            with self._readers_lock:
                self._readers.append(db)
        return db

    # ------------------------------------------------------------ writing

    def persist(self, journal: Journal, extra: Iterable[Callable[[sqlite_utils.Database], None]] = ()) -> None:
        """Write a journal (and extra writes of the same commands) in one transaction."""
        db = self.writer
        assert journal.day is not None, "journals come from HallState.take_journal"
        day = journal.day
        try:
            with db.atomic():
                if journal.tickets:
                    db.conn.executemany(_UPSERT_TICKET, [ticket_row(t) for t in journal.tickets.values()])
                if journal.windows:
                    db.conn.executemany(_UPSERT_WINDOW, [w.as_dict() for w in journal.windows.values()])
                if journal.ratings:
                    db.conn.executemany(_INSERT_RATING, [_with_json_reasons(r.as_dict()) for r in journal.ratings])
                if journal.followups:
                    db.conn.executemany(
                        _UPSERT_FOLLOWUP, [_with_json_reasons(f.as_row()) for f in journal.followups.values()]
                    )
                if journal.notices is not None:
                    db.execute(
                        "INSERT INTO meta(key, value) VALUES ('notices', ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        [json.dumps(list(journal.notices), ensure_ascii=False)],
                    )
                if journal.window_services:
                    kept = dict(json.loads(self._meta(db, "window_services") or "{}"))
                    kept.update({str(n): list(s) for n, s in journal.window_services.items()})
                    db.execute(
                        "INSERT INTO meta(key, value) VALUES ('window_services', ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        [json.dumps(kept, ensure_ascii=False)],
                    )
                if journal.alerts is not None:
                    db.execute(
                        "INSERT INTO meta(key, value) VALUES ('alerts', ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        [json.dumps(journal.alerts, ensure_ascii=False)],
                    )
                if journal.faults:
                    db.conn.executemany(_UPSERT_FAULT, [f.as_dict() for f in journal.faults.values()])
                if journal.events:
                    db.conn.executemany(_INSERT_EVENT, [event_row(e, day) for e in journal.events])
                # The state's day, so a restart on a later day knows what to expire.
                db.execute(
                    "INSERT INTO meta(key, value) VALUES ('business_day', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    [day.isoformat()],
                )
                for write in extra:
                    write(db)
        except sqlite3.Error as exc:
            raise StoreError(f"could not write to {self.path}: {exc}") from exc

    # ------------------------------------------------------------ reading

    def restore(self, config: HallConfig, now: datetime) -> Restored:
        """Everything ``HallState`` needs to continue where the last process stopped.

        Read with a small page cache: the earlier days' tickets (the day shape, the service
        times) are read once, and the connection would otherwise keep a full cache of their
        pages all day; the server started on years of history takes what it takes on none.
        """
        db = self.writer
        (kept,) = db.execute("PRAGMA cache_size").fetchone()
        db.execute(f"PRAGMA cache_size = -{_RESTORE_CACHE_KIB}")
        try:
            return self._restore(db, config, now)
        finally:
            db.execute(f"PRAGMA cache_size = {kept}")

    def _restore(self, db: sqlite_utils.Database, config: HallConfig, now: datetime) -> Restored:
        row = db.execute("SELECT value FROM meta WHERE key = 'business_day'").fetchone()
        day = date.fromisoformat(row[0]) if row else business_day(now, config.timezone, config.day_start)
        d = day.isoformat()

        def tickets(where: str, params: list[Any]) -> list[Ticket]:
            return [Ticket.from_dict(r) for r in db.query(f"SELECT * FROM tickets WHERE {where}", params)]

        windows = []
        for r in db.query("SELECT * FROM windows"):
            windows.append(
                WindowState(
                    number=r["number"],
                    status=WindowStatus(r["status"]),
                    ticket_id=r["ticket_id"],
                    clerk=r["clerk"],
                    since=datetime.fromisoformat(r["since"]) if r["since"] else None,
                    priority_streak=r["priority_streak"] or 0,
                    rating_ticket=r.get("rating_ticket"),
                )
            )
        recent = []
        for r in db.query(
            "SELECT at, window, ticket FROM events WHERE business_day = ? "
            f"AND kind IN ({', '.join('?' for _ in CALL_KINDS)}) ORDER BY seq DESC LIMIT 20",
            [d, *CALL_KINDS],
        ):
            t = json.loads(r["ticket"])
            recent.append(
                RecentCall(datetime.fromisoformat(r["at"]), t["number"], t["service"], r["window"], t["call_count"])
            )
        recent.reverse()
        return Restored(
            business_day=day,
            next_ticket_id=(db.execute("SELECT max(id) FROM tickets").fetchone()[0] or 0) + 1,
            last_event_seq=db.execute("SELECT max(seq) FROM events").fetchone()[0] or 0,
            active_tickets=tickets("status IN (?, ?, ?)", list(ACTIVE)),
            windows=windows,
            last_seq_by_prefix=dict(
                db.execute(
                    "SELECT prefix, max(seq) FROM tickets WHERE business_day = ? GROUP BY prefix", [d]
                ).fetchall()
            ),
            # Caps count each service a ticket was issued for (a visit's carried ones too).
            issued_by_service=dict(
                db.execute(
                    "SELECT code, count(*) FROM (SELECT coalesce(original_service, service) AS code FROM tickets "
                    "WHERE business_day = ? UNION ALL SELECT j.value FROM tickets t, json_each(t.also_services) j "
                    "WHERE t.business_day = ?) GROUP BY code",
                    [d, d],
                ).fetchall()
            ),
            requests={
                (r[0], r[1]): r[2]
                for r in db.execute(
                    "SELECT issued_by, request_id, id FROM tickets WHERE business_day = ? AND request_id IS NOT NULL",
                    [d],
                )
            },
            # ``+status``: through the day's index, not the status one (every ticket ever finished).
            finished_today=tickets("business_day = ? AND +status = 'done'", [d]),
            ended_today=tickets("business_day = ? AND status IN ('no_show', 'cancelled')", [d]),
            earlier_service_times=self._earlier_service_times(db, d),
            earlier_arrivals=self._earlier_arrivals(db, d),
            window_services={int(n): s for n, s in json.loads(self._meta(db, "window_services") or "{}").items()},
            alerts=json.loads(self._meta(db, "alerts") or "{}"),
            recent_calls=recent,
            rated_today={r[0] for r in db.execute("SELECT ticket_id FROM ratings WHERE business_day = ?", [d])},
            to_rate=tickets("id IN (SELECT rating_ticket FROM windows WHERE rating_ticket IS NOT NULL)", []),
            open_followups=[_followup(r) for r in db.query("SELECT * FROM followups WHERE closed_at IS NULL")],
            next_followup_id=(db.execute("SELECT max(id) FROM followups").fetchone()[0] or 0) + 1,
            notices=(
                tuple(json.loads(n[0]))
                if (n := db.execute("SELECT value FROM meta WHERE key = 'notices'").fetchone())
                else None
            ),
            faults=[
                Fault(r["device"], r["component"], r["state"], r["message"] or "", datetime.fromisoformat(r["since"]))
                for r in db.query("SELECT * FROM device_faults WHERE cleared_at IS NULL ORDER BY id")
            ],
        )

    @staticmethod
    def _earlier_service_times(db: sqlite_utils.Database, day: str) -> dict[str, array]:
        """Per service, the seconds at the window of the last business day's finished tickets
        before ``day``, in the order they finished; found through the day's index. Kept as
        arrays: a busy day's thousands of rows would leave their objects' memory behind."""
        times: dict[str, array] = {}
        for service, seconds in db.execute(
            "SELECT service, (julianday(finished_at) - julianday(called_at)) * 86400 FROM tickets "
            "WHERE business_day = (SELECT max(business_day) FROM tickets WHERE business_day < ?) "
            "AND +status = 'done' AND called_at IS NOT NULL AND finished_at IS NOT NULL ORDER BY finished_at",
            [day],
        ):
            if (kept := times.get(service)) is None:
                kept = times[service] = array("d")
            kept.append(seconds)
        return times

    @staticmethod
    def _earlier_arrivals(db: sqlite_utils.Database, day: str) -> list[list[tuple[datetime, int]]]:
        """The tickets issued on each of the last ``EARLIER_DAYS`` business days before ``day``,
        oldest day first: (the start of a ten-minute spell, tickets issued in it). Counted by
        SQLite through the day's index: a few hundred rows, not the tickets."""
        days = [
            r[0]
            for r in db.execute(
                "SELECT DISTINCT business_day FROM tickets WHERE business_day < ? ORDER BY business_day DESC LIMIT ?",
                [day, EARLIER_DAYS],
            )
        ]
        by_day: dict[str, list[tuple[datetime, int]]] = {d: [] for d in sorted(days)}
        if days:
            # ISO times with their UTC offset: "2026-12-02T09:4" + "0" + "+08:00" starts the spell.
            for on_day, spell, offset, count in db.execute(
                "SELECT business_day, substr(issued_at, 1, 15), substr(issued_at, -6), count(*) FROM tickets "
                "WHERE business_day >= ? AND business_day < ? GROUP BY 1, 2, 3",
                [min(days), day],
            ):
                by_day[on_day].append((datetime.fromisoformat(f"{spell}0{offset}"), count))
        return list(by_day.values())

    @staticmethod
    def _meta(db: sqlite_utils.Database, key: str) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def ticket(self, ticket_id: int) -> dict[str, Any] | None:
        rows = list(self.reader().query("SELECT * FROM tickets WHERE id = ?", [ticket_id]))
        return rows[0] if rows else None

    def ticket_by_code(self, code: str) -> dict[str, Any] | None:
        rows = list(self.reader().query("SELECT * FROM tickets WHERE public_code = ?", [code]))
        return rows[0] if rows else None

    def latest_events(self, limit: int, day: date | None = None) -> list[Event]:
        """The last ``limit`` events, oldest first; with ``day``, only that business day's (read
        through its index: a year of history costs nothing)."""
        if day is None:
            rows = self.reader().query("SELECT * FROM events ORDER BY seq DESC LIMIT ?", [limit])
        else:
            rows = self.reader().query(
                "SELECT * FROM events WHERE business_day = ? ORDER BY seq DESC LIMIT ?", [day.isoformat(), limit]
            )
        return [event_from_row(r) for r in reversed(list(rows))]


def _followup(r: dict[str, Any]) -> FollowUp:
    return FollowUp(
        r["id"],
        r["ticket_id"],
        r["number"],
        r["window"],
        r["clerk"],
        r["level"],
        tuple(json.loads(r["reasons"] or "[]")),
        datetime.fromisoformat(r["opened_at"]),
        date.fromisoformat(r["due"]),
        comment=r.get("comment") or "",
        phone=r.get("phone"),
    )


def event_from_row(row: dict[str, Any]) -> Event:
    """The inverse of ``event_row``: for replay and for refilling the hub after a restart."""
    return Event(
        seq=row["seq"],
        at=datetime.fromisoformat(row["at"]),
        kind=EventKind(row["kind"]),
        actor=row["actor"],
        ticket=json.loads(row["ticket"]) if row["ticket"] else None,
        from_status=row["from_status"],
        to_status=row["to_status"],
        window=row["window"],
        data=json.loads(row["data"]) if row["data"] else {},
    )
