"""``hallqueue serve``: run the queue server."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from queue_server.config.public_url import public_url_problem, suggestion

from .base import load_config, main, now, open_db

_LOGGER = logging.getLogger(__name__)


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

    It writes its pid to hallqueue.pid beside the database while it serves; SIGHUP (or
    `hallqueue reload`) re-reads the hall config without a restart.

    Example: hallqueue serve --db /srv/hall/hall.db --config /srv/hall/hall.toml --port 8080
    """
    if serve_db is not None:
        ctx.obj["db"] = serve_db
    from aiohttp import web

    from queue_server.api.app import init_app
    from queue_server.api.reload import control_ctx
    from queue_server.store.database import StoreLocked
    from queue_server.store.demo import ensure_demo_accounts

    # After the imports: python-escpos calls logging.basicConfig() when imported, which would
    # otherwise win and leave --log-level without effect.
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    config, guides = load_config(config_path)
    db_path: Path = ctx.obj["db"]
    url = f"http://{host}:{port}"
    if config_path is None:
        db = open_db(ctx)
        creds, created = ensure_demo_accounts(db, config, db_path.parent, now())
        db.close()
        # Only where they are: passwords and tokens on stdout end up in terminals and journals.
        if created:
            click.echo(f"sample hall: DEMO credentials (演示账号) written to {creds}")
        elif creds.exists():
            click.echo(f"sample hall: DEMO credentials (演示账号) are in {creds}")
    click.echo(
        f"hallqueue: {config.name}, {len(config.services)} services, "
        f"{len(config.windows)} windows; database {db_path}; serving {url}"
    )
    if (problem := public_url_problem(config.public_url)) is not None:
        _LOGGER.warning(
            "%s: the QR codes on tickets will not open on visitors' phones. Set [hall] public_url to the "
            "address phones on the hall's network reach: %s",
            problem,
            suggestion(port),
        )
    _raise_open_files_limit(config.limits.event_sockets)
    loop = _event_loop()
    app = init_app(config, db_path, guides=guides, config_path=config_path)
    # The pid file (for hallqueue reload) and SIGHUP: once the hall is served, until it stops.
    app.cleanup_ctx.append(control_ctx(db_path.parent, config_path))
    try:
        web.run_app(app, host=host, port=port, print=None, loop=loop, access_log=None)
    except StoreLocked as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror}") from None


# Besides the event sockets: the database, the log, kiosks' and staff's HTTP connections.
FD_HEADROOM = 256


def _raise_open_files_limit(event_sockets: int) -> None:
    """Raise the soft limit on open files to the hard one, so that a flood of connections meets
    the event-socket caps (a clean 503) before it meets EMFILE (failed accepts, a full log)."""
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as exc:
            _LOGGER.warning("could not raise the open files limit from %d to %d: %s", soft, hard, exc)
    _LOGGER.info("open files limit (RLIMIT_NOFILE): %s; event sockets capped at %d", soft, event_sockets)
    if soft != resource.RLIM_INFINITY and soft < event_sockets + FD_HEADROOM:
        _LOGGER.warning(
            "open files limit %d is below [limits] event_sockets %d + %d: raise it (ulimit -n, or "
            "LimitNOFILE= in the systemd unit) or lower the cap",
            soft,
            event_sockets,
            FD_HEADROOM,
        )


def _event_loop():
    try:
        import uvloop
    except ImportError:
        import asyncio

        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
