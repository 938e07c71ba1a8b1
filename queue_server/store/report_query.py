"""统计分析 read from the store: a period's groups, from the rollup and, for the days not folded
yet (today), from the tickets themselves.

The folded days are summed by SQLite (``GROUP BY`` over the rollup tables: whole months from
``report_months``, the days at either end from ``report_cells``, or every day from
``report_days`` when the rows are days), and their waits come as the rows' sorted arrays, so a
year answers without touching a ticket. Follow-ups are few: they are read live, so one closed
today counts today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from queue_server.core.model import HallConfig
from queue_server.core.report_figures import COUNTS, LEVELS, WEEKDAYS, Group, Grouping
from queue_server.store import rollup

FILTERS = ("department", "service", "window", "priority")


@dataclass(frozen=True)
class Query:
    first: date
    last: date
    by: Grouping
    filters: dict[str, Any] = field(default_factory=dict)  # department, service, window, priority
    arrivals: bool = False  # the weekday × hour heatmap too (a scan of the finest table: on demand)


@dataclass
class Gathered:
    groups: dict[Any, Group]
    total: Group
    arrivals: dict[tuple[int, int], int]  # (weekday 1-7, hour) -> tickets issued
    days_with_data: int


def data_range(db: sqlite_utils.Database) -> tuple[date, date] | None:
    """The first and last business day that has tickets, or ``None`` for an empty hall."""
    # Two statements: each of min() and max() alone is one step down the day's index.
    (first,) = db.execute("SELECT min(business_day) FROM tickets").fetchone()
    (last,) = db.execute("SELECT max(business_day) FROM tickets").fetchone()
    return (date.fromisoformat(first), date.fromisoformat(last)) if first else None


def _live_days(db: sqlite_utils.Database, q: Query) -> list[str]:
    """The days of the period that have tickets and are not folded: today, and any day the server
    has not folded yet (they are folded in order, so only those after the last folded one)."""
    (last_rolled,) = db.execute("SELECT max(day) FROM report_rollups WHERE day <= ?", [q.last.isoformat()]).fetchone()
    start = max(q.first.isoformat(), _next_day(last_rolled)) if last_rolled else q.first.isoformat()
    rows = db.execute(
        "SELECT DISTINCT business_day FROM tickets WHERE business_day BETWEEN ? AND ?", [start, q.last.isoformat()]
    )
    return [r[0] for r in rows]


def _next_day(day: str) -> str:
    return date.fromordinal(date.fromisoformat(day).toordinal() + 1).isoformat()


def _matches(cell: rollup.Grain, filters: dict[str, Any]) -> bool:
    return all(v is None or getattr(cell, name) == v for name, v in filters.items())


def _group_key(cell: Any, by: Grouping) -> Any:
    return getattr(cell, by.value)  # a grouping is named as the column (and attribute) it reads


def _month_split(first: date, last: date) -> tuple[list[str], list[tuple[date, date]]]:
    """The whole months within [first, last] (YYYY-MM), and the day ranges left at either end."""
    months: list[str] = []
    edges: list[tuple[date, date]] = []
    start = first
    while start <= last:
        month_end = _month_end(start)
        if start.day == 1 and month_end <= last:
            months.append(start.isoformat()[:7])
        else:
            edges.append((start, min(month_end, last)))
        start = month_end + timedelta(days=1)
    return months, edges


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _sum_table(db, table: str, column: str, span: tuple[str, list[Any]], q: Query, group) -> None:
    """Add a rollup table's rows in ``span`` (a WHERE clause on its time column) to the groups.
    SQLite sums the figures and strings each group's arrays together (as hex: group_concat is a
    text function), so the rows never pass one by one through Python."""
    where, params = _filtered(q, *span)
    counts = ", ".join(f"sum({c})" for c in COUNTS)
    levels = ", ".join(f"sum(ratings_{level})" for level in LEVELS)
    split = len(COUNTS)
    for key, waits, took, *sums in db.execute(
        f"SELECT \"{column}\", group_concat(hex(waits), ''), group_concat(hex(service_times), ''), "
        f'{counts}, {levels} FROM {table} WHERE {where} GROUP BY "{column}"',
        params,
    ):
        g = group(key)
        g.add_counts(dict(zip(COUNTS, sums[:split], strict=True)), dict(zip(LEVELS, sums[split:], strict=True)))
        if waits:
            g.waits.append(bytes.fromhex(waits))
        if took:
            g.service_times.append(bytes.fromhex(took))


def _filtered(q: Query, span: str, params: list[Any]) -> tuple[str, list[Any]]:
    clauses, params = [span], list(params)
    for name in FILTERS:
        if q.filters.get(name) is not None:
            clauses.append(f'"{name}" = ?')
            params.append(q.filters[name])
    return " AND ".join(clauses), params


def gather(db: sqlite_utils.Database, config: HallConfig, q: Query) -> Gathered:
    """The groups of a period: folded days from the rollup (whole months from ``report_months``
    unless the rows are days), the rest from the tickets; follow-ups live."""
    groups: dict[Any, Group] = {}

    def group(key: Any) -> Group:
        found = groups.get(key)
        if found is None:
            found = groups[key] = Group()
        return found

    column = q.by.value
    days = ("day BETWEEN ? AND ?", [q.first.isoformat(), q.last.isoformat()])
    if q.by in (Grouping.DAY, Grouping.WEEKDAY):
        _sum_table(db, "report_days", column, days, q, group)
    else:
        months, edges = _month_split(q.first, q.last)
        if months:
            marks = ", ".join("?" * len(months))
            _sum_table(db, "report_months", column, (f"month IN ({marks})", months), q, group)
        for start, end in edges:
            _sum_table(
                db, "report_cells", column, ("day BETWEEN ? AND ?", [start.isoformat(), end.isoformat()]), q, group
            )
    where, params = _filtered(q, *days)
    arrivals: dict[tuple[int, int], int] = {}
    if q.arrivals:
        sql = f"SELECT weekday, hour, sum(issued) FROM report_cells WHERE {where} GROUP BY weekday, hour"
        arrivals.update(((weekday, hour), n) for weekday, hour, n in db.execute(sql, params))
    (days_with_data,) = db.execute(f"SELECT count(DISTINCT day) FROM report_days WHERE {where}", params).fetchone()

    for day in _live_days(db, q):
        days_with_data += 1
        for cell in rollup.day_rows(db, day, config):
            if not _matches(cell, q.filters):
                continue
            g = group(_group_key(cell, q.by))
            g.add_counts(cell.counts, cell.ratings)
            if cell.waits:
                g.waits.append(cell.waits.tobytes())
            if cell.service_times:
                g.service_times.append(cell.service_times.tobytes())
            if q.arrivals and cell.counts["issued"]:
                slot = (cell.weekday, cell.hour)
                arrivals[slot] = arrivals.get(slot, 0) + cell.counts["issued"]

    _add_followups(db, config, q, group)
    return Gathered(groups, Group.total_of(list(groups.values())), arrivals, days_with_data)


# Each grouping as an expression over a follow-up (f) and its ticket (t). Times are the hall's
# local ISO strings (the server's clock is in the hall's time zone), so the hour is their
# characters 12-13 and a closing's day its first ten. Departments are grouped by service first.
_FOLLOWUP_KEY = {
    Grouping.SERVICE: "t.service",
    Grouping.DEPARTMENT: "t.service",
    Grouping.WINDOW: "f.window",
    Grouping.CLERK: "f.clerk",
    Grouping.HOUR: "CAST(substr(t.issued_at, 12, 2) AS INTEGER)",
    Grouping.WEEKDAY: "(CAST(strftime('%w', t.business_day) AS INTEGER) + 6) % 7 + 1",
    Grouping.DAY: "t.business_day",
}


def _add_followups(db: sqlite_utils.Database, config: HallConfig, q: Query, group) -> None:
    """Each low rating's follow-up, under the ticket it is about: closed by its due day (on
    time), closed after it (late), or still open. SQLite counts them per group."""
    clauses, params = ["t.business_day BETWEEN ? AND ?"], [q.first.isoformat(), q.last.isoformat()]
    filters = {"service": "t.service", "window": "f.window", "priority": "t.priority"}
    for name, column in filters.items():
        if q.filters.get(name) is not None:
            clauses.append(f"{column} = ?")
            params.append(q.filters[name])
    department = q.filters.get("department")
    if department is not None:
        codes = [code for code, s in config.services.items() if s.department == department]
        clauses.append(f"t.service IN ({', '.join('?' * len(codes))})")
        params.extend(codes)
    rows = db.execute(
        f"SELECT {_FOLLOWUP_KEY[q.by]}, sum(f.closed_at IS NULL), "
        "sum(f.closed_at IS NOT NULL AND substr(f.closed_at, 1, 10) <= f.due), "
        "sum(f.closed_at IS NOT NULL AND substr(f.closed_at, 1, 10) > f.due) "
        f"FROM followups f JOIN tickets t ON t.id = f.ticket_id WHERE {' AND '.join(clauses)} GROUP BY 1",
        params,
    ).fetchall()
    for key, still_open, on_time, late in rows:
        if q.by is Grouping.DEPARTMENT:
            key = rollup.department_of(config, key)
        g = group(key)
        g.followups_open += still_open
        g.followups_on_time += on_time
        g.followups_late += late


def _label(by: Grouping, key: Any, config: HallConfig, names: dict[str, str]) -> str:
    """What a row is called on the page and in the files, in Chinese."""
    if key is None:
        return {Grouping.WINDOW: "未到窗口", Grouping.CLERK: "未经办"}.get(by, "—")
    match by:
        case Grouping.SERVICE:
            known = config.services.get(key)
            return known.name if known else f"{key}（已停办）"
        case Grouping.DEPARTMENT:
            known = config.departments.get(key)
            return known.name if known else "其他（已停办事项）"
        case Grouping.WINDOW:
            known = config.windows.get(key)
            return known.name if known else f"{key} 号窗口"
        case Grouping.CLERK:
            return names.get(key) or key
        case Grouping.HOUR:
            return f"{key:02d}:00-{key + 1:02d}:00"
        case Grouping.WEEKDAY:
            return WEEKDAYS[key - 1]
    return str(key)


def _order(by: Grouping, config: HallConfig):
    """Rows in the order the hall lists them (departments, services, windows as in the config),
    others by their key; what the config no longer has after, and ``None`` last."""
    listed = {
        Grouping.SERVICE: config.services,
        Grouping.DEPARTMENT: config.departments,
        Grouping.WINDOW: config.windows,
    }
    place = {key: i for i, key in enumerate(listed.get(by, ()))}

    def key(item: tuple[Any, Any]) -> tuple:
        k = item[0]
        return (k is None, place.get(k, len(place)), "" if k is None else k)

    return key


def build_report(
    db: sqlite_utils.Database, config: HallConfig, q: Query, names: dict[str, str], data: tuple[date, date]
) -> dict[str, Any]:
    """The document ``GET /api/reports`` answers: the period, one row per group, the total, and
    the weekday × hour arrivals for the heatmap. Durations in seconds, shares from 0 to 1."""
    gathered = gather(db, config, q)
    target = config.rules.wait_target_s
    rows = [
        {"key": key, "label": _label(q.by, key, config, names), **g.figures(target)}
        for key, g in sorted(gathered.groups.items(), key=_order(q.by, config))
    ]
    return {
        "period": {
            "from": q.first.isoformat(),
            "to": q.last.isoformat(),
            "days_with_data": gathered.days_with_data,
            "data_from": data[0].isoformat(),
            "data_to": data[1].isoformat(),
            "by": q.by.value,
            "filters": {k: v for k, v in q.filters.items() if v is not None},
            "wait_target_s": round(target),
        },
        "rows": rows,
        "total": {"key": None, "label": "合计", **gathered.total.figures(target)},
        "arrivals": [
            {"weekday": weekday, "hour": hour, "issued": n} for (weekday, hour), n in sorted(gathered.arrivals.items())
        ]
        if q.arrivals
        else None,
    }
