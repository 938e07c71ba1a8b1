"""The rollup of 统计分析: each closed business day's tickets folded into the report tables.

A report over a year must not read a million tickets and their events. Once a business day is
over, its tickets no longer change (the day turnover expired the last ones, and a rating is
taken only on the ticket's own day), so the day is folded once, three ways. Each row holds its
counts, and its waits and service times as sorted arrays of whole seconds (so medians and p90s
stay exact):

- ``report_cells``: per (service, window, clerk, priority class, hour of issue) of the day;
- ``report_days``: the same without the hour and the clerk (reports by day and weekday);
- ``report_months``: the cells of the month's folded days summed (the whole months of a long
  period), rebuilt in the same transaction as each day folded into it.

``report_rollups`` records which days are folded; a report reads the other days (today) from
the tickets themselves, through the same :func:`day_rows`.

The server folds the days it finds unfolded at start and after each turnover
(:func:`roll_up_missing`); ``hallqueue reports rebuild`` folds every day again, after a config
change of departments for example.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

import sqlite_utils

from queue_server.core.model import HallConfig
from queue_server.core.numbering import business_day

LEVELS = (1, 2, 3, 4, 5)
COUNTS = ("issued", "served", "no_show", "cancelled", "expired", "transferred_in", "transferred_out")
CELL_KEY = ("day", "weekday", "service", "department", "window", "clerk", "priority", "hour")
DAY_KEY = ("day", "weekday", "service", "department", "window", "priority")
MONTH_KEY = ("month", "service", "department", "window", "clerk", "priority", "hour")
FIGURE_COLUMNS = (*COUNTS, *(f"ratings_{level}" for level in LEVELS))
UNKNOWN_DEPARTMENT = ""  # a service the config no longer has


def department_of(config: HallConfig, service: str) -> str:
    """The department a service belongs to in ``config`` (``UNKNOWN_DEPARTMENT`` if gone)."""
    known = config.services.get(service)
    return known.department if known else UNKNOWN_DEPARTMENT


@dataclass
class Grain:
    """One (day, service, window, clerk, priority, hour) cell of the rollup."""

    day: str
    weekday: int
    service: str
    department: str
    window: int | None
    clerk: str | None
    priority: str
    hour: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    waits: array = field(default_factory=lambda: array("I"))
    service_times: array = field(default_factory=lambda: array("I"))
    ratings: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))

    def row(self, keys: tuple[str, ...] = CELL_KEY) -> dict:
        return {
            **{k: getattr(self, k) for k in keys},
            **self.counts,
            "waits": _packed(self.waits),
            "service_times": _packed(self.service_times),
            **{f"ratings_{level}": n for level, n in self.ratings.items()},
        }

    def add(self, other: Grain) -> None:
        for name, n in other.counts.items():
            self.counts[name] += n
        for level, n in other.ratings.items():
            self.ratings[level] += n
        self.waits.extend(other.waits)
        self.service_times.extend(other.service_times)


def _packed(values: array) -> bytes | None:
    """Sorted, so that summing rows at report time merges runs instead of sorting from scratch."""
    return array("I", sorted(values)).tobytes() if values else None


def _seconds(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    return max(0, round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()))


def _clerk(actor: str | None) -> str | None:
    return actor[6:] if actor and actor.startswith("clerk:") else None


class _Cells:
    def __init__(self, day: str, config: HallConfig) -> None:
        self.day = day
        self.weekday = date.fromisoformat(day).isoweekday()
        self.config = config
        self.cells: dict[tuple, Grain] = {}

    def at(self, service: str, window: int | None, clerk: str | None, priority: str, hour: int) -> Grain:
        key = (service, window, clerk, priority, hour)
        cell = self.cells.get(key)
        if cell is None:
            department = department_of(self.config, service)
            cell = Grain(self.day, self.weekday, service, department, window, clerk, priority, hour)
            self.cells[key] = cell
        return cell


def _hour(issued_at: str, tz: tzinfo) -> int:
    return datetime.fromisoformat(issued_at).astimezone(tz).hour


def day_rows(db: sqlite_utils.Database, day: str, config: HallConfig) -> list[Grain]:
    """The rollup cells of one business day, from its tickets, first calls, transfers and ratings.

    - A ticket is *issued* under the service it was taken for, and its outcome (served, 过号,
      cancelled, expired, its wait and service time, its rating) counts under the service,
      window and clerk it ended with.
    - The *wait* runs from taking the ticket to its first call (a 过号 called back, or a
      transferred visitor, does not wait twice); the *service time* from the last call to 办结.
    - A transfer counts out of the service it left, at the window and clerk that sent it, and
      into the one it went to, at the window and clerk the ticket ended with.
    """
    cells = _Cells(day, config)
    tz = config.timezone
    first_calls = dict(
        db.execute(
            "SELECT ticket_id, min(at) FROM events WHERE business_day = ? AND kind = 'called' GROUP BY ticket_id",
            [day],
        ).fetchall()
    )
    ratings = dict(db.execute("SELECT ticket_id, level FROM ratings WHERE business_day = ?", [day]).fetchall())
    tickets: dict[int, tuple[str, int, int | None, str | None]] = {}  # id -> (priority, hour, window, clerk)
    for tid, service, original, priority, status, issued_at, called_at, finished_at, window, clerk in db.execute(
        "SELECT id, service, original_service, priority, status, issued_at, called_at, finished_at, window, clerk "
        "FROM tickets WHERE business_day = ?",
        [day],
    ):
        hour = _hour(issued_at, tz)
        tickets[tid] = (priority, hour, window, clerk)
        ended = cells.at(service, window, clerk, priority, hour)
        cells.at(original or service, window, clerk, priority, hour).counts["issued"] += 1
        if status in ("done", "no_show", "cancelled", "expired"):
            ended.counts["served" if status == "done" else status] += 1
        wait = _seconds(issued_at, first_calls.get(tid))
        if wait is not None:
            ended.waits.append(wait)
        if status == "done":
            took = _seconds(called_at, finished_at)
            if took is not None:
                ended.service_times.append(took)
        level = ratings.get(tid)
        if level in LEVELS:
            ended.ratings[level] += 1
    for tid, service, window, actor, data in db.execute(
        "SELECT ticket_id, service, window, actor, data FROM events WHERE business_day = ? AND kind = 'transferred'",
        [day],
    ):
        priority, hour, ended_window, ended_clerk = tickets.get(tid, ("normal", 0, None, None))
        from_service = json.loads(data or "{}").get("from_service")
        if from_service:
            cells.at(from_service, window, _clerk(actor), priority, hour).counts["transferred_out"] += 1
        cells.at(service, ended_window, ended_clerk, priority, hour).counts["transferred_in"] += 1
    return list(cells.cells.values())


def _day_totals(cells: list[Grain]) -> list[Grain]:
    """The day's cells summed over the hour and the clerk (the ``report_days`` rows)."""
    merged: dict[tuple, Grain] = {}
    for c in cells:
        key = tuple(getattr(c, k) for k in DAY_KEY)
        found = merged.get(key)
        if found is None:
            found = merged[key] = Grain(c.day, c.weekday, c.service, c.department, c.window, None, c.priority, 0)
        found.add(c)
    return list(merged.values())


