"""统计分析 on a simulated history: ``simulate --write-history`` folds what it writes, the totals
match a direct count whichever rollup table answers (whole months or single days), a server
started on a history it finds unfolded folds it by itself, and ``reports rebuild`` and
``reports show`` give the same figures as the API."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import aiohttp
import openpyxl

from .conftest import PASSWORD
from .fullhall import all_day_sample
from .serverproc import ServerProcess, hallqueue

START, DAYS = "2026-10-29", 5  # Thursday 29 October to Monday 2 November: across a month's end
WHOLE = ("2026-10-01", "2026-11-30")  # two whole months: read from report_months
EXACT = ("2026-10-29", "2026-11-02")  # the same days: read from report_cells and report_days


def _rows(db, sql, params=()):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _show(db, first: str, last: str, by: str, *extra: str) -> dict:
    result = hallqueue(db, "reports", "show", "--from", first, "--to", last, "--by", by, "--json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _direct(db) -> dict:
    status = dict(_rows(db, "SELECT status, count(*) FROM tickets GROUP BY status"))
    ((issued,),) = _rows(db, "SELECT count(*) FROM tickets")
    return {
        "issued": issued,
        "served": status.get("done", 0),
        "no_show": status.get("no_show", 0),
        "expired": status.get("expired", 0),
        "cancelled": status.get("cancelled", 0),
    }


async def test_a_simulated_history_is_folded_and_reports_match_a_direct_count(tmp_path):
    db = tmp_path / "history.db"
    written = hallqueue(db, "simulate", "--days", str(DAYS), "--start", START, "--write-history", str(db))
    assert written.returncode == 0, written.stderr
    days_with_tickets = _rows(db, "SELECT count(DISTINCT business_day) FROM tickets")[0][0]
    assert f"history: {days_with_tickets} day(s) folded" in written.stderr
    assert _rows(db, "SELECT count(*) FROM report_rollups") == [(days_with_tickets,)]
    assert sorted(m for (m,) in _rows(db, "SELECT DISTINCT month FROM report_months")) == ["2026-10", "2026-11"]

    direct = _direct(db)
    assert direct["issued"] > 5000
    reports = {}
    for by in ("service", "department", "window", "clerk", "hour", "weekday", "day"):
        whole, exact = _show(db, *WHOLE, by), _show(db, *EXACT, by)
        assert whole["rows"] == exact["rows"], by
        assert whole["total"] == exact["total"], by
        assert {k: whole["total"][k] for k in direct} == direct, by
        for name in ("issued", "served", "no_show", "transferred_in", "transferred_out"):
            assert whole["total"][name] == sum(r[name] for r in whole["rows"]), (by, name)
        reports[by] = whole
    ((waited,),) = _rows(db, "SELECT count(*) FROM tickets WHERE called_at IS NOT NULL")
    assert reports["day"]["period"]["days_with_data"] == days_with_tickets
    assert len(reports["day"]["rows"]) == days_with_tickets
    # Every called ticket has its wait counted once: the p90 and the target share agree with it.
    assert 0 < reports["service"]["total"]["within_target_share"] < 1
    assert waited >= direct["served"]

    # A history found unfolded (written by an older hallqueue, say): the server folds it at start.
    conn = sqlite3.connect(db)
    for table in ("report_rollups", "report_cells", "report_days", "report_months"):
        conn.execute(f"DELETE FROM {table}")
    conn.commit()
    conn.close()
    config = all_day_sample(tmp_path)
    password = PASSWORD + "\n"
    assert hallqueue(db, "user", "add", "boss", "--role", "manager", stdin=password).returncode == 0
    server = ServerProcess(db, config, tmp_path / "server.log")
    await server.start()
    try:
        for _ in range(100):
            if _rows(db, "SELECT count(*) FROM report_rollups") == [(days_with_tickets,)]:
                break
            await asyncio.sleep(0.1)
        assert _rows(db, "SELECT count(*) FROM report_rollups") == [(days_with_tickets,)]
        async with aiohttp.ClientSession(server.url) as http:
            async with http.post("/api/login", json={"login": "boss", "password": PASSWORD}) as resp:
                token = (await resp.json())["token"]
            headers = {"Authorization": f"Bearer {token}"}
            async with http.get(f"/api/reports?from={WHOLE[0]}&to={WHOLE[1]}&by=day", headers=headers) as resp:
                assert resp.status == 200
                assert (await resp.json())["rows"] == reports["day"]["rows"]
            url = f"/api/reports?from={WHOLE[0]}&to={WHOLE[1]}&by=department&format=xlsx"
            async with http.get(url, headers=headers) as resp:
                assert resp.status == 200
                (tmp_path / "months.xlsx").write_bytes(await resp.read())
    finally:
        server.stop()
    sheet = openpyxl.load_workbook(tmp_path / "months.xlsx")["按部门"]
    total_line = list(sheet.iter_rows(min_row=sheet.max_row, values_only=True))[0]
    assert total_line[:3] == ("合计", direct["issued"], direct["served"])

    rebuilt = hallqueue(db, "reports", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"folded {days_with_tickets} day(s)" in rebuilt.stdout
    assert _show(db, *WHOLE, "clerk") == reports["clerk"]
    table = hallqueue(db, "reports", "show", "--from", WHOLE[0], "--to", WHOLE[1], "--by", "department")
    assert table.returncode == 0 and "合计" in table.stdout and "市公安局" in table.stdout
    refused = hallqueue(db, "reports", "show", "--from", "2020-01-01", "--to", "2020-01-31")
    assert refused.returncode == 1 and "outside_data" in refused.stderr
