"""``hallqueue simulate --write-history``: simulated days written through the real store, a
database the audit-log check accepts and a real server starts on."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
from datetime import date, datetime, timedelta

import aiohttp
import pytest

from queue_server.config import load_hall_config
from queue_server.core.journal import Journal
from queue_server.core.model import Event, EventKind
from queue_server.core.numbering import business_day
from queue_server.sim.history import HistoryError, HistoryWriter
from queue_server.sim.history_process import HistoryProcess
from queue_server.store.database import Store

from .fullhall import all_day_sample
from .serverproc import ServerProcess, hallqueue

START = date(2026, 3, 9)  # Monday to Wednesday: no holidays in the sample hall's calendar
DAYS = 3


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Three sample-hall days written as history: (database, the simulated figures, stderr)."""
    db = tmp_path_factory.mktemp("history") / "history.db"
    result = hallqueue(
        db, "simulate", "--days", str(DAYS), "--start", START.isoformat(), "--write-history", str(db), "--json"
    )
    assert result.returncode == 0, result.stderr
    return db, json.loads(result.stdout), result.stderr


def rows(db, sql, params=()):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_the_history_holds_the_simulated_days_as_the_server_writes_them(history):
    db, figures, stderr = history
    written = re.search(r"history: (\d+) tickets, (\d+) events", stderr)
    assert written, stderr
    tickets, events = int(written[1]), int(written[2])
    assert tickets == figures["tickets"] > 1000
    assert rows(db, "SELECT count(*) FROM tickets") == [(tickets,)]
    assert rows(db, "SELECT count(*) FROM events") == [(events,)]
    days = [(START + timedelta(days=i)).isoformat() for i in range(DAYS)]
    assert [d for (d,) in rows(db, "SELECT DISTINCT business_day FROM tickets ORDER BY 1")] == days
    # Numbering restarts every day: each prefix runs 001, 002, ... without a gap.
    for day, prefix, first, last, count in rows(
        db, "SELECT business_day, prefix, min(seq), max(seq), count(*) FROM tickets GROUP BY business_day, prefix"
    ):
        assert (first, last) == (1, count), (day, prefix)
    assert rows(db, "SELECT number FROM tickets WHERE business_day = ? AND prefix = 'A' AND seq = 1", [days[1]]) == [
        ("A001",)
    ]
    # The simulated days' own times, in the hall's zone; every ticket ended with its day.
    for day, issued_at, finished_at in rows(db, "SELECT business_day, issued_at, finished_at FROM tickets"):
        assert issued_at.startswith(day) and issued_at.endswith("+08:00")
        assert finished_at is not None
    assert rows(db, "SELECT count(*) FROM tickets WHERE status IN ('waiting', 'called', 'serving')") == [(0,)]
    assert rows(db, "SELECT count(*) FROM windows WHERE status != 'closed'") == [(0,)]
    # The bookkeeping a starting server reads: the day after the last, and the store's journal mode.
    assert rows(db, "SELECT value FROM meta WHERE key = 'business_day'") == [
        ((START + timedelta(days=DAYS)).isoformat(),)
    ]
    assert rows(db, "PRAGMA journal_mode") == [("wal",)]
    verified = hallqueue(db, "events", "--verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == f"ok: {events} events replay to the {tickets} stored tickets"


def test_an_existing_file_is_refused_and_left_alone(history, tmp_path):
    db = history[0]
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = hallqueue(db, "simulate", "--start", START.isoformat(), "--write-history", str(db))
    assert result.returncode != 0
    assert "exists already" in result.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    with pytest.raises(HistoryError, match="exists already"):
        HistoryWriter.create(db)


def test_the_second_process_reports_a_failed_write_and_removes_its_file(tmp_path):
    """What the writing process cannot write (here a batch without its business day, which the
    store refuses) ends the history with the cause, not a hang or a silent partial file."""
    db = tmp_path / "broken.db"
    writer = HistoryProcess.create(db)
    assert db.exists()
    journal = Journal()  # no day: not a journal the hall core hands over
    journal.events.append(Event(seq=1, at=datetime(2026, 3, 9, 9, 0).astimezone(), kind=EventKind.ISSUED, actor="t"))
    writer.add(journal)
    with pytest.raises(HistoryError, match=f"could not write {re.escape(str(db))}"):
        writer.close()
    assert not db.exists()
    # A day that is not in the past is refused, and that file removed too.
    future = tmp_path / "future.db"
    writer = HistoryProcess.create(future)
    journal = Journal(day=date.today())
    journal.events.append(
        Event(seq=1, at=datetime.now().astimezone() + timedelta(days=1), kind=EventKind.ISSUED, actor="t")
    )
    with pytest.raises(HistoryError, match="after now"):
        writer.add(journal)
    writer.close()  # nothing left to do
    assert not future.exists()
    # Opening is the child's too: its refusal comes back as the same error HistoryWriter gives.
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"")
    with pytest.raises(HistoryError, match="exists already"):
        HistoryProcess.create(taken)
    assert taken.read_bytes() == b""


