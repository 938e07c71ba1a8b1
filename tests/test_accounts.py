"""Accounts and devices: evaluator tablets bound to their window, who may sign in at a window
and take it over, the schema's v4 (auth_version triggers), and the demo credentials."""

from __future__ import annotations

import json
import stat

import pytest

from queue_server.api.app import init_app
from queue_server.config.hall_file import load_hall_config, parse_hall_config
from queue_server.store import accounts
from queue_server.store.accounts import AccountError, Role
from queue_server.store.database import connect, open_database
from queue_server.store.demo import describe, ensure_demo_accounts
from queue_server.store.schema import MIGRATIONS, migrate

from .conftest import OPENING, PASSWORD, Hall, hall_data, provision
from .test_api import error_of

# ------------------------------------------------------------ evaluator tablets


async def finish_one_at_window_1(hall: Hall) -> dict:
    """A ticket served at window 1, so its evaluator tablet has something to rate."""
    clerk = await hall.clerk(1)
    ticket = await hall.issue("hukou")
    assert (await hall.client.post("/api/windows/1/call-next", headers=clerk)).status == 200
    assert (await hall.client.post(f"/api/tickets/{ticket['id']}/finish", headers=clerk)).status == 200
    return ticket


async def test_only_the_windows_own_evaluator_rates(hall):
    ticket = await finish_one_at_window_1(hall)
    display = {"Authorization": f"Bearer {hall.display_token}"}
    for headers in (display, await hall.clerk(1), await hall.admin(), await hall.manager()):
        for method, body in (("GET", None), ("POST", {"level": 5})):
            resp = await hall.client.request(method, "/api/windows/1/rating", json=body, headers=headers)
            assert await error_of(resp, 403) == "forbidden"
    for method, body in (("GET", None), ("POST", {"level": 5})):
        resp = await hall.client.request(method, "/api/windows/1/rating", json=body, headers=hall.evaluator(2))
        assert await error_of(resp, 403) == "wrong_window"
    pending = await hall.client.get("/api/windows/1/rating", headers=hall.evaluator(1))
    assert pending.status == 200 and (await pending.json())["ticket_id"] == ticket["id"]
    rated = await hall.client.post("/api/windows/1/rating", json={"level": 5}, headers=hall.evaluator(1))
    assert rated.status == 201, await rated.text()
    db = hall.db()
    row = next(db.query("SELECT * FROM ratings WHERE ticket_id = ?", [ticket["id"]]))
    db.close()
    assert row["level"] == 5 and row["window"] == 1
    assert row["rated_by"] == "evaluator:evaluator-1"


def test_an_evaluator_device_is_bound_to_one_window(tmp_path):
    db = open_database(tmp_path / "hall.db")
    token = accounts.add_device(db, "tablet-3", "evaluator", OPENING, window=3)
    p = accounts.find_device(db, accounts.token_hash(token))
    assert (p.role, p.name, p.window, p.expires_at) == (Role.EVALUATOR, "tablet-3", 3, None)
    kiosk = accounts.find_device(db, accounts.token_hash(accounts.add_device(db, "kiosk-1", "kiosk", OPENING)))
    assert kiosk.window is None
    with pytest.raises(AccountError, match="needs its window"):
        accounts.add_device(db, "tablet-x", "evaluator", OPENING)
    with pytest.raises(AccountError, match="only an evaluator"):
        accounts.add_device(db, "kiosk-2", "kiosk", OPENING, window=1)
    accounts.revoke_device(db, "tablet-3", OPENING)
    assert accounts.find_device(db, accounts.token_hash(token)) is None
    with pytest.raises(AccountError, match="revoked already"):
        accounts.revoke_device(db, "tablet-3", OPENING)
    with pytest.raises(AccountError, match='no device "ghost"'):
        accounts.revoke_device(db, "ghost", OPENING)
    db.close()


# ------------------------------------------------------------ who may sign in at a window, and take it over


@pytest.fixture
async def ruled(aiohttp_client, tmp_path, clock) -> Hall:
    """The test hall, where window 1 names its clerks (clerk1 and clerk2 may stand in for each
    other) and the other windows name nobody."""
    data = hall_data()
    data["windows"][0]["clerks"] = ["clerk1", "clerk2"]
    config = parse_hall_config(data, "test-hall.toml")
    db_path = tmp_path / "hall.db"
    kiosk, display = provision(db_path, config.windows)
    return Hall(await aiohttp_client(init_app(config, db_path, clock)), db_path, clock, kiosk, display)


async def sign_in(hall: Hall, login: str, window: int, force: bool = False):
    body = {"login": login, "password": PASSWORD, "window": window, "force": force}
    return await hall.client.post("/api/login", json=body)


async def test_a_listed_clerk_takes_over_a_window_that_names_them(ruled):
    first = await sign_in(ruled, "clerk1", 1)
    token = (await first.json())["token"]
    resp = await sign_in(ruled, "clerk2", 1)
    assert await error_of(resp, 409) == "window_occupied"
    assert "确认接管" in (await resp.json())["error"]["message"]
    taken = await sign_in(ruled, "clerk2", 1, force=True)
    assert taken.status == 200, await taken.text()
    old = await ruled.client.get("/api/windows/1/queue", headers={"Authorization": f"Bearer {token}"})
    assert await error_of(old, 401) == "token_expired"
    state = await (await ruled.client.get("/api/admin/overview", headers=await ruled.admin())).json()
    assert {w["number"]: w["clerk"] for w in state["windows"]}[1] == "clerk2"


