"""统计分析 (GET /api/reports): every figure of a small history made by hand through the real
server, the same before and after the days are folded into the rollup; totals against rows and
against the database; the refusals; the CSV and XLSX files."""

from __future__ import annotations

import csv
import io
import sqlite3
from functools import partial
from urllib.parse import unquote

import openpyxl
import pytest

from queue_server.api import appkeys
from queue_server.core.report_figures import FIGURES, Grouping

DAY1, DAY2 = "2026-11-25", "2026-11-26"  # a Wednesday (the test clock's) and the Thursday after
PERIOD = f"from={DAY1}&to={DAY2}"


async def _ok(resp, status: int = 200) -> dict:
    assert resp.status == status, await resp.text()
    return await resp.json() if resp.content_type == "application/json" else None


async def _call(hall, window_headers, window: int) -> dict:
    return await _ok(await hall.client.post(f"/api/windows/{window}/call-next", headers=window_headers))


async def _act(hall, ticket: dict, action: str, headers, body=None) -> dict:
    return await _ok(await hall.client.post(f"/api/tickets/{ticket['id']}/{action}", json=body, headers=headers))


async def _rate(hall, window: int, level: int) -> None:
    body = {"level": level, **({"reasons": ["等候时间"]} if level <= 2 else {})}
    await _ok(await hall.client.post(f"/api/windows/{window}/rating", json=body, headers=hall.evaluator(window)), 201)


async def make_history(hall) -> None:
    """Two business days whose every figure is known (times from the test clock, 09:00 Wed):

    - A hukou: wait 60 s, served 120 s, rated 5. B hukou: wait 600 s, served 600 s, rated 1
      (a follow-up, closed the same day: on time).
    - C idcard: called after 60 s, 过号 twice (the second is final).
    - D tax: cancelled by the reception desk. E water-pay: never called, expired at the turnover.
    - F hukou: called after 300 s at window 1, transferred to idcard, called again and served
      240 s from that call.
    - Day 2, G water-pay: wait 1200 s (the target itself), served 300 s, rated 4.
    """
    c, clock = hall.client, hall.clock
    w1, reception = await hall.clerk(1), await hall.reception()
    call, act, rate = (partial(f, hall) for f in (_call, _act, _rate))

    a = await hall.issue("hukou")
    clock.advance(seconds=60)
    assert (await call(w1, 1))["number"] == a["number"]
    clock.advance(seconds=120)
    await act(a, "finish", w1)
    await rate(1, 5)
    b = await hall.issue("hukou")
    clock.advance(seconds=600)
    assert (await call(w1, 1))["number"] == b["number"]
    clock.advance(seconds=600)
    await act(b, "finish", w1)
    await rate(1, 1)
    ticket_c = await hall.issue("idcard")
    clock.advance(seconds=60)
    assert (await call(w1, 1))["number"] == ticket_c["number"]
    assert (await act(ticket_c, "no-show", w1))["status"] == "waiting"  # back in line once
    assert (await call(w1, 1))["number"] == ticket_c["number"]
    assert (await act(ticket_c, "no-show", w1))["status"] == "no_show"
    d = await hall.issue("tax")
    assert (await act(d, "cancel", reception))["status"] == "cancelled"
    await hall.issue("water-pay")  # E: waits until the day ends
    f = await hall.issue("hukou")
    clock.advance(seconds=300)
    assert (await call(w1, 1))["number"] == f["number"]
    await act(f, "transfer", w1, {"service": "idcard"})
    assert (await call(w1, 1))["number"] == f["number"]
    clock.advance(seconds=240)
    await act(f, "finish", w1)
    manager = await hall.manager()
    await _ok(await c.post("/api/followups/1/close", json={"resolution": "已电话回访"}, headers=manager))

    clock.advance(days=1)  # Thursday 09:24: the turnover expires E, and the sessions are over
    hall.clerk_tokens.clear()
    hall.staff_tokens.clear()
    w4 = await hall.clerk(4)
    g = await hall.issue("water-pay")
    clock.advance(seconds=1200)
    assert (await call(w4, 4))["number"] == g["number"]
    clock.advance(seconds=300)
    await act(g, "finish", w4)
    await rate(4, 4)


