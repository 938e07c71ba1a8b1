"""Demo credentials for the sample hall only: a clerk per window, an admin, a kiosk and a
display device, created on the first start and written next to the database."""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from queue_server.core.model import HallConfig
from queue_server.store import accounts

FILE_NAME = "demo-credentials.json"


def demo_clerk_login(window: int) -> str:
    return f"clerk{window:02d}"


def ensure_demo_accounts(
    db: sqlite_utils.Database, config: HallConfig, folder: Path, now: datetime
) -> tuple[Path, bool]:
    """Create the demo accounts if the database has no users yet.

    Returns the credentials file and whether it was written now. The file is readable by
    its owner only; the kiosk and display launchers read their tokens from it.
    """
    path = folder / FILE_NAME
    if db.execute("SELECT count(*) FROM users").fetchone()[0]:
        return path, False
    creds: dict[str, Any] = {"warning": "DEMO credentials for the sample hall only (演示账号)", "clerks": []}
    for number in config.windows:
        login, password = demo_clerk_login(number), secrets.token_urlsafe(9)
        accounts.add_user(db, login, "clerk", password, now)
        creds["clerks"].append({"login": login, "password": password, "window": number})
    admin_password = secrets.token_urlsafe(12)
    accounts.add_user(db, "admin", "admin", admin_password, now)
    creds["admin"] = {"login": "admin", "password": admin_password}
    creds["kiosk_token"] = accounts.add_device(db, "demo-kiosk", "kiosk", now)
    creds["display_token"] = accounts.add_device(db, "demo-display", "display", now)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(creds, f, ensure_ascii=False, indent=2)
    return path, True


def describe(path: Path, url: str, example_service: str) -> str:
    creds = json.loads(path.read_text(encoding="utf-8"))
    first = creds["clerks"][0]
    return "\n".join(
        [
            "DEMO credentials — sample hall only, not for a real hall (演示账号):",
            f"  clerks: clerk01 … clerk{len(creds['clerks']):02d}, one per window, e.g. "
            f"{first['login']} / {first['password']} at window {first['window']}",
            f"  admin:  admin / {creds['admin']['password']}",
            f"  kiosk token:   {creds['kiosk_token']}",
            f"  display token: {creds['display_token']}",
            f"  all of them in {path}",
            f"  try: curl -X POST {url}/api/tickets -H 'Authorization: Bearer {creds['kiosk_token']}' "
            '-d \'{"service": "' + example_service + "\"}'",
        ]
    )