async def test_a_clerk_not_on_the_windows_list_cannot_sign_in_there(ruled):
    for force in (False, True):
        resp = await sign_in(ruled, "clerk3", 1, force=force)
        assert await error_of(resp, 403) == "forbidden"
        assert "人员名单" in (await resp.json())["error"]["message"]
    assert (await sign_in(ruled, "clerk3", 3)).status == 200  # window 3 names nobody: anyone


async def test_nobody_takes_over_a_window_without_a_list_the_manager_signs_it_out(ruled):
    assert (await sign_in(ruled, "clerk2", 2)).status == 200
    resp = await sign_in(ruled, "clerk4", 2)
    assert await error_of(resp, 409) == "window_occupied"
    assert "请联系大厅管理员签退该窗口" in (await resp.json())["error"]["message"]
    resp = await sign_in(ruled, "clerk4", 2, force=True)
    assert await error_of(resp, 403) == "forbidden_takeover"
    assert "请联系大厅管理员签退该窗口" in (await resp.json())["error"]["message"]
    again = await sign_in(ruled, "clerk2", 2)  # the same clerk again (another browser): no takeover
    assert again.status == 200
    signed_out = await ruled.client.post("/api/windows/2/sign-out", headers=await ruled.manager())
    assert signed_out.status == 204
    assert (await sign_in(ruled, "clerk4", 2)).status == 200


# ------------------------------------------------------------ accounts in the database


def test_every_staff_role_can_be_added_and_disabled(tmp_path):
    db = open_database(tmp_path / "hall.db")
    for role in ("clerk", "reception", "manager", "admin"):
        accounts.add_user(db, f"user-{role}", role, PASSWORD, OPENING)
        assert accounts.find_user(db, f"user-{role}")[0] == role
    accounts.disable_user(db, "user-clerk", OPENING)
    assert accounts.find_user(db, "user-clerk") is None
    with pytest.raises(AccountError, match="disabled already"):
        accounts.disable_user(db, "user-clerk", OPENING)
    with pytest.raises(AccountError, match="at least 8"):
        accounts.set_password(db, "user-admin", "short", OPENING)
    with pytest.raises(AccountError, match='no user "ghost"'):
        accounts.set_password(db, "ghost", "long enough secret", OPENING)
    db.close()


def test_schema_v4_bumps_auth_version_with_every_revocation(tmp_path):
    # A database written by the previous release (schema v3), with a clerk signed in.
    db = connect(tmp_path / "hall.db")
    for step in MIGRATIONS[:3]:
        step(db)
    db.execute("PRAGMA user_version = 3")
    db.execute(
        "INSERT INTO users (login, role, password_hash, created_at, disabled) VALUES ('wang', 'clerk', 'x', '', 0)"
    )
    db.execute(
        "INSERT INTO sessions (token_hash, login, role, window, created_at, expires_at) "
        "VALUES ('h', 'wang', 'clerk', 1, ?, ?)",
        [OPENING.isoformat(), OPENING.replace(hour=21).isoformat()],
    )
    db.conn.commit()
    assert migrate(db) == 3
    assert {"window"} <= set(db["devices"].columns_dict)
    assert "rated_by" in db["ratings"].columns_dict and "last_seen_at" in db["sessions"].columns_dict
    [session] = accounts.live_sessions(db, OPENING)
    assert session.seen_at == OPENING  # no last_seen_at yet: counted from the sign-in
    versions = [accounts.auth_version(db)]
    token = accounts.add_device(db, "kiosk-1", "kiosk", OPENING)
    versions.append(accounts.auth_version(db))  # adding is not revoking
    accounts.revoke_device(db, "kiosk-1", OPENING)
    versions.append(accounts.auth_version(db))
    accounts.set_password(db, "wang", "a long new secret", OPENING)
    versions.append(accounts.auth_version(db))
    accounts.disable_user(db, "wang", OPENING)
    versions.append(accounts.auth_version(db))
    assert versions[0] == versions[1] < versions[2] < versions[3] < versions[4]
    assert accounts.find_device(db, accounts.token_hash(token)) is None
    assert accounts.live_sessions(db, OPENING) == []
    assert accounts.ended_among(db, ["h", "unknown"]) == {"h", "unknown"}
    db.close()


def test_demo_credentials_stay_in_their_file(tmp_path):
    config = load_hall_config()
    db = open_database(tmp_path / "hall.db")
    path, created = ensure_demo_accounts(db, config, tmp_path, OPENING)
    assert created and stat.S_IMODE(path.stat().st_mode) == 0o600
    creds = json.loads(path.read_text(encoding="utf-8"))
    assert {"kiosk_token", "display_token", "reception", "manager", "admin"} <= creds.keys()
    assert len(creds["clerks"]) == len(config.windows)
    assert set(creds["evaluator_tokens"]) == {str(n) for n in config.windows}
    for n, token in creds["evaluator_tokens"].items():
        tablet = accounts.find_device(db, accounts.token_hash(token))
        assert (tablet.role, tablet.window) == (Role.EVALUATOR, int(n))
    for role in ("reception", "manager", "admin"):
        assert accounts.find_user(db, creds[role]["login"])[0] == role
    assert ensure_demo_accounts(db, config, tmp_path, OPENING) == (path, False)
    db.close()
    text = describe(path, "http://127.0.0.1:8080", "hukou")
    assert str(path) in text
    secrets = [creds["kiosk_token"], creds["display_token"], *creds["evaluator_tokens"].values()]
    secrets += [creds[r]["password"] for r in ("reception", "manager", "admin")]
    secrets += [c["password"] for c in creds["clerks"]]
    assert not any(s in text for s in secrets)
