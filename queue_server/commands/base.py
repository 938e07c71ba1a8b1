"""The ``hallqueue`` group and what every command shares: the database option and its opening,
the hall config with its problems said plainly."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click

from queue_server.config import ConfigError, hall_guides, load_hall_config
from queue_server.store import SchemaTooNew, open_database

DEFAULT_DB = Path("hallqueue-data") / "hall.db"


def now() -> datetime:
    return datetime.now().astimezone()


def open_db(ctx: click.Context):
    try:
        return open_database(ctx.obj["db"])
    except SchemaTooNew as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("HALLQUEUE_DB", str(DEFAULT_DB)),
    show_default="$HALLQUEUE_DB or hallqueue-data/hall.db",
    help="The hall's SQLite database file.",
)
@click.pass_context
def main(ctx: click.Context, db: Path) -> None:
    """hallqueue: queue management for a government service hall (政务服务中心)."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


def load_config(path: Path | None):
    """The hall config and its service guides, or the problems on stderr and exit 2."""
    try:
        config = load_hall_config(path)
        return config, hall_guides(config, path)
    except ConfigError as exc:
        echo_config_problems(exc, "not starting")
        sys.exit(2)


def echo_config_problems(exc: ConfigError, consequence: str) -> None:
    """Every problem of a config on stderr, one line each: ``file: key: problem``."""
    click.echo(f"hallqueue: the hall config has {len(exc.problems)} problem(s); {consequence}:", err=True)
    for problem in exc.problems:
        click.echo(f"  {exc.path}: {problem}", err=True)
    if any("[" in problem.split(":", 1)[0] for problem in exc.problems):
        click.echo("  (entries count from 0: windows[3] is the 4th [[windows]] entry of the file)", err=True)
