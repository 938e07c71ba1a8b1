"""Shared fixtures: a small test hall, a clock the test moves, and a real server on 127.0.0.1."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from queue_server.api import appkeys
from queue_server.api.app import init_app
from queue_server.config.guides import parse_guides
from queue_server.config.hall_file import parse_hall_config
from queue_server.store import accounts
from queue_server.store.database import open_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday morning, inside office hours.
OPENING = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

TEST_HALL = {
    "hall": {
        "name": "测试政务服务中心",
        "timezone": "Asia/Shanghai",
        "day_start": "04:00",
        "hours": {"mon-fri": ["08:30-12:00", "14:00-17:30"]},
        "notices": ["过号请重新取号"],
    },
    "rules": {"max_recalls": 2, "no_show_requeues": 1, "priority_streak": 3, "starvation_minutes": 60},
    "departments": [
        {"code": "gaj", "name": "市公安局", "short_name": "公安"},
        {"code": "sw", "name": "市税务局", "short_name": "税务"},
        {"code": "water", "name": "自来水公司"},
    ],
    "services": [
        {"code": "hukou", "name": "户口迁移", "department": "gaj", "prefix": "A", "avg_minutes": 10},
        {"code": "idcard", "name": "居民身份证", "department": "gaj", "prefix": "A", "avg_minutes": 5},
        {"code": "tax", "name": "纳税申报", "department": "sw", "prefix": "E", "avg_minutes": 12, "daily_cap": 3},
        {
            "code": "water-pay",
            "name": "水费缴纳",
            "department": "water",
            "prefix": "Q",
            "avg_minutes": 4,
            "hours": {"mon-fri": ["08:30-17:30"], "sat": ["09:00-12:00"]},
        },
    ],
    "windows": [
        {"number": 1, "name": "户政1", "services": ["hukou", "idcard"]},
        {"number": 2, "name": "户政2", "services": ["idcard", "hukou"]},
        {"number": 3, "name": "税务", "services": ["tax"]},
        {"number": 4, "name": "综合窗口", "services": ["water-pay", "tax", "idcard"]},
    ],
    "tiles": [
        {"name": "户政", "subtitle": "户口 身份证", "services": ["hukou", "idcard"]},
        {"name": "税务", "services": ["tax"]},
        {"name": "公共服务", "subtitle": "水费", "services": ["water-pay"]},
    ],
}

TEST_GUIDES = {
    "items": [
        {
            "code": "hukou-in",
            "name": "户口迁入登记",
            "service": "hukou",
            "kind": "承诺件",
            "legal_basis": ["《中华人民共和国户口登记条例》第十三条"],
            "conditions": ["在本市有合法稳定住所"],
            "materials": ["居民身份证原件", "居民户口簿原件", "准予迁入证明"],
            "procedure": ["窗口受理", "审核", "办结"],
            "statutory_limit": "20个工作日",
            "promised_limit": "5个工作日",
            "keywords": ["落户"],
        },
        {
            "code": "idcard-new",
            "name": "居民身份证申领",
            "service": "idcard",
            "kind": "承诺件",
            "legal_basis": ["《中华人民共和国居民身份证法》"],
            "conditions": ["年满十六周岁的本市户籍居民"],
            "materials": ["居民户口簿原件"],
            "procedure": ["采集人像和指纹", "审核", "制证", "领证"],
            "statutory_limit": "60日",
            "promised_limit": "30日",
            "fees": [{"name": "居民身份证工本费", "standard": "20元/证", "basis": "发改价格〔2003〕2322号"}],
        },
    ]
}


def hall_data() -> dict:
    """A fresh copy of the test hall, for tests that change it."""
    return copy.deepcopy(TEST_HALL)


@pytest.fixture
def hall_config():
    return parse_hall_config(hall_data(), "test-hall.toml")


@pytest.fixture
def guides(hall_config):
    return parse_guides(copy.deepcopy(TEST_GUIDES), hall_config, "test-guides.toml")


class Clock:
    """The server's clock in tests: moves only when the test says so."""

    def __init__(self, now: datetime = OPENING) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


PASSWORD = "correct horse battery"


