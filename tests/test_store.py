"""The store: schema versions, one server per database, demo credentials for the sample hall."""

from __future__ import annotations

import json
import stat

import pytest

from queue_server.config.hall_file import load_hall_config
from queue_server.store.database import Store, StoreLocked, open_database
from queue_server.store.demo import ensure_demo_accounts
from queue_server.store.schema import SCHEMA_VERSION, SchemaTooNew, migrate

from .conftest import OPENING


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