EXPECTED_TOTAL = {
    "issued": 7,
    "served": 4,
    "no_show": 1,
    "cancelled": 1,
    "expired": 1,
    "transferred_in": 1,
    "transferred_out": 1,
    "wait_mean_s": 444.0,  # (60 + 600 + 60 + 300 + 1200) / 5
    "wait_median_s": 300.0,
    "wait_p90_s": 1200,
    "wait_max_s": 1200,
    "within_target_share": 1.0,  # 1200 s is within a 20-minute target
    "service_mean_s": 315.0,  # (120 + 600 + 240 + 300) / 4
    "service_p90_s": 600,
    "ratings": 3,
    "ratings_5": 1,
    "ratings_4": 1,
    "ratings_3": 0,
    "ratings_2": 0,
    "ratings_1": 1,
    "satisfaction_rate": 0.6667,
    "rating_coverage": 0.75,
    "low_ratings": 1,
    "followups_on_time": 1,
    "followups_late": 0,
    "followups_open": 0,
}


def _by_key(report: dict) -> dict:
    return {row["key"]: row for row in report["rows"]}


def _check_every_figure(report: dict) -> None:
    assert report["total"] == {"key": None, "label": "合计", **EXPECTED_TOTAL}


async def _report(hall, query: str, headers=None) -> dict:
    return await _ok(await hall.client.get(f"/api/reports?{query}", headers=headers or await hall.manager()))


async def test_every_figure_of_a_known_history_before_and_after_the_fold(hall):
    await make_history(hall)
    live = {by: await _report(hall, f"{PERIOD}&by={by.value}") for by in Grouping}
    month = "from=2026-11-01&to=2026-11-30"  # a whole month: read from report_months once folded
    live_month = {by: await _report(hall, f"{month}&by={by.value}") for by in Grouping}
    _check_every_figure(live[Grouping.SERVICE])

    services = _by_key(live[Grouping.SERVICE])
    assert set(services) == {"hukou", "idcard", "tax", "water-pay"}
    hukou, idcard, tax, water = (services[s] for s in ("hukou", "idcard", "tax", "water-pay"))
    assert (hukou["label"], hukou["issued"], hukou["served"], hukou["transferred_out"]) == ("户口迁移", 3, 2, 1)
    assert (hukou["wait_mean_s"], hukou["wait_median_s"], hukou["wait_p90_s"]) == (330.0, 330.0, 600)
    assert (hukou["ratings_5"], hukou["ratings_1"], hukou["satisfaction_rate"], hukou["rating_coverage"]) == (
        1,
        1,
        0.5,
        1.0,
    )
    assert (hukou["low_ratings"], hukou["followups_on_time"]) == (1, 1)
    # F's outcome counts where it ended: served at idcard, its first wait (300 s) with it.
    assert (idcard["issued"], idcard["served"], idcard["no_show"], idcard["transferred_in"]) == (1, 1, 1, 1)
    assert (idcard["wait_mean_s"], idcard["wait_max_s"], idcard["service_mean_s"]) == (180.0, 300, 240.0)
    assert (tax["issued"], tax["cancelled"], tax["wait_mean_s"], tax["within_target_share"]) == (1, 1, None, None)
    assert (water["issued"], water["expired"], water["served"], water["wait_max_s"], water["ratings_4"]) == (
        2,
        1,
        1,
        1200,
        1,
    )

    days = _by_key(live[Grouping.DAY])
    assert (days[DAY1]["issued"], days[DAY2]["issued"], days[DAY1]["expired"]) == (6, 1, 1)
    weekdays = _by_key(live[Grouping.WEEKDAY])
    assert (weekdays[3]["label"], weekdays[3]["issued"], weekdays[4]["label"]) == ("星期三", 6, "星期四")
    assert _by_key(live[Grouping.HOUR])[9]["label"] == "09:00-10:00"
    windows = _by_key(live[Grouping.WINDOW])
    assert (windows[None]["label"], windows[None]["cancelled"], windows[None]["expired"]) == ("未到窗口", 1, 1)
    assert (windows[1]["transferred_out"], windows[1]["transferred_in"], windows[None]["transferred_in"]) == (1, 1, 0)
    assert (windows[1]["served"], windows[4]["served"]) == (3, 1)
    clerks = _by_key(live[Grouping.CLERK])
    assert (clerks["clerk1"]["served"], clerks["clerk1"]["transferred_out"], clerks["clerk4"]["ratings_4"]) == (3, 1, 1)
    departments = _by_key(live[Grouping.DEPARTMENT])
    assert (departments["gaj"]["label"], departments["gaj"]["issued"], departments["water"]["issued"]) == (
        "市公安局",
        4,
        2,
    )
    assert live[Grouping.SERVICE]["arrivals"] is None
    heat = await _report(hall, f"{PERIOD}&arrivals=1")
    assert heat["arrivals"] == [
        {"weekday": 3, "hour": 9, "issued": 6},
        {"weekday": 4, "hour": 9, "issued": 1},
    ]
    assert live[Grouping.SERVICE]["period"]["days_with_data"] == 2

    # Wednesday is closed: the keeper folds it, and every report reads it from the rollup now.
    assert await _fold(hall) == 1
    assert hall.count("report_rollups") == 1
    assert await _report(hall, f"{PERIOD}&arrivals=1") == heat
    for by in Grouping:
        assert await _report(hall, f"{PERIOD}&by={by.value}") == live[by], by
        assert await _report(hall, f"{month}&by={by.value}") == live_month[by], by
    assert live_month[Grouping.SERVICE]["total"] == live[Grouping.SERVICE]["total"]


