"""``hallqueue reports``: 统计分析 from the command line: fold the closed days again, or print
and export a report (the same figures and files as ``GET /api/reports``)."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import click

from queue_server.api.errors import ApiError
from queue_server.api.report_files import csv_bytes, xlsx_bytes
from queue_server.api.reports import compile_report, file_name, parse_query
from queue_server.core.numbering import business_day
from queue_server.core.report_figures import Grouping
from queue_server.store import rollup

from .base import load_config, main, now, open_db


@main.group("reports")
def reports() -> None:
    """统计分析: the report rollup, and reports as tables, CSV or XLSX."""


def fold(db, config, every: bool) -> tuple[int, int, float]:
    """Fold the closed days (every one with ``every``): (days, cells, seconds)."""
    started = time.perf_counter()
    today = rollup.closed_before(db, now(), config)
    days = cells = 0
    for month, folded_days, folded_cells in rollup.roll_up_missing(db, today, config, now(), every=every):
        days, cells = days + folded_days, cells + folded_cells
        click.echo(f"  {month}: {folded_days} day(s)", err=True)
    return days, cells, time.perf_counter() - started


@reports.command("rebuild")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="The hall config.")
@click.option("--missing-only", is_flag=True, help="Fold only the days not folded yet (what the server does).")
@click.pass_context
def rebuild(ctx: click.Context, config_path: Path | None, missing_only: bool) -> None:
    """Fold every closed business day into the report rollup again, a month per transaction
    (after departments changed in the config, say). A running server keeps serving; its writes
    wait for each month's transaction, a second or two: best run after hours.

    Example: hallqueue --db hall.db reports rebuild --config hall.toml
    """
    config, _ = load_config(config_path)
    db = open_db(ctx)
    days, cells, seconds = fold(db, config, every=not missing_only)
    click.echo(f"folded {days} day(s) into {cells} cells in {seconds:.1f} s")


@reports.command("show")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="The hall config.")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: the 1st of this month).")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
@click.option("--by", type=click.Choice([g.value for g in Grouping]), default="service", show_default=True)
@click.option("--department", help="Only this department's services.")
@click.option("--service", help="Only this service.")
@click.option("--window", help="Only this window.")
@click.option("--priority", help="Only this priority class.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON document of GET /api/reports.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write a .csv or .xlsx file.")
@click.pass_context
def show(
    ctx: click.Context,
    config_path: Path | None,
    first: datetime | None,
    last: datetime | None,
    by: str,
    department: str | None,
    service: str | None,
    window: str | None,
    priority: str | None,
    as_json: bool,
    out: Path | None,
) -> None:
    """Print a report (or write it as CSV or XLSX with --out).

    Example: hallqueue --db hall.db reports show --from 2026-11-01 --to 2026-11-30 --by department --out 11月.xlsx
    """
    config, _ = load_config(config_path)
    db = open_db(ctx)
    fmt = "json"
    if out is not None:
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise click.UsageError("--out: the file name ends in .csv or .xlsx")
    asked = {
        "from": first.date().isoformat() if first else None,
        "to": last.date().isoformat() if last else None,
        "by": by,
        "department": department,
        "service": service,
        "window": window,
        "priority": priority,
        "format": fmt,
    }
    today = business_day(now(), config.timezone, config.day_start)
    started = time.perf_counter()
    try:
        q, fmt = parse_query({k: v for k, v in asked.items() if v is not None}, config, today)
        report, others = compile_report(db, config, q, fmt)
    except ApiError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    if out is not None:
        out.write_bytes(csv_bytes(report) if fmt == "csv" else xlsx_bytes(report, others))
        click.echo(f"{out} ({file_name(q, fmt)}) written in {time.perf_counter() - started:.2f} s", err=True)
        return
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    click.echo(table(report))


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def table(report: dict) -> str:
    """The report as a text table: the figures a manager reads first (the files hold them all)."""
    period = report["period"]
    lines = [
        f"统计 {period['from']} 至 {period['to']}（有数据 {period['days_with_data']} 天），等候单位：分钟",
        "",
        f"{'':<24}  取号    办结   过号  平均等候   P90  目标内   评价  满意率",
    ]
    for row in (*report["rows"], report["total"]):
        label = row["label"][:12]
        pad = 24 - sum(2 if ord(ch) > 0x2E7F else 1 for ch in label)
        lines.append(
            f"{label}{' ' * max(pad, 0)}  {row['issued']:>6} {row['served']:>6} {row['no_show']:>5} "
            f"{_minutes(row['wait_mean_s']):>9} {_minutes(row['wait_p90_s']):>5} "
            f"{_share(row['within_target_share']):>7} "
            f"{row['ratings']:>6} {_share(row['satisfaction_rate']):>7}"
        )
    return "\n".join(lines)