def _rebuild_month(db: sqlite_utils.Database, month: str) -> None:
    """``report_months`` for ``month`` from its folded days' cells (SQLite sums the figures and
    strings the arrays together; Python sorts each row's values once, here, not at report time)."""
    db.execute("DELETE FROM report_months WHERE month = ?", [month])
    keys = ", ".join(f'"{k}"' for k in MONTH_KEY[1:])
    sums = ", ".join(f"sum({c})" for c in FIGURE_COLUMNS)
    rows = []
    width = len(MONTH_KEY) - 1
    for found in db.execute(
        f"SELECT {keys}, group_concat(hex(waits), ''), group_concat(hex(service_times), ''), {sums} "
        f"FROM report_cells WHERE day BETWEEN ? AND ? GROUP BY {keys}",
        [f"{month}-01", f"{month}-31"],
    ):
        key, (waits, took), figures = found[:width], found[width : width + 2], found[width + 2 :]
        row = dict(zip(MONTH_KEY, (month, *key), strict=True))
        row.update(zip(FIGURE_COLUMNS, figures, strict=True))
        row["waits"] = _packed(array("I", bytes.fromhex(waits or "")))
        row["service_times"] = _packed(array("I", bytes.fromhex(took or "")))
        rows.append(row)
    if rows:
        db["report_months"].insert_all(rows, batch_size=500)


