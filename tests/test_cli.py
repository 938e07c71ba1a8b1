"""Provisioning from the command line, against a real database file."""

from __future__ import annotations

from queue_server.store import accounts
from queue_server.store.database import open_database

from .conftest import OPENING
from .serverproc import hallqueue


def test_user_add_stores_a_real_password_hash(tmp_path):
    db_path = tmp_path / "hall.db"
    result = hallqueue(db_path, "user", "add", "wang", "--role", "clerk", stdin="a long secret\n")
    assert result.returncode == 0, result.stderr
    db = open_database(db_path)
    role, stored = accounts.find_user(db, "wang")
    db.close()
    assert role == "clerk" and stored.startswith("scrypt$") and "a long secret" not in stored
    assert accounts.verify_password("a long secret", stored)
    assert not accounts.verify_password("a long secreT", stored)
    again = hallqueue(db_path, "user", "add", "wang", "--role", "clerk", stdin="another secret\n")
    assert again.returncode == 1 and 'a user "wang" exists already' in again.stderr
    short = hallqueue(db_path, "user", "add", "li", "--role", "admin", stdin="short\n")
    assert short.returncode == 1 and "at least 8" in short.stderr
    bad_role = hallqueue(db_path, "user", "add", "li", "--role", "boss", stdin="long enough pw\n")
    assert bad_role.returncode == 2 and "boss" in bad_role.stderr
    assert "Traceback" not in again.stderr + short.stderr + bad_role.stderr


def test_device_add_prints_a_token_stored_only_as_hash(tmp_path):
    db_path = tmp_path / "hall.db"
    result = hallqueue(db_path, "device", "add", "kiosk-lobby-1", "--kind", "kiosk")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    db = open_database(db_path)
    assert accounts.find_device(db, accounts.token_hash(token)).name == "kiosk-lobby-1"
    assert token not in str(list(db.query("SELECT * FROM devices")))
    db.close()


def test_events_verify_detects_a_tampered_ticket(tmp_path):
    from queue_server.config.hall_file import load_hall_config
    from queue_server.core.hall import HallState, Restored
    from queue_server.core.model import Priority
    from queue_server.store.database import Store

    config = load_hall_config()
    store = Store(tmp_path / "hall.db")
    store.open()
    state = HallState(config, Restored.empty(OPENING.date()))
    code = next(iter(config.services))
    for _ in range(3):
        state.issue(code, Priority.NORMAL, "kiosk:k", OPENING)
    store.persist(state.take_journal())
    store.close()
    ok = hallqueue(tmp_path / "hall.db", "events", "--verify")
    assert ok.returncode == 0 and "3 stored tickets" in ok.stdout
    listing = hallqueue(tmp_path / "hall.db", "events")
    assert listing.stdout.count("issued") == 3 and "A003" in listing.stdout
    db = open_database(tmp_path / "hall.db")
    db.execute("UPDATE tickets SET status = 'done' WHERE id = 2")
    db.conn.commit()
    db.close()
    bad = hallqueue(tmp_path / "hall.db", "events", "--verify")
    assert bad.returncode == 1 and "1 ticket(s) differ" in bad.stderr


def test_backup_copies_a_consistent_database(tmp_path):
    db_path = tmp_path / "hall.db"
    hallqueue(db_path, "device", "add", "kiosk-1", "--kind", "kiosk")
    result = hallqueue(db_path, "backup", str(tmp_path / "copy.db"))
    assert result.returncode == 0, result.stderr
    copy = open_database(tmp_path / "copy.db")
    assert [r["name"] for r in copy.query("SELECT name FROM devices")] == ["kiosk-1"]
    copy.close()
    again = hallqueue(db_path, "backup", str(tmp_path / "copy.db"))
    assert again.returncode == 1 and "exists already" in again.stderr
