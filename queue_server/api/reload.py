"""Reloading the hall config in a running server (``hallqueue reload``, or ``kill -HUP``).

The file is read and checked first; an invalid one changes nothing, and the server says why in
its log and in ``reload-result.json`` (the file, the key, the problem). A valid one goes to the
engine, which rebuilds the hall state with it between two batches exactly as a restart would
(``Engine.reload``), and then to every handler at once (``appkeys.FILES``). The reload is in the
audit log as a ``config_reloaded`` event naming who asked; screens reload their snapshot on it.

What a reload cannot change in a running process, ``[limits]`` and ``[notify]``, is logged as
needing a restart.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from queue_server.api import appkeys
from queue_server.config.hall_file import ConfigError
from queue_server.config.hall_files import HallFiles, load_hall_files
from queue_server.core.model import EventKind, HallConfig
from queue_server.runtime import control
from queue_server.runtime.engine import StoreUnavailable

_LOGGER = logging.getLogger("hallqueue.reload")
COMMAND = "hallqueue reload"
SIGNAL = "SIGHUP"


@dataclass
class ReloadOutcome:
    """What a reload did, as the log, the result file and the command say it."""

    ok: bool
    file: str  # the config file as errors name it
    trigger: str  # "hallqueue reload" or "SIGHUP"
    by: str | None = None  # who ran the command (the OS user)
    problems: list[str] = field(default_factory=list)  # "windows[3].services[1]: unknown service ..."
    error: str | None = None  # not the file's fault: the database could not be written
    changes: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    seq: int | None = None  # the config_reloaded event

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "file": self.file,
            "trigger": self.trigger,
            "by": self.by,
            "problems": self.problems,
            "error": self.error,
            "changes": self.changes,
            "summary": self.summary,
            "seq": self.seq,
        }


def config_changes(old: HallConfig, new: HallConfig) -> dict[str, Any]:
    """What a new config adds and removes, for the audit log and the operator."""
    return {
        "services_added": [c for c in new.services if c not in old.services],
        "services_removed": [c for c in old.services if c not in new.services],
        "windows_added": [n for n in new.windows if n not in old.windows],
        "windows_removed": [n for n in old.windows if n not in new.windows],
        # Read once at start by parts that run on: changed, they wait for a restart.
        "restart_needed": [
            f"[{name}]" for name in ("limits", "notify") if getattr(old, name, None) != getattr(new, name, None)
        ],
    }


def _summary(changes: dict[str, Any], expired: list[str], dropped: list[int]) -> str:
    parts = []
    for key, label in (
        ("services_added", "services added"),
        ("services_removed", "services removed"),
        ("windows_added", "windows added"),
        ("windows_removed", "windows removed"),
    ):
        if changes[key]:
            parts.append(f"{label}: {', '.join(str(x) for x in changes[key])}")
    if expired:
        parts.append(f"{len(expired)} waiting ticket(s) of removed services expired ({', '.join(expired)})")
    if dropped:
        parts.append(f"潮汐窗口 change(s) of window(s) {', '.join(map(str, dropped))} no longer apply")
    if changes["restart_needed"]:
        parts.append(f"{' and '.join(changes['restart_needed'])} changed: they take effect at the next restart")
    return "; ".join(parts) or "no services or windows added or removed"


async def reload_hall(app: web.Application, trigger: str, by: str | None = None) -> ReloadOutcome:
    """Read the app's config file again and run the hall on it; never raises for a bad file or
    an unwritable database (the outcome says so, and nothing changed)."""
    files: HallFiles = app[appkeys.FILES]
    shown = str(files.path) if files.path is not None else "the sample hall"
    loop = asyncio.get_running_loop()
    try:
        new = await loop.run_in_executor(None, load_hall_files, files.path)
    except ConfigError as exc:
        return ReloadOutcome(False, exc.path, trigger, by, problems=exc.problems)
    changes = config_changes(files.config, new.config)
    actor = f"cli:{by}" if trigger == COMMAND and by else f"signal:{SIGNAL}"
    try:
        events = await app[appkeys.ENGINE].reload(new.config, actor, trigger=trigger, file=shown, **changes)
    except StoreUnavailable as exc:
        return ReloadOutcome(False, shown, trigger, by, error=f"nothing changed: {exc}")
    # No await from the engine's switch to here: no handler sees the new state with the old files.
    files.replace_with(new)
    app[appkeys.AUTH].idle_s = new.config.session_idle_s
    reloaded = next(e for e in events if e.kind is EventKind.CONFIG_RELOADED)
    summary = _summary(changes, reloaded.data["expired"], reloaded.data["window_services_dropped"])
    return ReloadOutcome(True, shown, trigger, by, changes=changes, summary=summary, seq=reloaded.seq)


def _log(outcome: ReloadOutcome) -> None:
    who = f"{outcome.trigger} ({outcome.by})" if outcome.by else outcome.trigger
    if outcome.ok:
        _LOGGER.info("hall config reloaded from %s by %s: %s", outcome.file, who, outcome.summary)
        return
    if outcome.error:
        _LOGGER.error("hall config NOT reloaded (asked by %s): %s", who, outcome.error)
        return
    _LOGGER.error("hall config NOT reloaded (asked by %s); nothing changed. Problems:", who)
    for problem in outcome.problems:
        _LOGGER.error("  %s: %s", outcome.file, problem)


class _SighupReloader:
    """Runs a reload per SIGHUP, one at a time: a signal during a reload asks for one more."""

    def __init__(self, app: web.Application, data_dir: Path) -> None:
        self.app, self.data_dir = app, data_dir
        self.task: asyncio.Task[None] | None = None
        self.again = False

    def signalled(self) -> None:
        if self.task is not None:
            self.again = True
            return
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while True:
                self.again = False
                await self._reload_once()
                if not self.again:
                    return
        finally:
            self.task = None

    async def _reload_once(self) -> None:
        request = _take_request(self.data_dir)
        trigger, by = (COMMAND, request.get("by")) if request else (SIGNAL, None)
        try:
            outcome = await reload_hall(self.app, trigger, by)
        except Exception:  # a bug: logged with its stack, and the command still gets an answer
            _LOGGER.exception("the reload failed")
            outcome = ReloadOutcome(False, "", trigger, by, error="internal error; see the server's log")
        _log(outcome)
        result = {**outcome.as_dict(), "request": request.get("id") if request else None, "pid": os.getpid()}
        try:
            control.write_json(self.data_dir / control.RESULT_FILE, result)
        except OSError as exc:
            _LOGGER.warning("could not write %s: %s", self.data_dir / control.RESULT_FILE, exc)


def _take_request(data_dir: Path) -> dict[str, Any] | None:
    """The request ``hallqueue reload`` left before signalling, taken (removed) so that a later bare
    SIGHUP is not put down to it; ``None`` without one, or when it is too old to be this signal's."""
    path = data_dir / control.REQUEST_FILE
    request = control.read_json(path)
    path.unlink(missing_ok=True)
    if request is None:
        return None
    if time.time() - float(request.get("written", 0)) > control.REQUEST_FRESH_S:
        return None
    return request


