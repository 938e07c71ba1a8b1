"""The SMS reminders' tables: the numbers visitors left, and the outbox of messages per sink.

Writes run on the store's writer inside an engine batch (``Context.writes``), so they commit with
the batch; reads run on the reader threads. Personal data: a number is kept whole only while it
can still be used, and erased after its ticket's business day plus ``[notify] keep_phone_days``
(``purge``); a message every sink is done with keeps only the masked number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlite_utils

QUEUED, DELIVERED, FAILED, WITHDRAWN, EXPIRED = "queued", "delivered", "failed", "withdrawn", "expired"


@dataclass
class Outgoing:
    """One message on its way to one sink."""

    message_id: str
    sink: str
    ticket_id: int
    business_day: str
    number: str
    kind: str
    phone: str
    phone_masked: str
    text: str
    window: int | None
    ahead: int | None
    created_at: str
    failures: int = 0
    key: str = ""  # what the message is about (``core.notify.Message.key``)
    booking_id: int | None = None  # a 预约 message (``ticket_id`` 0); ``number`` is the booking code


_FORGET_SETTLED = (
    "UPDATE notify_messages SET phone = NULL WHERE phone IS NOT NULL {scope} AND NOT EXISTS "
    "(SELECT 1 FROM notify_deliveries d WHERE d.message_id = notify_messages.message_id AND d.state = 'queued')"
)


def save_phone(
    db: sqlite_utils.Database, ticket_id: int, day: date, number: str, phone: str, masked: str, now: datetime
) -> None:
    """The number a visitor left for a ticket. A new one replaces the old (``changes`` counts):
    what was still queued for the old one is not sent."""
    _withdraw_queued(db, ticket_id, now, "AND phone IS NOT ?", [phone])
    db.execute(
        "INSERT INTO notify_phones (ticket_id, business_day, number, phone, phone_masked, set_at, changes) "
        "VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT(ticket_id) DO UPDATE SET phone = excluded.phone, "
        "phone_masked = excluded.phone_masked, set_at = excluded.set_at, changes = changes + 1",
        [ticket_id, day.isoformat(), number, phone, masked, now.isoformat()],
    )


def withdraw_phone(db: sqlite_utils.Database, ticket_id: int, now: datetime) -> None:
    """The visitor took the number back: erased, and the messages not sent yet are not sent."""
    db.execute("UPDATE notify_phones SET phone = NULL WHERE ticket_id = ?", [ticket_id])
    _withdraw_queued(db, ticket_id, now)


def _withdraw_queued(
    db: sqlite_utils.Database, ticket_id: int, now: datetime, which: str = "", params: list[Any] | None = None
) -> None:
    """The ticket's queued deliveries (of the messages ``which`` picks) are withdrawn, and those
    messages forget the number."""
    messages = f"SELECT message_id FROM notify_messages WHERE ticket_id = ? {which}"
    db.execute(
        f"UPDATE notify_deliveries SET state = ?, settled_at = ? WHERE state = ? AND message_id IN ({messages})",
        [WITHDRAWN, now.isoformat(), QUEUED, ticket_id, *(params or [])],
    )
    db.execute(
        f"UPDATE notify_messages SET phone = NULL WHERE message_id IN ({messages})", [ticket_id, *(params or [])]
    )


def _queue_deliveries(db: sqlite_utils.Database, message_id: str, sinks: tuple[str, ...]) -> None:
    db.conn.executemany(
        "INSERT INTO notify_deliveries (message_id, sink, state, failures) VALUES (?, ?, ?, 0)",
        [(message_id, sink, QUEUED) for sink in sinks],
    )


def add_messages(db: sqlite_utils.Database, messages: list[Outgoing], sinks: tuple[str, ...]) -> set[str]:
    """Store messages with one queued delivery per sink; returns the ids stored. Left out: a
    message whose key is stored already, and one to a number that is not (or no longer) the one
    left for its ticket: withdrawn or replaced earlier in the same transaction."""
    stored: set[str] = set()
    for m in messages:
        cursor = db.execute(
            "INSERT OR IGNORE INTO notify_messages (message_id, key, ticket_id, business_day, number, kind, phone, "
            "phone_masked, text, window, ahead, created_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "
            "WHERE EXISTS (SELECT 1 FROM notify_phones WHERE ticket_id = ? AND phone = ?)",
            [
                m.message_id,
                m.key,
                m.ticket_id,
                m.business_day,
                m.number,
                m.kind,
                m.phone,
                m.phone_masked,
                m.text,
                m.window,
                m.ahead,
                m.created_at,
                m.ticket_id,
                m.phone,
            ],
        )
        if cursor.rowcount:
            stored.add(m.message_id)
            _queue_deliveries(db, m.message_id, sinks)
    return stored


def add_booking_messages(db: sqlite_utils.Database, messages: list[Outgoing], sinks: tuple[str, ...]) -> list[Outgoing]:
    """Store 预约 messages (confirmations, reminders) with one queued delivery per sink; returns
    those stored (a key stored already is left out)."""
    stored = []
    for m in messages:
        cursor = db.execute(
            "INSERT OR IGNORE INTO notify_messages (message_id, key, ticket_id, booking_id, business_day, number, "
            "kind, phone, phone_masked, text, created_at) VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                m.message_id,
                m.key,
                m.booking_id,
                m.business_day,
                m.number,
                m.kind,
                m.phone,
                m.phone_masked,
                m.text,
                m.created_at,
            ],
        )
        if cursor.rowcount:
            stored.append(m)
            _queue_deliveries(db, m.message_id, sinks)
    return stored


def settle(
    db: sqlite_utils.Database, message_id: str, sink: str, state: str, now: datetime, error: str | None = None
) -> None:
    """A delivery is over (delivered, or failed for good); a message every sink is done with
    forgets its whole number."""
    db.execute(
        "UPDATE notify_deliveries SET state = ?, settled_at = ?, last_attempt_at = ?, "
        "last_error = coalesce(?, last_error), failures = failures + ? WHERE message_id = ? AND sink = ?",
        [state, now.isoformat(), now.isoformat(), error, 1 if state == FAILED else 0, message_id, sink],
    )
    db.execute(_FORGET_SETTLED.format(scope="AND message_id = ?"), [message_id])


def record_failure(db: sqlite_utils.Database, message_id: str, sink: str, error: str, now: datetime) -> None:
    """An attempt failed; the message stays queued for the next one."""
    db.execute(
        "UPDATE notify_deliveries SET failures = failures + 1, last_error = ?, last_attempt_at = ? "
        "WHERE message_id = ? AND sink = ?",
        [error, now.isoformat(), message_id, sink],
    )


def expire(db: sqlite_utils.Database, today: date, now: datetime) -> None:
    """Messages still queued from an earlier business day are not sent any more: a 请到 3 号窗口
    the next morning would only mislead."""
    db.execute(
        "UPDATE notify_deliveries SET state = ?, settled_at = ?, last_error = coalesce(last_error, ?) "
        "WHERE state = ? AND message_id IN (SELECT message_id FROM notify_messages WHERE business_day < ?)",
        [EXPIRED, now.isoformat(), "当日未能送达，已作废", QUEUED, today.isoformat()],
    )
    db.execute(_FORGET_SETTLED.format(scope=""))


def purge(db: sqlite_utils.Database, today: date, keep_days: int) -> int:
    """Erase the numbers of tickets whose business day ended more than ``keep_days`` days before
    ``today``; returns how many numbers left were erased."""
    cutoff = (today - timedelta(days=keep_days)).isoformat()
    erased = db.execute(
        "UPDATE notify_phones SET phone = NULL WHERE business_day < ? AND phone IS NOT NULL", [cutoff]
    ).rowcount
    db.execute("UPDATE notify_messages SET phone = NULL WHERE business_day < ? AND phone IS NOT NULL", [cutoff])
    return erased


# ---------------------------------------------------------------- reading


def tidy_needed(db: sqlite_utils.Database, today: date, keep_days: int) -> bool:
    """Whether ``expire`` or ``purge`` would change anything (a server starting writes nothing
    it does not have to)."""
    cutoff = (today - timedelta(days=keep_days)).isoformat()
    return bool(
        db.execute(
            "SELECT EXISTS (SELECT 1 FROM notify_phones WHERE business_day < ? AND phone IS NOT NULL) "
            "OR EXISTS (SELECT 1 FROM notify_messages WHERE business_day < ? AND phone IS NOT NULL)",
            [cutoff, today.isoformat()],
        ).fetchone()[0]
    )


def phones_of_day(db: sqlite_utils.Database, day: date) -> dict[int, tuple[str, int]]:
    """Ticket id -> (number left, how often one was left) for the day's tickets."""
    rows = db.execute(
        "SELECT ticket_id, phone, changes FROM notify_phones WHERE business_day = ? AND phone IS NOT NULL",
        [day.isoformat()],
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def changes_of(db: sqlite_utils.Database, day: date) -> dict[int, int]:
    """Ticket id -> how often a number was left for it, including withdrawn ones."""
    rows = db.execute("SELECT ticket_id, changes FROM notify_phones WHERE business_day = ?", [day.isoformat()])
    return dict(rows.fetchall())


def keys_of_day(db: sqlite_utils.Database, day: date) -> set[str]:
    """The keys of the messages made for the day's tickets."""
    return {r[0] for r in db.execute("SELECT key FROM notify_messages WHERE business_day = ?", [day.isoformat()])}


def queued(db: sqlite_utils.Database, sinks: tuple[str, ...]) -> list[Outgoing]:
    """The deliveries still to make to ``sinks``, oldest first."""
    if not sinks:
        return []
    rows = db.query(
        "SELECT d.sink, d.failures, m.* FROM notify_deliveries d JOIN notify_messages m USING (message_id) "
        f"WHERE d.state = ? AND d.sink IN ({', '.join('?' for _ in sinks)}) AND m.phone IS NOT NULL "
        "ORDER BY m.created_at, m.rowid",
        [QUEUED, *sinks],
    )
    return [
        Outgoing(
            r["message_id"],
            r["sink"],
            r["ticket_id"],
            r["business_day"],
            r["number"],
            r["kind"],
            r["phone"],
            r["phone_masked"],
            r["text"],
            r["window"],
            r["ahead"],
            r["created_at"],
            r["failures"],
            r["key"],
            r["booking_id"],
        )
        for r in rows
    ]


def sink_figures(db: sqlite_utils.Database, sink: str, day: date) -> dict[str, Any]:
    """What /admin shows of one sink: queued now; delivered, failed for good and failed attempts
    on ``day``; the oldest queued message's time; the last error and when."""
    d = day.isoformat()
    counts = db.execute(
        "SELECT sum(d.state = 'queued'), sum(d.state = 'delivered' AND m.business_day = ?), "
        "sum(d.state = 'failed' AND m.business_day = ?), sum(CASE WHEN m.business_day = ? THEN d.failures END), "
        "min(CASE WHEN d.state = 'queued' THEN m.created_at END) "
        "FROM notify_deliveries d JOIN notify_messages m USING (message_id) WHERE d.sink = ?",
        [d, d, d, sink],
    ).fetchone()
    last = db.execute(
        "SELECT last_error, last_attempt_at FROM notify_deliveries WHERE sink = ? AND last_error IS NOT NULL "
        "AND last_attempt_at IS NOT NULL ORDER BY last_attempt_at DESC LIMIT 1",
        [sink],
    ).fetchone()
    return {
        "queued": counts[0] or 0,
        "delivered_today": counts[1] or 0,
        "failed_today": counts[2] or 0,
        "failed_attempts_today": counts[3] or 0,
        "oldest_queued_at": counts[4],
        "last_error": last[0] if last else None,
        "last_error_at": last[1] if last else None,
    }


def phones_left(db: sqlite_utils.Database, day: date) -> int:
    """How many tickets of ``day`` have a number left now."""
    return db.execute(
        "SELECT count(*) FROM notify_phones WHERE business_day = ? AND phone IS NOT NULL", [day.isoformat()]
    ).fetchone()[0]
