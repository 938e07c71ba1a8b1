"""``hallqueue serve``: run the queue server."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from .base import load_config, main, now, open_db


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
    config, guides = load_config(config_path)
    db_path: Path = ctx.obj["db"]
    url = f"http://{host}:{port}"
    if config_path is None:
        db = open_db(ctx)
        creds, created = ensure_demo_accounts(db, config, db_path.parent, now())
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
