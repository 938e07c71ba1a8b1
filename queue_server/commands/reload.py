"""``hallqueue reload``: re-read the hall config in the running server, without a restart."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import click

from queue_server.config import ConfigError, load_hall_files
from queue_server.runtime import control

from .base import echo_config_problems, main

POLL_S = 0.1


@main.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The config file to check first; it must be the one the server runs (default: that one).",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The server's data folder, where its database and hallqueue.pid are (default: the folder of --db).",
)
@click.option("--wait", "wait_s", default=10.0, show_default=True, help="Seconds to wait for the server's answer.")
@click.pass_context
def reload(ctx: click.Context, config_path: Path | None, data_dir: Path | None, wait_s: float) -> None:
    """Re-read the hall config in the running server, without a restart.

    The file is checked here first: an invalid one is reported (file, key, problem; exit 2) and
    the server is not touched. A valid one is read again by the server (it gets a SIGHUP; `kill
    -HUP PID` does the same, with the outcome in the server's log), which rebuilds the hall with
    it between two commands: a new service is offered at once, waiting tickets of a removed
    service expire as on a restart, and the reload is recorded in the audit log. [limits] and
    [notify] take effect at the next restart. Exit 0 once the server reloaded, 1 when no server
    runs or it did not answer, 2 for an invalid file.

    Example: hallqueue --db /srv/hall/hall.db reload --config /srv/hall/hall.toml
    """
    data_dir = data_dir or Path(ctx.obj["db"]).parent
    if config_path is not None:
        _check(config_path)  # before anything else: an invalid file touches nothing
    try:
        server = control.running_server(data_dir)
    except control.StalePidFile as exc:
        raise click.ClickException(f"no hallqueue server is running: {exc}; nothing to reload") from None
    if server is None:
        raise click.ClickException(
            f"no hallqueue server is running with data folder {data_dir} (no {control.PID_FILE} there); "
            "give the server's folder with --data, or the database with --db"
        )
    running = Path(server.config) if server.config else None
    if config_path is None:
        _check(running)
    elif running is None or config_path.resolve() != running:
        raise click.ClickException(
            f"the server (pid {server.pid}) runs {running or 'the sample hall'}, and a reload reads that "
            f"file again; to run {config_path}, restart the server with --config {config_path}"
        )
    request = str(uuid.uuid4())
    control.write_json(
        data_dir / control.REQUEST_FILE,
        {"id": request, "by": control.whoami(), "pid": os.getpid(), "written": time.time()},
    )
    os.kill(server.pid, signal.SIGHUP)
    result = _await_result(data_dir / control.RESULT_FILE, request, wait_s)
    if result is None:
        raise click.ClickException(
            f"the server (pid {server.pid}) did not answer within {wait_s:g} s; its log says whether it reloaded"
        )
    if result.get("error"):
        raise click.ClickException(f"the server (pid {server.pid}) did not reload: {result['error']}")
    if not result.get("ok"):  # the file changed between the check here and the server's reading
        click.echo(f"hallqueue: the server did not reload {result.get('file')}; nothing changed:", err=True)
        for problem in result.get("problems", []):
            click.echo(f"  {result.get('file')}: {problem}", err=True)
        ctx.exit(2)
    click.echo(f"reloaded {result['file']} in the server (pid {server.pid}): {result.get('summary', '')}")


def _check(path: Path | None) -> None:
    """Check the config (and the calendar and guides it names) as the server will read it."""
    try:
        load_hall_files(path)
    except ConfigError as exc:
        echo_config_problems(exc, "not reloading; the server is not touched")
        raise SystemExit(2) from None


def _await_result(path: Path, request: str, wait_s: float) -> dict | None:
    """The server's result for ``request``, or ``None`` after ``wait_s`` seconds."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        result = control.read_json(path)
        if result is not None and result.get("request") == request:
            return result
        time.sleep(POLL_S)
    return None