@dataclass
class Hall:
    """A running test hall: a client of the real server, its database, tokens."""

    client: object
    db_path: Path
    clock: Clock
    kiosk_token: str
    display_token: str
    clerk_tokens: dict[int, str] = field(default_factory=dict)
    evaluator_tokens: dict[int, str] = field(default_factory=dict)
    staff_tokens: dict[str, str] = field(default_factory=dict)  # reception, manager, admin: by login

    def kiosk(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.kiosk_token}"}

    def evaluator(self, window: int) -> dict[str, str]:
        """Headers of window ``window``'s evaluator tablet (registered now if the hall has none)."""
        if window not in self.evaluator_tokens:
            self.evaluator_tokens.update(provision_evaluators(self.db_path, [window]))
        return {"Authorization": f"Bearer {self.evaluator_tokens[window]}"}

    async def login(self, login: str, window: int | None = None, password: str = PASSWORD) -> str:
        body = {"login": login, "password": password}
        if window is not None:
            body["window"] = window
        resp = await self.client.post("/api/login", json=body)
        assert resp.status == 200, await resp.text()
        return (await resp.json())["token"]

    async def clerk(self, window: int) -> dict[str, str]:
        """Headers of the clerk signed in at ``window`` (signing in on first use)."""
        if window not in self.clerk_tokens:
            self.clerk_tokens[window] = await self.login(f"clerk{window}", window)
        return {"Authorization": f"Bearer {self.clerk_tokens[window]}"}

    async def staff(self, login: str) -> dict[str, str]:
        """Headers of a member of staff who signs in without a window (on first use)."""
        if login not in self.staff_tokens:
            self.staff_tokens[login] = await self.login(login)
        return {"Authorization": f"Bearer {self.staff_tokens[login]}"}

    async def reception(self) -> dict[str, str]:
        return await self.staff("reception")

    async def manager(self) -> dict[str, str]:
        return await self.staff("manager")

    async def admin(self) -> dict[str, str]:
        return await self.staff("admin")

    async def issue(self, service: str, **extra) -> dict:
        resp = await self.client.post("/api/tickets", json={"service": service, **extra}, headers=self.kiosk())
        assert resp.status == 201, await resp.text()
        return await resp.json()

    def db(self):
        return open_database(self.db_path)

    def count(self, table: str) -> int:
        """Rows in a table of the hall's database, read through a connection of the test's own."""
        db = self.db()
        try:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            db.close()


def provision(db_path: Path, windows, admins=("admin",)) -> tuple[str, str]:
    """Create clerk<N> for each window, the admins, ``reception`` and ``manager`` (all with
    PASSWORD), a kiosk and a display; return the kiosk's and the display's tokens."""
    db = open_database(db_path)
    now = OPENING
    for n in windows:
        accounts.add_user(db, f"clerk{n}", "clerk", PASSWORD, now)
    for login in admins:
        accounts.add_user(db, login, "admin", PASSWORD, now)
    for role in ("reception", "manager"):
        accounts.add_user(db, role, role, PASSWORD, now)
    kiosk = accounts.add_device(db, "kiosk-1", "kiosk", now)
    display = accounts.add_device(db, "display-1", "display", now)
    db.close()
    return kiosk, display


def provision_evaluators(db_path: Path, windows) -> dict[int, str]:
    """Register an evaluator tablet ``evaluator-<N>`` bound to each window; return their tokens."""
    db = open_database(db_path)
    try:
        return {n: accounts.add_device(db, f"evaluator-{n}", "evaluator", OPENING, window=n) for n in windows}
    finally:
        db.close()


@pytest.fixture
async def aiohttp_client(aiohttp_client):
    """pytest-aiohttp's client factory, with every hallqueue app it serves checked against the API
    contract: each answer of each test must be one the OpenAPI document declares (tests/contract.py)."""
    from tests import contract

    checked: list[list[str]] = []

    async def factory(app, *args, **kwargs):
        if isinstance(app, web.Application) and appkeys.OPENAPI in app:
            checked.append(contract.install(app))
        return await aiohttp_client(app, *args, **kwargs)

    yield factory
    broken = [v for violations in checked for v in violations]
    assert not broken, "answers that break the API contract:\n" + "\n".join(broken)


@pytest.fixture
async def hall(aiohttp_client, tmp_path, hall_config, guides, clock) -> Hall:
    db_path = tmp_path / "hall.db"
    kiosk, display = provision(db_path, hall_config.windows)
    evaluators = provision_evaluators(db_path, hall_config.windows)
    client = await aiohttp_client(init_app(hall_config, db_path, clock, guides))
    return Hall(client, db_path, clock, kiosk, display, evaluator_tokens=evaluators)
