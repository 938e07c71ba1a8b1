"""The database schema and its migrations.

The schema version lives in SQLite's ``user_version``. Each migration is a function that
brings the schema from version ``n - 1`` to ``n``; they run in order, each in its own
transaction, when a server or a command opens the database. Never edit a released
migration: add the next one.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def _v1_initial(db: sqlite_utils.Database) -> None:
    db["tickets"].create(
        {
            "id": int,
            "business_day": str,
            "number": str,
            "prefix": str,
            "seq": int,
            "service": str,
            "priority": str,
            "status": str,
            "issued_at": str,
            "queued_since": str,
            "issued_by": str,
            "request_id": str,
            "waiting_ahead": int,
            "estimated_wait_s": int,
            "called_at": str,
            "started_at": str,
            "finished_at": str,
            "window": int,
            "call_count": int,
            "no_show_count": int,
            "transfer_count": int,
            "original_service": str,
        },
        pk="id",
        not_null={"business_day", "number", "prefix", "seq", "service", "priority", "status"},
    )
    # A number is handed out once a day; a device's request id names one ticket a day.
    db["tickets"].create_index(["business_day", "number"], unique=True)
    db["tickets"].create_index(["business_day", "issued_by", "request_id"], unique=True)
    db["tickets"].create_index(["status"])

    db["events"].create(
        {
            "seq": int,
            "at": str,
            "business_day": str,
            "kind": str,
            "actor": str,
            "ticket_id": int,
            "number": str,
            "service": str,
            "from_status": str,
            "to_status": str,
            "window": int,
            "ticket": str,  # JSON: the ticket after the change
            "data": str,  # JSON
        },
        pk="seq",
        not_null={"at", "kind", "actor"},
    )
    db["events"].create_index(["business_day", "kind"])
    db["events"].create_index(["ticket_id"])
    # The event log is the audit trail: the database itself refuses to rewrite history.
    db.executescript(
        """
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        """
    )

    db["windows"].create(
        {
            "number": int,
            "status": str,
            "ticket_id": int,
            "clerk": str,
            "since": str,
            "priority_streak": int,
        },
        pk="number",
    )
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["users"].create(
        {"login": str, "role": str, "password_hash": str, "created_at": str, "disabled": int},
        pk="login",
        not_null={"role", "password_hash"},
        defaults={"disabled": 0},
    )
    db["devices"].create(
        {"name": str, "kind": str, "token_hash": str, "created_at": str, "revoked_at": str},
        pk="name",
        not_null={"kind", "token_hash"},
    )
    db["devices"].create_index(["token_hash"], unique=True)
    db["sessions"].create(
        {
            "token_hash": str,
            "login": str,
            "role": str,
            "window": int,
            "created_at": str,
            "expires_at": str,
            "ended_at": str,
        },
        pk="token_hash",
        not_null={"login", "role", "expires_at"},
        foreign_keys=[("login", "users", "login")],
    )


def _v2_status_links_and_faults(db: sqlite_utils.Database) -> None:
    """Tickets get a public code for their status page; devices report faults."""
    db["tickets"].add_column("public_code", str)
    db["tickets"].create_index(["public_code"], unique=True)
    db["device_faults"].create(
        {
            "id": int,
            "device": str,
            "component": str,
            "state": str,
            "message": str,
            "since": str,
            "cleared_at": str,
        },
        pk="id",
        not_null={"device", "component", "state", "since"},
    )
    # One row per fault episode: the same part failing again later is a new row.
    db["device_faults"].create_index(["device", "component", "since"], unique=True)


def _v3_ratings(db: sqlite_utils.Database) -> None:
    """好差评: one rating per ticket; a low one opens a follow-up for the hall manager."""
    db["windows"].add_column("rating_ticket", int)
    db["ratings"].create(
        {
            "ticket_id": int,
            "number": str,
            "service": str,
            "window": int,
            "clerk": str,
            "level": int,
            "reasons": str,
            "at": str,
            "business_day": str,
        },
        pk="ticket_id",  # one rating per ticket, enforced by the database too
        not_null={"level", "at", "business_day"},
    )
    db["ratings"].create_index(["business_day"])
    db["followups"].create(
        {
            "id": int,
            "ticket_id": int,
            "number": str,
            "window": int,
            "clerk": str,
            "level": int,
            "reasons": str,
            "opened_at": str,
            "due": str,
            "closed_at": str,
            "resolution": str,
            "closed_by": str,
        },
        pk="id",
        not_null={"ticket_id", "opened_at", "due"},
    )


# What changes who may call the server. Each bumps ``auth_version`` in the same transaction, so a
# running server notices on its next request (``api/auth.py``) whoever made the change: the
# server itself (sign-out, idle expiry) or ``hallqueue device revoke`` / ``user disable`` /
# ``user password`` from another process.
_AUTH_CHANGES = {
    "devices_changed": "AFTER UPDATE OF token_hash, kind, window, revoked_at ON devices",
    "devices_deleted": "AFTER DELETE ON devices",
    "users_changed": "AFTER UPDATE OF role, password_hash, disabled ON users",
    "users_deleted": "AFTER DELETE ON users",
    "sessions_ended": "AFTER UPDATE OF ended_at, expires_at ON sessions",
    "sessions_deleted": "AFTER DELETE ON sessions",
}


def _v4_auth(db: sqlite_utils.Database) -> None:
    """Evaluator tablets bound to a window; who rated; revocation and idle expiry a running
    server sees at once (``auth_version``, ``sessions.last_seen_at``)."""
    db["devices"].add_column("window", int)  # an evaluator tablet's window; NULL for other kinds
    db["ratings"].add_column("rated_by", str)  # the actor who rated, e.g. "evaluator:tablet-3"
    db["sessions"].add_column("last_seen_at", str)  # written at most once a minute per session
    db["sessions"].create_index(["login"])  # ending one user's sessions
    db["auth_version"].create({"id": int, "version": int}, pk="id", not_null={"version"})
    db.execute("INSERT INTO auth_version (id, version) VALUES (1, 0)")
    for name, when in _AUTH_CHANGES.items():
        db.execute(
            f"CREATE TRIGGER {name}_bumps_auth_version {when} "
            "BEGIN UPDATE auth_version SET version = version + 1 WHERE id = 1; END"
        )


def _v5_staff_identity(db: sqlite_utils.Database) -> None:
    """亮牌: staff have a name, a staff number and a photo; a rating may carry a comment, and its
    follow-up the phone number the visitor left for the call-back (kept only until it is closed)."""
    db["users"].add_column("name", str)
    db["users"].add_column("staff_no", str)
    db["users"].add_column("photo", bytes)  # JPEG, re-encoded and size-limited (store/photos.py)
    db["ratings"].add_column("comment", str)
    db["followups"].add_column("comment", str)
    db["followups"].add_column("phone", str)


def _v6_visits(db: sqlite_utils.Database) -> None:
    """Several services in one visit: a ticket may carry more services, or be linked to the
    other tickets of the same visit."""
    db["tickets"].add_column("also_services", str)  # JSON list; NULL: none
    db["tickets"].add_column("group_id", int)
    db["tickets"].create_index(["group_id"])


def _v7_ticket_clerk(db: sqlite_utils.Database) -> None:
    """Who served each ticket, on the ticket: a rating given later by phone is about that clerk.
    Older tickets take it from the audit log: the clerk who last called them."""
    db["tickets"].add_column("clerk", str)
    db.execute(
        "UPDATE tickets SET clerk = (SELECT substr(e.actor, 7) FROM events e WHERE e.ticket_id = tickets.id "
        "AND e.kind IN ('called', 'recalled') AND e.actor LIKE 'clerk:%' ORDER BY e.seq DESC LIMIT 1) "
        "WHERE called_at IS NOT NULL"
    )


def _v8_notify(db: sqlite_utils.Database) -> None:
    """SMS reminders: the number a visitor left for a ticket, the messages made for it, and their
    delivery to each sink (the outbox). Numbers are erased after the ticket's business day plus
    ``[notify] keep_phone_days``; a settled message keeps only the masked number."""
    db["notify_phones"].create(
        {
            "ticket_id": int,
            "business_day": str,
            "number": str,
            "phone": str,  # NULL once withdrawn or erased
            "phone_masked": str,
            "set_at": str,
            "changes": int,  # how often a number was left for this ticket (a limit against misuse)
        },
        pk="ticket_id",
        not_null={"business_day", "number", "set_at", "changes"},
    )
    db["notify_phones"].create_index(["business_day"])
    db["notify_messages"].create(
        {
            "message_id": str,  # sent to the gateway: the same message never counts twice there
            "key": str,  # what it is about (ticket, kind, which call): made once
            "ticket_id": int,
            "business_day": str,
            "number": str,
            "kind": str,  # soon (快到您了) or called (请到 N 号窗口)
            "phone": str,  # NULL once every sink is done with it, or erased
            "phone_masked": str,
            "text": str,
            "window": int,
            "ahead": int,
            "created_at": str,
        },
        pk="message_id",
        not_null={"key", "ticket_id", "business_day", "number", "kind", "text", "created_at"},
    )
    db["notify_messages"].create_index(["key"], unique=True)
    db["notify_messages"].create_index(["business_day"])
    db["notify_messages"].create_index(["ticket_id"])
    db["notify_deliveries"].create(
        {
            "message_id": str,
            "sink": str,  # log or webhook
            "state": str,  # queued, delivered, failed (refused or out of attempts), withdrawn, expired
            "failures": int,
            "last_error": str,
            "last_attempt_at": str,
            "settled_at": str,
        },
        pk=("message_id", "sink"),
        not_null={"state", "failures"},
        foreign_keys=[("message_id", "notify_messages", "message_id")],
    )
    db["notify_deliveries"].create_index(["sink", "state"])


def _report_table(db: sqlite_utils.Database, name: str, keys: dict[str, type], not_null: set[str]) -> None:
    """A rollup table: its keys, then the same figures as every other (``store/rollup.py``)."""
    db[name].create(
        {
            **keys,
            **dict.fromkeys(("issued", "served", "no_show", "cancelled", "expired"), int),
            **dict.fromkeys(("transferred_in", "transferred_out"), int),
            "waits": bytes,  # the waits until the first call, whole seconds, array('I'), sorted
            "service_times": bytes,  # the served visitors' times at the window, the same way
            **{f"ratings_{level}": int for level in range(1, 6)},
        },
        not_null=not_null,
    )


def _v9_reports(db: sqlite_utils.Database) -> None:
    """统计分析 over years: closed business days folded three ways (``store/rollup.py``), so a
    report reads a few hundred rows a day, or a month, instead of the tickets and their events."""
    cell = {"service": str, "department": str, "window": int, "clerk": str, "priority": str, "hour": int}
    # Per day and hour of issue: the finest, for short periods and the weekday × hour arrivals.
    _report_table(db, "report_cells", {"day": str, "weekday": int, **cell}, {"day", "weekday", "service", "hour"})
    db["report_cells"].create_index(["day"])
    # Per day, without the hour and the clerk: reports by day and by weekday.
    day_keys = {"day": str, "weekday": int, "service": str, "department": str, "window": int, "priority": str}
    _report_table(db, "report_days", day_keys, {"day", "weekday", "service"})
    db["report_days"].create_index(["day"])
    # Per month (YYYY-MM), of the days folded so far: the whole months of a long period.
    _report_table(db, "report_months", {"month": str, **cell}, {"month", "service", "hour"})
    db["report_months"].create_index(["month"])
    # Which days are folded, from how many tickets: a day is read from the rollup only if here.
    db["report_rollups"].create({"day": str, "tickets": int, "rolled_at": str}, pk="day", not_null={"tickets"})


def _v10_bookings(db: sqlite_utils.Database) -> None:
    """预约: the bookings of each slot, the days and slots staff closed to bookings, and SMS that
    are about a booking rather than a ticket (``ticket_id`` 0, ``booking_id`` says which)."""
    db["bookings"].create(
        {
            "id": int,
            "code": str,  # 8 characters, unambiguous (core/booking.py)
            "service": str,
            "day": str,  # the slot's date
            "slot_start": str,  # ISO, hall time with its offset
            "slot_end": str,
            "status": str,  # booked, checked_in, cancelled, missed
            "name": str,  # personal data: NULL once erased ([booking] keep_days after the slot)
            "phone": str,
            "phone_masked": str,
            "phone_hash": str,  # HMAC (key in the data folder): the one-per-phone rule, no-shows
            "id_hash": str,  # HMAC of the ID number when one was given; never the number
            "created_at": str,
            "cancelled_at": str,
            "checked_in_at": str,
            "checked_in_by": str,
            "ticket_id": int,
            "ticket_number": str,
            "on_time": int,  # checked in within the window: an appointment ticket
            "missed_at": str,
            "reminded_at": str,
            "erased_at": str,
        },
        pk="id",
        not_null={"code", "service", "day", "slot_start", "slot_end", "status", "created_at"},
    )
    db["bookings"].create_index(["code"], unique=True)
    db["bookings"].create_index(["service", "slot_start", "status"])
    db["bookings"].create_index(["day", "status"])
    # One active booking per phone, and per ID number, per service per day: the database holds it.
    db.execute(
        "CREATE UNIQUE INDEX bookings_one_per_phone ON bookings (service, day, phone_hash) "
        "WHERE status != 'cancelled' AND phone_hash IS NOT NULL"
    )
    db.execute(
        "CREATE UNIQUE INDEX bookings_one_per_id ON bookings (service, day, id_hash) "
        "WHERE status != 'cancelled' AND id_hash IS NOT NULL"
    )
    db["booking_blocks"].create(
        {
            "id": int,
            "day": str,
            "service": str,  # NULL: every service that takes bookings
            "slot_start": str,  # NULL: the whole day
            "reason": str,
            "created_by": str,
            "created_at": str,
            "removed_at": str,
            "removed_by": str,
        },
        pk="id",
        not_null={"day", "reason", "created_by", "created_at"},
    )
    db["booking_blocks"].create_index(["day"])
    db["notify_messages"].add_column("booking_id", int)
    db["notify_messages"].create_index(["booking_id"])


def _v11_ticket_ids(db: sqlite_utils.Database) -> None:
    """身份证取号: the keyed hash of the ID a ticket was taken with (never the number), apart from the
    tickets table and the append-only event log so that it can be erased (``[privacy] keep_days``)."""
    db["ticket_ids"].create(
        {"ticket_id": int, "business_day": str, "service": str, "id_hash": str, "age_band": str},
        pk=("ticket_id", "service"),  # a number carrying several services counts for each
        not_null={"business_day", "service", "id_hash"},
    )
    db["ticket_ids"].create_index(["business_day"])


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1_initial,
    _v2_status_links_and_faults,
    _v3_ratings,
    _v4_auth,
    _v5_staff_identity,
    _v6_visits,
    _v7_ticket_clerk,
    _v8_notify,
    _v9_reports,
    _v10_bookings,
    _v11_ticket_ids,
]
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The database was written by a newer hallqueue than this one."""


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the schema up to date; returns the version it started from."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the database has schema version {current}, this hallqueue knows up to {SCHEMA_VERSION}: upgrade hallqueue"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with db.atomic():
            MIGRATIONS[version - 1](db)
            db.execute(f"PRAGMA user_version = {version}")
    return current
