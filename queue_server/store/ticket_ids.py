"""身份证取号's table: the keyed hash of the ID each ticket was taken with, and its age band.

Apart from ``tickets`` and the append-only ``events`` (whose ticket JSON never holds it), so that
``[privacy] keep_days`` after the ticket's day the row can be deleted for good.
"""

from __future__ import annotations

from datetime import date

import sqlite_utils

from queue_server.core.real_name import IdTickets


def add(db: sqlite_utils.Database, ticket_id: int, day: date, service: str, id_hash: str, band: str | None) -> None:
    db.execute(
        "INSERT INTO ticket_ids (ticket_id, business_day, service, id_hash, age_band) VALUES (?, ?, ?, ?, ?)",
        [ticket_id, day.isoformat(), service, id_hash, band],
    )


def of_day(db: sqlite_utils.Database, day: date) -> IdTickets:
    """The day's tickets taken with an ID, as the rules need them (numbers from ``tickets``)."""
    found = IdTickets(day)
    rows = db.execute(
        "SELECT i.ticket_id, t.number, i.service, i.id_hash, i.age_band FROM ticket_ids i "
        "JOIN tickets t ON t.id = i.ticket_id WHERE i.business_day = ? ORDER BY i.ticket_id",
        [day.isoformat()],
    )
    for ticket_id, number, service, id_hash, band in rows:
        found.add(ticket_id, number, service, id_hash, band)
    return found


def erasable(db: sqlite_utils.Database, before: date) -> int:
    return db.execute("SELECT count(*) FROM ticket_ids WHERE business_day < ?", [before.isoformat()]).fetchone()[0]


def erase(db: sqlite_utils.Database, before: date) -> int:
    """Delete the rows of tickets whose day is before ``before``; returns how many."""
    return db.execute("DELETE FROM ticket_ids WHERE business_day < ?", [before.isoformat()]).rowcount
