"""The store: schema versions, one server per database, demo credentials for the sample hall."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest

from queue_server.config.hall_file import load_hall_config, parse_hall_config
from queue_server.core.hall import HallState, Restored
from queue_server.core.model import EventKind, Priority
from queue_server.store.database import Store, StoreLocked, open_database
from queue_server.store.demo import ensure_demo_accounts
from queue_server.store.schema import SCHEMA_VERSION, SchemaTooNew, migrate

from .conftest import OPENING, hall_data


def test_migrations_set_the_schema_version_and_are_idempotent(tmp_path):
    db = open_database(tmp_path / "hall.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: fsync at every commit
    assert migrate(db) == SCHEMA_VERSION  # nothing left to do
    assert {"tickets", "events", "windows", "users", "devices", "sessions", "meta"} <= set(db.table_names())
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNew):
        migrate(db)
    db.close()


def test_a_second_server_cannot_open_the_same_database(tmp_path):
    first = Store(tmp_path / "hall.db")
    first.open()
    try:
        with pytest.raises(StoreLocked):
            Store(tmp_path / "hall.db").open()
    finally:
        first.close()
    again = Store(tmp_path / "hall.db")
    again.open()
    again.close()


def test_demo_credentials_are_created_once_and_private(tmp_path):
    config = load_hall_config()
    db = open_database(tmp_path / "hall.db")
    path, created = ensure_demo_accounts(db, config, tmp_path, OPENING)
    assert created
    creds = json.loads(path.read_text(encoding="utf-8"))
    assert len(creds["clerks"]) == len(config.windows) and "DEMO" in creds["warning"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _, again = ensure_demo_accounts(db, config, tmp_path, OPENING)
    assert not again
    db.close()


def serve_and_rate(store: Store) -> HallState:
    """Persist a day where A001 is called, recalled, finished and rated from window 1's tablet."""
    state = HallState(parse_hall_config(hall_data(), "test-hall.toml"), Restored.empty(OPENING.date()))
    state.open_window(1, "clerk1", OPENING)
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    state.call_next(1, "clerk:clerk1", OPENING)
    state.act(tid, "recall", "clerk:clerk1", OPENING + timedelta(minutes=1), window=1)
    state.act(tid, "finish", "clerk:clerk1", OPENING + timedelta(minutes=9), window=1)
    state.rate(1, 4, ("办事效率",), "evaluator:tablet-1", OPENING + timedelta(minutes=10))
    store.persist(state.take_journal())
    return state


def test_restore_rebuilds_the_latest_calls_and_reads_kinds_back_as_enums(tmp_path):
    store = Store(tmp_path / "hall.db")
    store.open()
    try:
        state = serve_and_rate(store)
        (cache_size,) = store.writer.execute("PRAGMA cache_size").fetchone()
        restored = store.restore(state.config, OPENING + timedelta(minutes=11))
        # The restore reads with a small page cache; the writer gets its own back afterwards.
        assert store.writer.execute("PRAGMA cache_size").fetchone() == (cache_size,)
        assert [(c.number, c.window, c.call_count) for c in restored.recent_calls] == [("A001", 1, 1), ("A001", 1, 2)]
        events = store.latest_events(10)
        assert [e.kind for e in events] == [
            EventKind.WINDOW_OPENED,
            EventKind.ISSUED,
            EventKind.CALLED,
            EventKind.RECALLED,
            EventKind.FINISHED,
            EventKind.RATED,
        ]
        assert all(isinstance(e.kind, EventKind) for e in events)
        assert [e.data["window_ticket"] for e in events[2:]] == ["A001", "A001", None, None]
        # Opening a window moves its services' waits (the lobby gets them); a rating does not.
        assert "hukou" in events[0].data["estimates"] and "estimates" not in events[5].data
    finally:
        store.close()


def test_a_rating_is_stored_with_who_submitted_it(tmp_path):
    store = Store(tmp_path / "hall.db")
    store.open()
    try:
        serve_and_rate(store)
        rows = list(store.reader().query("SELECT number, level, rated_by FROM ratings"))
        assert rows == [{"number": "A001", "level": 4, "rated_by": "evaluator:tablet-1"}]
    finally:
        store.close()
