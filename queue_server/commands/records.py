"""``hallqueue check-config``, ``events`` and ``backup``: the hall's files and its audit log."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import click

from queue_server.core.model import Ticket
from queue_server.core.replay import fold_tickets
from queue_server.store import event_from_row

from .base import load_config, main, open_db


@main.command("check-config")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
def check_config(path: Path | None) -> None:
    """Check a hall config; without PATH, the sample hall.

    Example: hallqueue check-config /srv/hall/hall.toml
    """
    config, guides = load_config(path)
    click.echo(
        f"ok: {config.name}: {len(config.departments)} departments, "
        f"{len(config.services)} services, {len(config.windows)} windows, "
        f"{len(guides)} guide items"
    )


@main.command()
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Business day (default: all).")
@click.option("--verify", is_flag=True, help="Replay the events and compare with the stored tickets.")
@click.pass_context
def events(ctx: click.Context, day: datetime | None, verify: bool) -> None:
    """Print the audit log (one line per event), or verify it against the tickets.

    Example: hallqueue --db hall.db events --day 2026-11-27 --verify
    """
    db = open_db(ctx)
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
    # Both sides read back as tickets: the table keeps lists as JSON text, events as lists, and
    # events written before a column existed simply lack it.
    replayed = {i: Ticket.from_dict(t).as_dict() for i, t in fold_tickets(event_from_row(r) for r in rows).items()}
    stored = {r["id"]: Ticket.from_dict(r).as_dict() for r in db.query(f"SELECT * FROM tickets {where}", params)}
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
    db = open_db(ctx)
    target = sqlite3.connect(destination)
    try:
        db.conn.backup(target)
    finally:
        target.close()
        db.close()
    click.echo(f"backed up {ctx.obj['db']} to {destination}")
