"""统计分析 over a long history: the rollup's fold, and every report's time for a day, a month and
a year, and the month's XLSX export.

    .venv/bin/hallqueue simulate --days 365 --write-history year.db   # a year, folded as it is written
    .venv/bin/python bench/reports.py --db year.db
    .venv/bin/python bench/reports.py --db year.db --refold            # ... and time folding it all again

Reads through the same code as ``GET /api/reports`` (``api/reports.compile_report`` on a reader
connection, the sample hall's config), each report three times: prints the best and the worst in
milliseconds, with the rows and the tickets it covered. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queue_server.api.report_files import csv_bytes, xlsx_bytes
from queue_server.api.reports import compile_report
from queue_server.config import load_hall_config
from queue_server.core.report_figures import Grouping
from queue_server.store import open_database, report_query, rollup
from queue_server.store.report_query import Query

RUNS = 3


def timed(fn, runs: int = RUNS) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), max(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="A history (hallqueue simulate --write-history).")
    parser.add_argument("--refold", action="store_true", help="Fold every closed day again first, and time it.")
    args = parser.parse_args()
    config = load_hall_config(None)
    db = open_database(args.db)
    first, last = report_query.data_range(db)
    (tickets,) = db.execute("SELECT count(*) FROM tickets").fetchone()
    print(f"history: {args.db} ({args.db.stat().st_size / 2**20:,.0f} MiB), {tickets:,} tickets, {first} to {last}")

    started = time.perf_counter()
    now = datetime.now(config.timezone)
    today = rollup.closed_before(db, now, config)
    folded = sum(days for _, days, _ in rollup.roll_up_missing(db, today, config, now, args.refold))
    (cells,) = db.execute("SELECT count(*) FROM report_cells").fetchone()
    (months,) = db.execute("SELECT count(*) FROM report_months").fetchone()
    print(f"fold: {folded} day(s) in {time.perf_counter() - started:.1f} s; {cells:,} cells, {months:,} month rows")

    (closed,) = db.execute("SELECT max(day) FROM report_rollups").fetchone()
    closed = date.fromisoformat(closed) if closed else last  # the last folded day, a whole one
    month_end = last.replace(day=1) - timedelta(days=1)
    periods = {
        "day": (closed, closed),
        "month": (month_end.replace(day=1), month_end),
        "year": (max(first, last - timedelta(days=364)), last),
        "custom 17 Mar-9 Oct": (date(last.year, 3, 17), date(last.year, 10, 9)),
    }

    def line(name: str, by: str, best: float, worst: float, report: dict) -> None:
        rows, issued = len(report["rows"]), report["total"]["issued"]
        print(f"{name:<22}{by:<12}{best:>9.0f}{worst:>10.0f}{rows:>6}{issued:>10,}")

    print(f"\n{'period':<22}{'by':<12}{'best ms':>9}{'worst ms':>10}{'rows':>6}{'tickets':>10}")
    for name, (a, b) in periods.items():
        for by in Grouping:
            q = Query(a, b, by, arrivals=by is Grouping.DAY)
            best, worst, (report, _) = timed(lambda q=q: compile_report(db, config, q, "json"))
            line(name, by.value, best, worst, report)
        q = Query(a, b, Grouping.SERVICE, {"department": "gaj"})
        best, worst, (report, _) = timed(lambda q=q: compile_report(db, config, q, "json"))
        line(name, "service+gaj", best, worst, report)

    a, b = periods["month"]
    q = Query(a, b, Grouping.DEPARTMENT)
    best, worst, _ = timed(lambda: xlsx_bytes(*compile_report(db, config, q, "xlsx")))
    print(f"\nXLSX of the month (7 sheets, one per grouping): best {best:.0f} ms, worst {worst:.0f} ms")
    a, b = periods["year"]
    q = Query(a, b, Grouping.DAY)
    best, worst, _ = timed(lambda: csv_bytes(compile_report(db, config, q, "csv")[0]))
    print(f"CSV of the year by day: best {best:.0f} ms, worst {worst:.0f} ms")


if __name__ == "__main__":
    main()
