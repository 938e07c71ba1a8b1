"""The files through which ``hallqueue reload`` (or anyone with ``kill -HUP``) talks to a running
server, all in the server's data folder (the folder of its database):

* ``hallqueue.pid``: written when the server starts serving, removed when it stops; which
  process serves, on which database, with which config file. A file whose process is gone (a
  ``kill -9``, a power cut) is *stale*: :func:`running_server` tells it apart.
* ``reload-request.json``: written by ``hallqueue reload`` just before its SIGHUP, so the server
  can say who asked (a bare ``kill -HUP`` has none and is recorded as the signal).
* ``reload-result.json``: the server's outcome of its latest reload, for the command to print.

Each is written whole to a temporary file and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

PID_FILE = "hallqueue.pid"
REQUEST_FILE = "reload-request.json"
RESULT_FILE = "reload-result.json"
REQUEST_FRESH_S = 30.0  # an older request file is left over from a command that never signalled


@dataclass(frozen=True)
class ServerInfo:
    """What the pid file says about the server serving a data folder."""

    pid: int
    db: str
    config: str | None  # the config file, absolute; None: the sample hall
    started: str


class StalePidFile(Exception):
    """The pid file names a process that is not a running hallqueue server."""

    def __init__(self, path: Path, info: ServerInfo) -> None:
        self.path, self.info = path, info
        super().__init__(f"{path} names process {info.pid}, which is not running a hallqueue server (a stale file)")


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` whole: to a temporary file first, then renamed over it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or ``None`` when there is none (or it is not one)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_pid_file(data_dir: Path, db: Path, config: Path | None, now: datetime) -> Path:
    """Say that this process serves ``data_dir``."""
    path = data_dir / PID_FILE
    info = ServerInfo(os.getpid(), str(db.resolve()), str(config.resolve()) if config else None, now.isoformat())
    write_json(path, asdict(info))
    return path


def remove_pid_file(data_dir: Path) -> None:
    """Remove the pid file at a clean stop, if it is still this process's."""
    path = data_dir / PID_FILE
    data = read_json(path)
    if data is not None and data.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def running_server(data_dir: Path) -> ServerInfo | None:
    """The server serving ``data_dir``; ``None`` without a pid file. Raises ``StalePidFile`` when
    the file names a process that has ended (or whose number another program now has)."""
    path = data_dir / PID_FILE
    data = read_json(path)
    if data is None:
        return None
    try:
        info = ServerInfo(int(data["pid"]), str(data["db"]), data.get("config"), str(data.get("started", "")))
    except (KeyError, TypeError, ValueError):
        raise StalePidFile(path, ServerInfo(0, "", None, "")) from None
    if not _is_hallqueue(info.pid):
        raise StalePidFile(path, info)
    return info


def _is_hallqueue(pid: int) -> bool:
    """Whether process ``pid`` exists and, where /proc tells, is a hallqueue server."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        args = cmdline.read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc (macOS) or not readable: the process exists, trust the file
    # After a reboot the number may belong to anything: a server has "serve" among its arguments.
    return b"serve" in args and any(b"hallqueue" in a or b"queue_server" in a for a in args)


def whoami() -> str:
    """The OS user running this process: how the audit log names who asked for a reload."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
