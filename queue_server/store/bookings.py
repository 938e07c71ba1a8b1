"""预约's tables: the bookings and the blocks staff put on days and slots.

Writes run on the store's writer inside an engine batch (``Context.writes``): one writer, one
transaction at a time, so "count the slot's places, then insert" cannot race, and 50 visitors
after the last place of a slot get one booking between them. The rule "one per phone (and per ID
number) per service per day" is a unique index too. Reads run on the reader threads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlite_utils

from queue_server.core.booking import BookingStatus

BOOKED, CHECKED_IN, CANCELLED, MISSED = (s.value for s in BookingStatus)
_TAKEN = "status != 'cancelled'"  # a place is taken by every booking not cancelled
_ACTIVE_BLOCK = "removed_at IS NULL"


@dataclass
class NewBooking:
    code: str
    service: str
    day: str
    slot_start: str
    slot_end: str
    name: str
    phone: str
    phone_masked: str
    phone_hash: str
    id_hash: str | None
    created_at: str
    reminded_at: str | None  # set when no reminder is due (booked after the reminders went out)


@dataclass
class BookOutcome:
    """What the write made of a booking request: ``result`` is ``ok`` (``id``, ``code``), ``full``,
    ``blocked`` (a staff block), ``already_booked``, or ``no_shows`` (``until``)."""

    result: str = ""
    id: int | None = None
    code: str | None = None
    until: str | None = None


def slot_blocked(db: sqlite_utils.Database, service: str, day: str, slot_start: str | None) -> bool:
    """Whether an active block closes ``service``'s slot (or, with None, its whole day)."""
    slot = "slot_start IS NULL OR slot_start = ?" if slot_start else "slot_start IS NULL"
    return bool(
        db.execute(
            f"SELECT EXISTS (SELECT 1 FROM booking_blocks WHERE {_ACTIVE_BLOCK} AND day = ? "
            f"AND (service IS NULL OR service = ?) AND ({slot}))",
            [day, service, *([slot_start] if slot_start else [])],
        ).fetchone()[0]
    )


def book(
    db: sqlite_utils.Database,
    b: NewBooking,
    per_slot: int,
    no_shows: tuple[int, int, int] | None,
    new_code: Callable[[], str],
) -> BookOutcome:
    """Check the rules and take a place, in the writer's transaction. ``no_shows``: (limit, days,
    block_days) when missed bookings block, else None."""
    if slot_blocked(db, b.service, b.day, b.slot_start):
        return BookOutcome("blocked")
    taken = db.execute(
        f"SELECT count(*) FROM bookings WHERE service = ? AND slot_start = ? AND {_TAKEN}", [b.service, b.slot_start]
    ).fetchone()[0]
    if taken >= per_slot:
        return BookOutcome("full")
    if no_shows is not None:
        limit, days, block_days = no_shows
        since = (date.fromisoformat(b.day) - timedelta(days=days)).isoformat()
        count, last = db.execute(
            "SELECT count(*), max(day) FROM bookings WHERE phone_hash = ? AND status = ? AND day >= ?",
            [b.phone_hash, MISSED, since],
        ).fetchone()
        if count >= limit:
            until = date.fromisoformat(last) + timedelta(days=block_days)
            if until > date.fromisoformat(b.created_at[:10]):
                return BookOutcome("no_shows", until=until.isoformat())
    row = vars(b) | {"status": BOOKED}
    for _ in range(5):  # a code already taken (1 in 10^11 a try): draw another
        try:
            cursor = db.execute(
                f"INSERT INTO bookings ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values())
            )
        except sqlite3.IntegrityError as exc:
            if "bookings.code" in str(exc):
                row["code"] = new_code()
                continue
            return BookOutcome("already_booked")  # bookings_one_per_phone or bookings_one_per_id
        return BookOutcome("ok", cursor.lastrowid, row["code"])
    raise sqlite3.IntegrityError("could not draw a free booking code")


def cancel(db: sqlite_utils.Database, booking_id: int, now: datetime) -> bool:
    cursor = db.execute(
        "UPDATE bookings SET status = ?, cancelled_at = ? WHERE id = ? AND status = ?",
        [CANCELLED, now.isoformat(), booking_id, BOOKED],
    )
    return cursor.rowcount == 1


def check_in(
    db: sqlite_utils.Database, booking_id: int, ticket_id: int, number: str, on_time: bool, actor: str, now: datetime
) -> None:
    db.execute(
        "UPDATE bookings SET status = ?, checked_in_at = ?, checked_in_by = ?, ticket_id = ?, ticket_number = ?, "
        "on_time = ?, missed_at = NULL WHERE id = ?",
        [CHECKED_IN, now.isoformat(), actor, ticket_id, number, int(on_time), booking_id],
    )


def mark_missed(db: sqlite_utils.Database, slots_before: str, days_before: str, now: datetime) -> int:
    """Bookings never checked in whose slot started before ``slots_before`` (or whose day is
    before ``days_before``) are missed; returns how many were marked."""
    return db.execute(
        "UPDATE bookings SET status = ?, missed_at = ? WHERE status = ? AND (slot_start < ? OR day < ?)",
        [MISSED, now.isoformat(), BOOKED, slots_before, days_before],
    ).rowcount


def erase(db: sqlite_utils.Database, before_day: str, now: datetime) -> int:
    """Erase the personal data of bookings whose day is before ``before_day``; returns how many.
    What is left (service, slot, status) still counts in the reports."""
    return db.execute(
        "UPDATE bookings SET name = NULL, phone = NULL, phone_masked = NULL, phone_hash = NULL, id_hash = NULL, "
        "erased_at = ? WHERE day < ? AND erased_at IS NULL",
        [now.isoformat(), before_day],
    ).rowcount