def test_history_ends_before_today(tmp_path):
    config = load_hall_config(None)
    today = business_day(datetime.now(config.timezone), config.timezone, config.day_start)
    db = tmp_path / "future.db"
    result = hallqueue(db, "simulate", "--start", today.isoformat(), "--write-history", str(db))
    assert result.returncode == 2
    assert "must end before today" in result.stderr
    assert not db.exists()


def test_a_starting_server_reads_only_its_business_day(history):
    """Every query of ``Store.restore`` and the catch-up refill goes through an index to the day:
    none reads all the tickets or events, nor every finished ticket by the status index."""
    config = load_hall_config(None)
    store = Store(history[0])
    store.open()
    statements: list[str] = []
    try:
        store.writer.conn.set_trace_callback(statements.append)
        restored = store.restore(config, datetime.now(config.timezone))
        store.writer.conn.set_trace_callback(None)
        assert restored.business_day == START + timedelta(days=DAYS)
        assert not restored.finished_today and not restored.active_tickets
        reader = store.reader().conn
        reader.set_trace_callback(statements.append)
        assert {e.kind for e in store.latest_events(5000, restored.business_day)} <= {"window_closed", "day_started"}
        reader.set_trace_callback(None)
        selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
        assert any("+status = 'done'" in q for q in selects)
        for query in selects:
            plan = " / ".join(row[3] for row in store.writer.conn.execute("EXPLAIN QUERY PLAN " + query))
            assert "SCAN tickets" not in plan and "SCAN events" not in plan, (query, plan)
            if "idx_tickets_status" in plan:
                assert "status IN ('waiting', 'called', 'serving')" in query, (query, plan)
    finally:
        store.close()


async def test_a_server_starts_on_the_history_and_numbers_today_afresh(history, tmp_path):
    db, figures = tmp_path / "hall.db", history[1]
    shutil.copyfile(history[0], db)  # the other tests see the history as written
    added = hallqueue(db, "device", "add", "kiosk-1", "--kind", "kiosk")
    assert added.returncode == 0, added.stderr
    kiosk = {"Authorization": f"Bearer {added.stdout.strip()}"}
    config = all_day_sample(tmp_path)  # the sample hall open now, whatever the time
    server = ServerProcess(db, config, tmp_path / "server.log")
    await server.start()
    try:
        async with (
            aiohttp.ClientSession(server.url) as http,
            http.post("/api/tickets", json={"service": "hz-idcard"}, headers=kiosk) as resp,
        ):
            assert resp.status == 201, await resp.text()
            ticket = await resp.json()
    finally:
        server.stop()
    hall = load_hall_config(config)
    today = business_day(datetime.now(hall.timezone), hall.timezone, hall.day_start)
    assert (ticket["number"], ticket["business_day"]) == ("A001", today.isoformat())
    assert ticket["id"] == figures["tickets"] + 1
    assert rows(db, "SELECT count(*) FROM tickets WHERE business_day < ?", [today.isoformat()]) == [
        (figures["tickets"],)
    ]
    verified = hallqueue(db, "events", "--verify")
    assert verified.returncode == 0, verified.stderr
    assert f"the {figures['tickets'] + 1} stored tickets" in verified.stdout
