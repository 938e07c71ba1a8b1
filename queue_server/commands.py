"""The queue server's commands: serve the hall and provision it (``hallqueue_cli`` adds the
device commands).

Each command opens the library, calls one function and turns its errors into a sentence;
nobody sees a traceback for a mistake in a config file or a duplicate login.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

import click

from queue_server.config.guides import hall_guides
from queue_server.config.hall_file import ConfigError, load_hall_config
from queue_server.core.replay import fold_tickets
from queue_server.store import accounts
from queue_server.store.database import event_from_row, open_database
from queue_server.store.schema import SchemaTooNew

DEFAULT_DB = Path("hallqueue-data") / "hall.db"


def _now() -> datetime:
    return datetime.now().astimezone()


def _open(ctx: click.Context):
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


@main.command()
@click.option(
    "--db",
    "serve_db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The database file (same as the global --db).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Hall config (TOML). Without it: the sample hall.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option(
    "--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning", "error"])
)
@click.pass_context
def serve(
    ctx: click.Context, serve_db: Path | None, config_path: Path | None, host: str, port: int, log_level: str
) -> None:
    """Run the queue server.

    Example: hallqueue serve --db /srv/hall/hall.db --config /srv/hall/hall.toml --port 8080
    """
    if serve_db is not None:
        ctx.obj["db"] = serve_db
    from aiohttp import web

    from queue_server.api.app import init_app
    from queue_server.store.database import StoreLocked
    from queue_server.store.demo import describe, ensure_demo_accounts

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config, guides = _load_config(config_path)
    db_path: Path = ctx.obj["db"]
    url = f"http://{host}:{port}"
    if config_path is None:
        db = _open(ctx)
        creds, created = ensure_demo_accounts(db, config, db_path.parent, _now())
        db.close()
        if created:
            click.echo(describe(creds, url, next(iter(config.services))))
        elif creds.exists():
            click.echo(f"sample hall: DEMO credentials (演示账号) are in {creds}")
    click.echo(
        f"hallqueue: {config.name}, {len(config.services)} services, "
        f"{len(config.windows)} windows; database {db_path}; serving {url}"
    )
    loop = _event_loop()
    try:
        web.run_app(
            init_app(config, db_path, guides=guides), host=host, port=port, print=None, loop=loop, access_log=None
        )
    except StoreLocked as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror}") from None


def _event_loop():
    try:
        import uvloop
    except ImportError:
        import asyncio

        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _load_config(path: Path | None):
    """The hall config and its service guides, or the problems on stderr and exit 2."""
    try:
        config = load_hall_config(path)
        return config, hall_guides(config, path)
    except ConfigError as exc:
        click.echo(f"hallqueue: the hall config has {len(exc.problems)} problem(s); not starting:", err=True)
        for problem in exc.problems:
            click.echo(f"  {exc.path}: {problem}", err=True)
        sys.exit(2)


@main.command("check-config")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
def check_config(path: Path | None) -> None:
    """Check a hall config; without PATH, the sample hall.

    Example: hallqueue check-config /srv/hall/hall.toml
    """
    config, guides = _load_config(path)
    click.echo(
        f"ok: {config.name}: {len(config.departments)} departments, "
        f"{len(config.services)} services, {len(config.windows)} windows, "
        f"{len(guides)} guide items"
    )


@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("add")
@click.argument("login")
@click.option("--role", type=click.Choice(accounts.ROLES), required=True)
@click.pass_context
def user_add(ctx: click.Context, login: str, role: str) -> None:
    """Add a clerk or admin; the password is read from standard input.

    Example: echo 'a long secret' | hallqueue --db hall.db user add wang --role clerk
    """
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    db = _open(ctx)
    try:
        accounts.add_user(db, login, role, password, _now())
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {role} {login}")


@main.group()
def device() -> None:
    """Kiosk and display devices."""


@device.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(accounts.DEVICE_KINDS), required=True)
@click.pass_context
def device_add(ctx: click.Context, name: str, kind: str) -> None:
    """Register a device and print its token (shown once; only its hash is stored).

    Example: hallqueue --db hall.db device add kiosk-lobby-1 --kind kiosk
    """
    db = _open(ctx)
    try:
        token = accounts.add_device(db, name, kind, _now())
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(token)


@main.command()
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Business day (default: all).")
@click.option("--verify", is_flag=True, help="Replay the events and compare with the stored tickets.")
@click.pass_context
def events(ctx: click.Context, day: datetime | None, verify: bool) -> None:
    """Print the audit log (one line per event), or verify it against the tickets.

    Example: hallqueue --db hall.db events --day 2026-11-27 --verify
    """
    db = _open(ctx)
    where, params = ("WHERE business_day = ?", [day.date().isoformat()]) if day else ("", [])
    rows = list(db.query(f"SELECT * FROM events {where} ORDER BY seq", params))
    if not verify:
        for r in rows:
            change = f"{r['from_status'] or ''}→{r['to_status']}" if r["to_status"] else ""
            click.echo(
                "\t".join(
                    str(x)
                    for x in (
                        r["seq"],
                        r["at"],
                        r["kind"],
                        r["actor"],
                        r["number"] or "",
                        change,
                        r["window"] or "",
                        r["data"],
                    )
                )
            )
        return
    replayed = fold_tickets(event_from_row(r) for r in rows)
    stored = {r["id"]: r for r in db.query(f"SELECT * FROM tickets {where}", params)}
    differing = sorted(i for i in stored.keys() | replayed.keys() if stored.get(i) != replayed.get(i))
    for i in differing[:20]:
        click.echo(
            f"ticket {i}: stored {json.dumps(stored.get(i), ensure_ascii=False)}\n"
            f"          replayed {json.dumps(replayed.get(i), ensure_ascii=False)}",
            err=True,
        )
    if differing:
        raise click.ClickException(f"{len(differing)} ticket(s) differ from their event log")
    click.echo(f"ok: {len(rows)} events replay to the {len(stored)} stored tickets")


@main.command()
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, destination: Path) -> None:
    """Copy the database consistently, also while the server runs.

    Example: hallqueue --db /srv/hall/hall.db backup /backup/hall-2026-11-27.db
    """
    if destination.exists():
        raise click.ClickException(f"{destination} exists already; choose a new file")
    db = _open(ctx)
    target = sqlite3.connect(destination)
    try:
        db.conn.backup(target)
    finally:
        target.close()
        db.close()
    click.echo(f"backed up {ctx.obj['db']} to {destination}")