def test_a_period_splits_into_whole_months_and_the_days_at_either_end():
    from datetime import date

    from queue_server.store.report_query import _month_split

    assert _month_split(date(2026, 1, 15), date(2026, 4, 10)) == (
        ["2026-02", "2026-03"],
        [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 4, 1), date(2026, 4, 10))],
    )
    assert _month_split(date(2024, 2, 1), date(2024, 2, 29)) == (["2024-02"], [])
    assert _month_split(date(2026, 12, 3), date(2026, 12, 3)) == ([], [(date(2026, 12, 3), date(2026, 12, 3))])


async def test_a_day_is_folded_only_once_its_turnover_is_written(hall):
    await hall.issue("hukou")  # Wednesday: waits until the day ends
    hall.clock.advance(days=1)  # Thursday by the clock, but no command has turned the day over yet
    assert await _fold(hall) == 0  # its waiting ticket is not expired yet: not closed
    await hall.issue("idcard")  # the turnover expires it, in the same transaction as the new day
    assert await _fold(hall) == 1
    hall.staff_tokens.clear()
    wednesday = await _report(hall, f"from={DAY1}&to={DAY1}")
    assert (wednesday["total"]["issued"], wednesday["total"]["expired"]) == (1, 1)


async def _fold(hall) -> int:
    import asyncio

    return await asyncio.to_thread(hall.client.app[appkeys.ROLLUPS].fold_missing)


async def test_totals_equal_the_rows_and_a_direct_count(hall):
    await make_history(hall)
    await _fold(hall)
    db = sqlite3.connect(hall.db_path)
    direct = dict(db.execute("SELECT status, count(*) FROM tickets GROUP BY status").fetchall())
    (issued,) = db.execute("SELECT count(*) FROM tickets").fetchone()
    db.close()
    for by in Grouping:
        report = await _report(hall, f"{PERIOD}&by={by.value}")
        total = report["total"]
        for name, _ in FIGURES:
            if name in ("issued", "served", "no_show", "cancelled", "expired", "ratings", "low_ratings"):
                assert total[name] == sum(r[name] for r in report["rows"]), (by, name)
        assert (total["issued"], total["served"], total["no_show"]) == (issued, direct["done"], direct["no_show"])
        assert (total["cancelled"], total["expired"]) == (direct["cancelled"], direct["expired"])


async def test_follow_ups_count_on_time_late_and_open(hall):
    await make_history(hall)  # B's follow-up, closed the day it opened: on time
    w4 = await hall.clerk(4)
    h = await hall.issue("water-pay")
    assert (await _call(hall, w4, 4))["number"] == h["number"]
    await _act(hall, h, "finish", w4)
    await _rate(hall, 4, 2)  # 不满意: follow-up 2, due in 15 working days
    total = (await _report(hall, PERIOD))["total"]
    assert (total["low_ratings"], total["followups_on_time"], total["followups_late"], total["followups_open"]) == (
        2,
        1,
        0,
        1,
    )
    hall.clock.advance(days=30)  # past its due day
    hall.staff_tokens.clear()
    hall.clerk_tokens.clear()
    manager = await hall.manager()
    closed = await hall.client.post("/api/followups/2/close", json={"resolution": "已回访"}, headers=manager)
    await _ok(closed)
    by_window = await _report(hall, f"{PERIOD}&by=window")
    assert (by_window["total"]["followups_late"], by_window["total"]["followups_open"]) == (1, 0)
    assert _by_key(by_window)[4]["followups_late"] == 1 and _by_key(by_window)[1]["followups_on_time"] == 1


