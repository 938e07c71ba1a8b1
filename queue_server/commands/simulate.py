"""``hallqueue simulate``: the hall's days in simulated time, on the real hall core."""

from __future__ import annotations

import json
import sys
import time
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

import click

from queue_server.core.numbering import business_day
from queue_server.sim.days import simulate
from queue_server.sim.policies import POLICIES, POLICY_LABELS
from queue_server.sim.profile import ProfileError, load_profile
from queue_server.sim.report import compare_table, full_report
from queue_server.sim.staffing import StaffingError, StaffingPlan, load_plan

from .base import load_config, main

# The sample hall ships its arrival profile beside its config.
SAMPLE_DIR = Path(str(resources.files("queue_server.config").joinpath("sample")))


def _next_monday() -> date:
    today = date.today()
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def _arrivals_path(config_path: Path | None, arrivals: Path | None) -> Path:
    if arrivals is not None:
        return arrivals
    beside = (config_path.parent if config_path else SAMPLE_DIR) / "arrivals.toml"
    if beside.exists():
        return beside
    raise click.UsageError(f"no arrival profile: pass --arrivals PROFILE.toml (none at {beside})")


def _fold_history(path: Path, config) -> None:
    """The written days, folded for 统计分析 (``store/rollup.py``), so reports on it are fast at once."""
    from queue_server.commands.reports import fold
    from queue_server.store import open_database

    db = open_database(path)
    try:
        days, cells, seconds = fold(db, config, every=False)
    finally:
        db.close()
    click.echo(f"history: {days} day(s) folded into {cells} report cells in {seconds:.1f} s", err=True)


@main.command("simulate")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The hall config (default: the sample hall).",
)
@click.option(
    "--arrivals",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The arrival profile (default: arrivals.toml beside the config).",
)
@click.option("--days", type=click.IntRange(1, 3660), default=1, show_default=True, help="Days to simulate.")
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The first day (default: next Monday; with --write-history: the days up to yesterday).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed and inputs, same output.")
@click.option(
    "--policy",
    type=click.Choice(sorted(POLICIES)),
    default="hall",
    show_default=True,
    help="The routing policy: the hall's, plain FIFO, or strict priority.",
)
@click.option("--compare", is_flag=True, help="Run every policy on the same seed, side by side.")
@click.option(
    "--staffing",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Which windows are open when (default: every window whenever its services are open).",
)
@click.option(
    "--advise", is_flag=True, help="Compute the fewest open windows per group and hour (--out gets the plan)."
)
@click.option(
    "--target-share",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.8,
    show_default=True,
    help="With --advise: the share of visitors to call within the wait target.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write figures.json, report.txt and charts (SVG, PNG) here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of the tables.")
@click.option(
    "--write-history",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the simulated days into this (new) database through the real store.",
)
def simulate_command(
    config_path: Path | None,
    arrivals: Path | None,
    days: int,
    start: datetime | None,
    seed: int,
    policy: str,
    compare: bool,
    staffing: Path | None,
    advise: bool,
    target_share: float,
    out: Path | None,
    as_json: bool,
    write_history: Path | None,
) -> None:
    """Simulate hall days on the real queue core: waits, staffing advice, estimate accuracy.

    \b
    Examples:
      hallqueue simulate                       one sample-hall day, as tables
      hallqueue simulate --days 5 --json       a week's figures as JSON (seconds)
      hallqueue simulate --compare             the routing policies side by side
      hallqueue simulate --advise --out plan/  the fewest windows per hour, as a staffing plan
      hallqueue simulate --days 365 --write-history year.db
    """
    config, _ = load_config(config_path)
    try:
        profile = load_profile(_arrivals_path(config_path, arrivals), config)
        plan = load_plan(staffing, config) if staffing else StaffingPlan()
    except (ProfileError, StaffingError) as exc:
        click.echo(f"hallqueue simulate: {exc}", err=True)
        sys.exit(2)
    if write_history is not None:
        # History is the past: by default the days up to yesterday; a server started on it numbers today afresh.
        today = business_day(datetime.now(config.timezone), config.timezone, config.day_start)
        first = start.date() if start else today - timedelta(days=days)
        if first + timedelta(days=days) > today:
            raise click.UsageError(
                f"--write-history: the simulated days must end before today ({today}): "
                "choose an earlier --start or fewer --days"
            )
    else:
        first = start.date() if start else _next_monday()
    target_s = config.rules.wait_target_s
    started = time.perf_counter()
    if advise:
        from queue_server.sim.advice import advise_command

        advise_command(config, profile, plan, seed, first, days, target_s, out, as_json, target_share)
        return
    if compare:
        results = {name: simulate(config, profile, plan, seed, first, days, target_s, name) for name in POLICIES}
        if as_json:
            click.echo(json.dumps(results, ensure_ascii=False, indent=1))
        else:
            click.echo(compare_table(results, POLICY_LABELS))
        return
    writer = None
    if write_history is not None:
        from queue_server.sim.history import HistoryError
        from queue_server.sim.history_process import HistoryProcess

        try:
            writer = HistoryProcess.create(write_history)
            try:
                figures = simulate(config, profile, plan, seed, first, days, target_s, policy, writer.add)
            finally:
                writer.close()
            _fold_history(write_history, config)
        except HistoryError as exc:
            raise click.ClickException(str(exc)) from None
    else:
        figures = simulate(config, profile, plan, seed, first, days, target_s, policy)
    elapsed = time.perf_counter() - started
    if out is not None:
        from queue_server.sim.charts import write_charts

        out.mkdir(parents=True, exist_ok=True)
        (out / "figures.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        (out / "report.txt").write_text(full_report(figures) + "\n", encoding="utf-8")
        write_charts(figures, out)
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=1))
    else:
        click.echo(full_report(figures))
    if writer is not None:
        click.echo(f"history: {writer.tickets} tickets, {writer.events} events written to {write_history}", err=True)
    click.echo(f"({days} day(s) simulated in {elapsed:.2f} s)", err=True)