def roll_up(db: sqlite_utils.Database, days: list[str], config: HallConfig, now: datetime) -> int:
    """Fold business days of one month into the rollup (replacing earlier folds) and rebuild the
    month, in one transaction; returns the cell count. The server folds a day at a time (its
    writes wait one day's fold at most); a rebuild folds a month at a time (12 rebuilds a year,
    not 365)."""
    assert len({d[:7] for d in days}) == 1, "one month at a time"
    folded = [(day, day_rows(db, day, config)) for day in days]
    cells = 0
    with db.atomic():
        for day, day_cells in folded:
            for table in ("report_cells", "report_days"):
                db.execute(f"DELETE FROM {table} WHERE day = ?", [day])
            if day_cells:
                db["report_cells"].insert_all((c.row() for c in day_cells), batch_size=500)
                db["report_days"].insert_all((c.row(DAY_KEY) for c in _day_totals(day_cells)), batch_size=500)
            db.execute(
                "INSERT INTO report_rollups (day, tickets, rolled_at) "
                "VALUES (?, (SELECT count(*) FROM tickets WHERE business_day = ?), ?) "
                "ON CONFLICT(day) DO UPDATE SET tickets = excluded.tickets, rolled_at = excluded.rolled_at",
                [day, day, now.isoformat()],
            )
            cells += len(day_cells)
        _rebuild_month(db, days[0][:7])
    return cells


def closed_before(db: sqlite_utils.Database, now: datetime, config: HallConfig) -> str:
    """The first business day not closed yet: today's, or the one the store still keeps as the
    state's day (``meta.business_day``) when the turnover that expires its last tickets has not
    been written yet (a quiet night after the day start)."""
    today = business_day(now, config.timezone, config.day_start).isoformat()
    row = db.execute("SELECT value FROM meta WHERE key = 'business_day'").fetchone()
    return min(today, row[0]) if row else today


def days_to_roll_up(db: sqlite_utils.Database, today: str, every: bool = False) -> list[str]:
    """The business days before ``today`` (see :func:`closed_before`) that have tickets and are
    not folded (every one with ``every``), oldest first. Days are folded in order, so those not
    folded are the ones after the last folded day: only they are looked for."""
    (last,) = (None,) if every else db.execute("SELECT max(day) FROM report_rollups").fetchone()
    rows = db.execute(
        "SELECT DISTINCT business_day FROM tickets WHERE business_day > ? AND business_day < ? ORDER BY business_day",
        [last or "", today],
    )
    return [r[0] for r in rows]


def roll_up_missing(
    db: sqlite_utils.Database, today: str, config: HallConfig, now: datetime, every: bool = False
) -> Iterator[tuple[str, int, int]]:
    """Fold the closed days not yet folded (every closed day with ``every``), a month per
    transaction; yields (month, days, cells) as each commits."""
    by_month: dict[str, list[str]] = {}
    for day in days_to_roll_up(db, today, every):
        by_month.setdefault(day[:7], []).append(day)
    for month, days in by_month.items():
        yield month, len(days), roll_up(db, days, config, now)
