"""``GET /api/reports``: 统计分析 for the hall manager, as JSON, CSV or XLSX.

The period and grouping come from the query string; a refusal names what was wrong
(``invalid_period``, ``outside_data``, ``unknown_grouping``, ``invalid_filter``). The work is a
read on the reader threads (``store/report_query.py``), never on the engine.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote

from aiohttp import web

from queue_server.api import appkeys
from queue_server.api.errors import ApiError
from queue_server.api.report_files import csv_bytes, xlsx_bytes
from queue_server.api.routes import Call
from queue_server.core.model import HallConfig, Priority
from queue_server.core.numbering import business_day
from queue_server.core.report_figures import GROUPING_LABELS, Grouping
from queue_server.store import accounts, bookings, report_query
from queue_server.store.report_query import Query

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FORMATS = ("json", "csv", "xlsx")
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(text: str | None, name: str, default: date) -> date:
    if text is None or text == "":
        return default
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "invalid_period", f"日期格式应为 YYYY-MM-DD：{name}={text[:20]}", field=name) from None


def parse_query(query: Any, config: HallConfig, today: date) -> tuple[Query, str]:
    """The report asked for, and its format; ``ApiError`` 400 for anything the hall cannot answer."""
    first = _day(query.get("from"), "from", today.replace(day=1))
    last = _day(query.get("to"), "to", today)
    if first > last:
        raise ApiError(400, "invalid_period", f"开始日期 {first} 晚于结束日期 {last}", field="from")
    by_text = query.get("by", Grouping.SERVICE.value)
    try:
        by = Grouping(by_text)
    except ValueError:
        raise ApiError(
            400,
            "unknown_grouping",
            f"不支持的分组：{by_text[:20]}",
            allowed=[g.value for g in Grouping],
        ) from None
    filters: dict[str, Any] = {}
    checks = {
        "department": (str, config.departments),
        "service": (str, config.services),
        "window": (int, config.windows),
        "priority": (str, {p.value for p in Priority}),
    }
    for name, (kind, known) in checks.items():
        text = query.get(name)
        if text in (None, ""):
            continue
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value not in known:
            raise ApiError(400, "invalid_filter", f"没有这个筛选条件：{name}={text[:40]}", field=name)
        filters[name] = value
    fmt = query.get("format", "json")
    if fmt not in FORMATS:
        raise ApiError(400, "invalid_request", f"不支持的格式：{fmt[:10]}（json、csv 或 xlsx）", field="format")
    arrivals = query.get("arrivals", "0")
    if arrivals not in ("0", "1"):
        raise ApiError(400, "invalid_request", "arrivals 只能是 0 或 1", field="arrivals")
    return Query(first, last, by, filters, arrivals == "1"), fmt


def check_covered(q: Query, data: tuple[date, date] | None) -> tuple[date, date]:
    """A period must meet the stored days somewhere: one entirely before the first ticket or
    after the last is refused (a typo in the year, not an empty month)."""
    if data is None:
        raise ApiError(400, "outside_data", "还没有任何取号记录，无法统计", data_from=None, data_to=None)
    if q.last < data[0] or q.first > data[1]:
        raise ApiError(
            400,
            "outside_data",
            f"所选时段没有数据：现有数据为 {data[0]} 至 {data[1]}",
            data_from=data[0].isoformat(),
            data_to=data[1].isoformat(),
        )
    return data


def file_name(q: Query, extension: str) -> str:
    return f"统计报表_{q.first}_{q.last}_按{GROUPING_LABELS[q.by]}.{extension}"


def disposition(name: str) -> str:
    """An attachment with a Chinese name (RFC 6266 / 5987), and an ASCII fallback."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def compile_report(store_db, config: HallConfig, q: Query, fmt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report (and, for XLSX, the other groupings of the same period), on a reader thread."""
    data = check_covered(q, report_query.data_range(store_db))
    names = {login: ident.shown_name for login, ident in accounts.staff_identities(store_db).items()}
    main = report_query.build_report(store_db, config, q, names, data)
    main["bookings"] = booking_figures(store_db, config, q)
    others: dict[str, Any] = {}
    if fmt == "xlsx":  # a sheet per grouping: the one asked for first
        for by in Grouping:
            if by is not q.by:
                others[by.value] = report_query.build_report(
                    store_db, config, Query(q.first, q.last, by, q.filters), names, data
                )
    return main, others


BOOKING_FIGURES = ("booked", "checked_in", "on_time", "missed", "cancelled")


def booking_figures(store_db, config: HallConfig, q: Query) -> dict[str, Any]:
    """预约 over the period, per service: booked (not cancelled), checked in (on time: an
    appointment ticket), missed, cancelled. The department and service filters apply."""
    services = None
    if "service" in q.filters:
        services = [q.filters["service"]]
    elif "department" in q.filters:
        services = [s.code for s in config.services.values() if s.department == q.filters["department"]]
    rows = []
    for r in bookings.figures(store_db, q.first.isoformat(), q.last.isoformat(), services):
        service = config.services.get(r["service"])
        rows.append(
            {"service": r["service"], "label": service.name if service else r["service"]}
            | {k: r[k] or 0 for k in BOOKING_FIGURES}
        )
    total = {"service": None, "label": "合计"} | {k: sum(r[k] for r in rows) for k in BOOKING_FIGURES}
    return {"rows": rows, "total": total}


async def get_reports(call: Call) -> Any:
    """统计分析 over a period, grouped, as JSON (default), CSV or XLSX (``format=``)."""
    store = call.app[appkeys.STORE]
    config = await call.live_config()
    today = business_day(call.app[appkeys.CLOCK](), config.timezone, config.day_start)
    q, fmt = parse_query(call.request.query, config, today)
    report, others = await call.read(lambda: compile_report(store.reader(), config, q, fmt))
    if fmt == "json":
        return report
    if fmt == "csv":
        body, content_type = csv_bytes(report), CSV
    else:
        body = await call.read(lambda: xlsx_bytes(report, others))
        content_type = XLSX
    return web.Response(
        body=body,
        content_type=content_type,
        charset="utf-8" if fmt == "csv" else None,
        headers={"Content-Disposition": disposition(file_name(q, fmt)), "Cache-Control": "no-store"},
    )