def control_ctx(data_dir: Path, config_path: Path | None) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context for ``hallqueue serve``: once the hall is served, the pid file says so and
    SIGHUP reloads the config; at the stop both are undone."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        try:
            other = control.running_server(data_dir)
        except control.StalePidFile as exc:
            _LOGGER.info("replacing a stale pid file: %s", exc)
        else:
            if other is not None and other.pid != os.getpid():
                _LOGGER.warning(
                    "%s names another running server (pid %d, database %s): one server per data folder, or "
                    "hallqueue reload signals only the latest",
                    data_dir / control.PID_FILE,
                    other.pid,
                    other.db,
                )
        control.write_pid_file(data_dir, app[appkeys.STORE].path, config_path, app[appkeys.CLOCK]())
        reloader = _SighupReloader(app, data_dir)
        hup = getattr(signal, "SIGHUP", None)  # none on Windows: reload there by restarting
        if hup is not None:
            loop.add_signal_handler(hup, reloader.signalled)
        yield
        # The pid file first: nobody signals a server that no longer says it serves (SIGHUP's
        # default action would end the process before its cleanup is done).
        control.remove_pid_file(data_dir)
        if hup is not None:
            loop.remove_signal_handler(hup)
        if reloader.task is not None:
            await asyncio.gather(reloader.task, return_exceptions=True)

    return ctx
