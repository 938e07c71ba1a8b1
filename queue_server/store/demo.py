"""Demo credentials for the sample hall only: a clerk per window, a reception desk, a hall
manager, an admin, a kiosk, a display and an evaluator tablet per window, created on the first
start and written next to the database (owner-only), never printed."""

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


# Made-up names for the demo clerks' 亮牌 (one per window, in window order; reused past the end).
DEMO_NAMES = (
    "王芳", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周婷", "吴昊",
    "徐丽", "孙强", "胡悦", "朱琳", "高翔", "林燕", "何军", "郭佳", "马超", "罗兰",
    "梁晨", "宋雪", "郑凯", "谢敏", "韩冰", "唐亮", "冯娟", "于洋", "董萍", "萧然",
    "程刚", "曹颖", "袁媛", "邓辉", "许晴", "傅强", "沈悦",
)  # fmt: skip


def demo_clerk_login(window: int) -> str:
    return f"clerk{window:02d}"


def demo_staff_no(window: int) -> str:
    return f"QJ{window:04d}"


def ensure_demo_accounts(
    db: sqlite_utils.Database, config: HallConfig, folder: Path, now: datetime
) -> tuple[Path, bool]:
    """Create the demo accounts if the database has no users yet.

    Returns the credentials file and whether it was written now. The file is readable by
    its owner only; the kiosk and display launchers read ``kiosk_token`` and ``display_token``
    from it (``scripts/run-hall``), an evaluator tablet its window's ``evaluator_tokens`` entry.
    """
    path = folder / FILE_NAME
    if db.execute("SELECT count(*) FROM users").fetchone()[0]:
        return path, False
    creds: dict[str, Any] = {"warning": "DEMO credentials for the sample hall only (演示账号)", "clerks": []}
    for i, number in enumerate(config.windows):
        login, password = demo_clerk_login(number), secrets.token_urlsafe(9)
        name = DEMO_NAMES[i % len(DEMO_NAMES)]
        accounts.add_user(db, login, "clerk", password, now, name=name, staff_no=demo_staff_no(number))
        creds["clerks"].append({"login": login, "password": password, "window": number})
    for role in ("reception", "manager", "admin"):
        password = secrets.token_urlsafe(12)
        accounts.add_user(db, role, role, password, now)
        creds[role] = {"login": role, "password": password}
    creds["kiosk_token"] = accounts.add_device(db, "demo-kiosk", "kiosk", now)
    creds["display_token"] = accounts.add_device(db, "demo-display", "display", now)
    # JSON keys are strings: {"1": token of window 1's tablet, ...}; open it as /rate/1#token=….
    creds["evaluator_tokens"] = {
        str(n): accounts.add_device(db, f"demo-evaluator-{n}", "evaluator", now, window=n) for n in config.windows
    }
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(creds, f, ensure_ascii=False, indent=2)
    return path, True


def describe(path: Path, *_unused: object) -> str:
    """Where the demo credentials are, and nothing of them: a server's output ends up in logs
    and terminals' scrollback. (Older callers also pass the URL and a service; ignored.)"""
    return (
        f"sample hall: DEMO credentials (演示账号: clerks, reception, manager, admin, kiosk, display and "
        f"evaluator tokens) are in {path}, readable by this user only"
    )
