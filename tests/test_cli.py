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


def test_an_evaluator_device_needs_its_window(tmp_path):
    db_path = tmp_path / "hall.db"
    result = hallqueue(db_path, "device", "add", "tablet-3", "--kind", "evaluator", "--window", "3")
    assert result.returncode == 0, result.stderr
    db = open_database(db_path)
    assert accounts.find_device(db, accounts.token_hash(result.stdout.strip())).window == 3
    db.close()
    missing = hallqueue(db_path, "device", "add", "tablet-4", "--kind", "evaluator")
    assert missing.returncode == 1 and "--window" in missing.stderr
    kiosk = hallqueue(db_path, "device", "add", "kiosk-1", "--kind", "kiosk", "--window", "1")
    assert kiosk.returncode == 1 and "only an evaluator" in kiosk.stderr
    zero = hallqueue(db_path, "device", "add", "tablet-0", "--kind", "evaluator", "--window", "0")
    assert zero.returncode == 2
    assert "Traceback" not in missing.stderr + kiosk.stderr + zero.stderr


def test_reception_and_manager_accounts_can_be_added(tmp_path):
    db_path = tmp_path / "hall.db"
    for role in ("reception", "manager"):
        result = hallqueue(db_path, "user", "add", f"u-{role}", "--role", role, stdin="a long secret\n")
        assert result.returncode == 0 and f"added {role} u-{role}" in result.stdout, result.stderr
    db = open_database(db_path)
    assert [r[0] for r in db.execute("SELECT role FROM users ORDER BY rowid")] == ["reception", "manager"]
    db.close()


def test_device_revoke(tmp_path):
    db_path = tmp_path / "hall.db"
    token = hallqueue(db_path, "device", "add", "kiosk-1", "--kind", "kiosk").stdout.strip()
    result = hallqueue(db_path, "device", "revoke", "kiosk-1")
    assert result.returncode == 0 and "revoked kiosk-1" in result.stdout, result.stderr
    db = open_database(db_path)
    assert accounts.find_device(db, accounts.token_hash(token)) is None
    db.close()
    again = hallqueue(db_path, "device", "revoke", "kiosk-1")
    assert again.returncode == 1 and "revoked already" in again.stderr
    unknown = hallqueue(db_path, "device", "revoke", "kiosk-9")
    assert unknown.returncode == 1 and 'no device "kiosk-9"' in unknown.stderr
    assert "Traceback" not in again.stderr + unknown.stderr


def test_user_disable_and_password_end_the_sessions(tmp_path):
    db_path = tmp_path / "hall.db"
    hallqueue(db_path, "user", "add", "wang", "--role", "clerk", stdin="a long secret\n")
    db = open_database(db_path)
    for n, token_hash in enumerate(("s1", "s2")):
        p = accounts.Principal(accounts.Role.CLERK, "wang", token_hash, n + 1, accounts.session_expiry(OPENING, 12))
        accounts.insert_session(db, p, OPENING)
    db.conn.commit()
    db.close()
    short = hallqueue(db_path, "user", "password", "wang", stdin="short\n")
    assert short.returncode == 1 and "at least 8" in short.stderr
    changed = hallqueue(db_path, "user", "password", "wang", stdin="another long secret\n")
    assert changed.returncode == 0 and "ended 2 session(s)" in changed.stdout, changed.stderr
    db = open_database(db_path)
    assert accounts.verify_password("another long secret", accounts.find_user(db, "wang")[1])
    assert accounts.live_sessions(db, OPENING) == []
    db.close()
    disabled = hallqueue(db_path, "user", "disable", "wang")
    assert disabled.returncode == 0 and "disabled wang; ended 0 session(s)" in disabled.stdout
    db = open_database(db_path)
    assert accounts.find_user(db, "wang") is None
    db.close()
    again = hallqueue(db_path, "user", "disable", "wang")
    assert again.returncode == 1 and "disabled already" in again.stderr
    unknown = hallqueue(db_path, "user", "password", "li", stdin="a long secret\n")
    assert unknown.returncode == 1 and 'no user "li"' in unknown.stderr
    assert "Traceback" not in short.stderr + again.stderr + unknown.stderr


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


def test_serve_warns_when_phones_cannot_reach_the_public_url():
    from queue_server.config.public_url import public_url_problem, suggestion

    assert public_url_problem(None) == "[hall] public_url is not set"
    assert (
        public_url_problem("http://127.0.0.1:8080") == "[hall] public_url http://127.0.0.1:8080 is a loopback address"
    )
    assert public_url_problem("http://localhost:8080") is not None
    assert public_url_problem("http://[::1]:8080") is not None
    assert public_url_problem("http://192.168.1.10:8080") is None
    assert public_url_problem("https://hall.example.cn") is None
    # The sample's placeholder, and names reserved for examples, are not an address phones reach.
    assert "placeholder" in public_url_problem("http://192.0.2.10:8080")
    assert "placeholder" in public_url_problem("http://hall.example:8080")
    assert suggestion(8080).startswith(("this machine's address on the network is http://", "e.g. http://"))


async def test_the_warning_reaches_the_servers_log(tmp_path):
    from .serverproc import ALL_DAY_HALL, ServerProcess

    config = tmp_path / "hall.toml"
    config.write_text(ALL_DAY_HALL, encoding="utf-8")  # no public_url
    server = ServerProcess(tmp_path / "hall.db", config, tmp_path / "server.log")
    await server.start()
    server.stop()
    log = (tmp_path / "server.log").read_text(encoding="utf-8")
    assert "WARNING" in log and "[hall] public_url is not set" in log