async def test_filters(hall):
    await make_history(hall)
    gaj = await _report(hall, f"{PERIOD}&by=service&department=gaj")
    assert set(_by_key(gaj)) == {"hukou", "idcard"} and gaj["total"]["issued"] == 4
    window4 = await _report(hall, f"{PERIOD}&by=day&window=4")
    assert window4["total"]["served"] == 1 and window4["period"]["filters"] == {"window": 4}
    assert (await _report(hall, f"{PERIOD}&by=service&priority=elderly"))["rows"] == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from=2026-11-26&to=2026-11-25", "invalid_period"),
        ("from=2026-13-01&to=2026-11-25", "invalid_period"),
        ("from=25.11.2026", "invalid_period"),
        ("from=2024-01-01&to=2024-12-31", "outside_data"),
        ("from=2027-01-01&to=2027-01-31", "outside_data"),
        (f"{PERIOD}&by=month", "unknown_grouping"),
        (f"{PERIOD}&service=nope", "invalid_filter"),
        (f"{PERIOD}&window=99", "invalid_filter"),
        (f"{PERIOD}&window=x", "invalid_filter"),
        (f"{PERIOD}&format=pdf", "invalid_request"),
        (f"{PERIOD}&arrivals=yes", "invalid_request"),
    ],
)
async def test_a_report_that_cannot_be_made_is_a_400_naming_why(hall, query, code):
    await hall.issue("hukou")
    resp = await hall.client.get(f"/api/reports?{query}", headers=await hall.admin())
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == code


async def test_an_empty_hall_has_nothing_to_report(hall):
    resp = await hall.client.get("/api/reports", headers=await hall.manager())
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "outside_data"


async def test_csv_opens_in_excel_in_chinese_and_holds_the_json_figures(hall):
    await make_history(hall)
    resp = await hall.client.get(f"/api/reports?{PERIOD}&by=department&format=csv", headers=await hall.manager())
    assert resp.status == 200 and resp.content_type == "text/csv"
    disposition = resp.headers["Content-Disposition"]
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"统计报表_{DAY1}_{DAY2}_按部门.csv"
    body = await resp.read()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["部门", "取号数", "办结数"]
    assert rows[-1][0] == "合计" and rows[-1][1] == "7" and rows[-1][8] == "444.0"
    report = await _report(hall, f"{PERIOD}&by=department")
    assert [r[0] for r in rows[1:-1]] == [r["label"] for r in report["rows"]]


async def test_xlsx_has_a_sheet_per_grouping_with_the_json_figures(hall):
    await make_history(hall)
    resp = await hall.client.get(f"/api/reports?{PERIOD}&by=window&format=xlsx", headers=await hall.admin())
    assert resp.status == 200
    assert resp.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(await resp.read()))
    assert book.sheetnames == ["按窗口", "按事项", "按部门", "按工作人员", "按时段", "按星期", "按日期", "预约"]
    for sheet_name, by in (("按窗口", "window"), ("按事项", "service"), ("按日期", "day")):
        sheet = book[sheet_name]
        report = await _report(hall, f"{PERIOD}&by={by}")
        values = list(sheet.iter_rows(min_row=3, values_only=True))
        assert len(values) == len(report["rows"]) + 1
        for line, row in zip(values, [*report["rows"], report["total"]], strict=True):
            assert line[0] == row["label"]
            assert list(line[1:]) == [row[name] for name, _ in FIGURES]
    total_row = book["按窗口"].max_row
    assert book["按窗口"].cell(
        total_row, 1 + [n for n, _ in FIGURES].index("within_target_share") + 1
    ).number_format == ("0.0%")
    assert book["按窗口"]["A2"].value == "窗口" and book["按窗口"].cell(total_row, 1).font.bold


def test_a_totals_ranks_are_those_of_all_its_groups_values_sorted_together():
    import random
    from array import array

    from queue_server.core.report_figures import Spread, Union

    rng = random.Random(3)
    groups = [sorted(rng.randint(0, 5000) for _ in range(rng.randint(0, 40))) for _ in range(9)]
    # Each group's values come in several sorted chunks, as the rollup's rows give them.
    parts = [Spread([array("I", g[i::3]).tobytes() for i in range(3)]) for g in groups]
    together = Spread([array("I", sorted(v for g in groups for v in g)).tobytes()])
    union = Union(parts)
    assert union.n == together.n > 100
    for q in (1, 10, 50, 90, 99, 100):
        assert union.percentile(q) == together.percentile(q), q
    assert (union.median(), union.mean(), union.maximum()) == (together.median(), together.mean(), together.maximum())
    for limit in (0, 17, 1200, 4999.5, 9999):
        assert union.at_most(limit) == together.at_most(limit)
    assert Union([]).percentile(90) is None and Union([]).median() is None