def erasable(db: sqlite_utils.Database, before_day: str) -> int:
    return db.execute("SELECT count(*) FROM bookings WHERE day < ? AND erased_at IS NULL", [before_day]).fetchone()[0]


def set_reminded(db: sqlite_utils.Database, ids: list[int], now: datetime) -> None:
    db.conn.executemany("UPDATE bookings SET reminded_at = ? WHERE id = ?", [(now.isoformat(), i) for i in ids])


def add_block(
    db: sqlite_utils.Database,
    day: str,
    service: str | None,
    slot_start: str | None,
    reason: str,
    actor: str,
    now: datetime,
) -> int:
    cursor = db.execute(
        "INSERT INTO booking_blocks (day, service, slot_start, reason, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [day, service, slot_start, reason, actor, now.isoformat()],
    )
    return cursor.lastrowid


def remove_block(db: sqlite_utils.Database, block_id: int, actor: str, now: datetime) -> bool:
    cursor = db.execute(
        f"UPDATE booking_blocks SET removed_at = ?, removed_by = ? WHERE id = ? AND {_ACTIVE_BLOCK}",
        [now.isoformat(), actor, block_id],
    )
    return cursor.rowcount == 1


# ---------------------------------------------------------------- reading


def by_code(db: sqlite_utils.Database, code: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM bookings WHERE code = ?", [code]))
    return rows[0] if rows else None


def by_id(db: sqlite_utils.Database, booking_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM bookings WHERE id = ?", [booking_id]))
    return rows[0] if rows else None


def block(db: sqlite_utils.Database, block_id: int) -> dict[str, Any] | None:
    """An active block."""
    rows = list(db.query(f"SELECT * FROM booking_blocks WHERE id = ? AND {_ACTIVE_BLOCK}", [block_id]))
    return rows[0] if rows else None


def taken_on(db: sqlite_utils.Database, day: str, service: str | None = None) -> dict[tuple[str, str], int]:
    """(service, slot_start) -> places taken on ``day``."""
    only = "AND service = ?" if service else ""
    rows = db.execute(
        f"SELECT service, slot_start, count(*) FROM bookings WHERE day = ? AND {_TAKEN} {only} "
        "GROUP BY service, slot_start",
        [day, *([service] if service else [])],
    )
    return {(r[0], r[1]): r[2] for r in rows}


def taken_between(db: sqlite_utils.Database, first: str, last: str) -> dict[tuple[str, str], int]:
    """(service, slot_start) -> places taken, for the days ``first`` to ``last``."""
    rows = db.execute(
        f"SELECT service, slot_start, count(*) FROM bookings WHERE day BETWEEN ? AND ? AND {_TAKEN} "
        "GROUP BY service, slot_start",
        [first, last],
    )
    return {(r[0], r[1]): r[2] for r in rows}


def blocks_between(db: sqlite_utils.Database, first: str, last: str) -> list[dict[str, Any]]:
    return list(
        db.query(
            f"SELECT * FROM booking_blocks WHERE {_ACTIVE_BLOCK} AND day BETWEEN ? AND ? ORDER BY day, id",
            [first, last],
        )
    )


def of_day(db: sqlite_utils.Database, day: str, phone_hash: str | None = None) -> list[dict[str, Any]]:
    only = "AND phone_hash = ?" if phone_hash else ""
    return list(
        db.query(
            f"SELECT * FROM bookings WHERE day = ? {only} ORDER BY slot_start, service, id",
            [day, *([phone_hash] if phone_hash else [])],
        )
    )


def of_id_on(db: sqlite_utils.Database, id_hash: str, day: str) -> list[dict[str, Any]]:
    """``day``'s bookings made with this ID (its keyed hash)."""
    return list(db.query("SELECT * FROM bookings WHERE id_hash = ? AND day = ? ORDER BY slot_start", [id_hash, day]))


def on_block(db: sqlite_utils.Database, day: str, service: str | None, slot_start: str | None) -> list[dict[str, Any]]:
    """The active bookings a block would close: the visitors staff should contact."""
    where = ["day = ?", "status = ?"]
    params: list[Any] = [day, BOOKED]
    if service:
        where.append("service = ?")
        params.append(service)
    if slot_start:
        where.append("slot_start = ?")
        params.append(slot_start)
    return list(db.query(f"SELECT * FROM bookings WHERE {' AND '.join(where)} ORDER BY slot_start, id", params))


def reminders_due(db: sqlite_utils.Database, day: str) -> list[dict[str, Any]]:
    """``day``'s bookings still to be reminded of (with a phone to remind)."""
    return list(
        db.query(
            "SELECT * FROM bookings WHERE day = ? AND status = ? AND reminded_at IS NULL AND phone IS NOT NULL "
            "ORDER BY slot_start, id",
            [day, BOOKED],
        )
    )


def figures(db: sqlite_utils.Database, first: str, last: str, services: list[str] | None) -> list[dict[str, Any]]:
    """Per service, for the days ``first`` to ``last``: booked (not cancelled), checked in (and
    how many on time), missed, cancelled. For 统计分析."""
    only = f"AND service IN ({', '.join('?' for _ in services)})" if services is not None else ""
    return list(
        db.query(
            "SELECT service, sum(status != 'cancelled') AS booked, sum(status = 'checked_in') AS checked_in, "
            "sum(status = 'checked_in' AND on_time) AS on_time, sum(status = 'missed') AS missed, "
            f"sum(status = 'cancelled') AS cancelled FROM bookings WHERE day BETWEEN ? AND ? {only} "
            "GROUP BY service ORDER BY service",
            [first, last, *(services or [])],
        )
    )
