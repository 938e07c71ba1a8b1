"""Sessions end when they should, and stay ended: idle and absolute expiry enforced from the
database (also across a restart), revocation seen by a running server on the very next request,
and failed sign-ins throttled per login and per address."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest

from queue_server.api import appkeys
from queue_server.api.app import init_app
from queue_server.api.auth import LoginThrottle
from queue_server.api.errors import ApiError
from queue_server.store import accounts

from .conftest import OPENING, PASSWORD, Hall
from .serverproc import hallqueue
from .test_api import error_of


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def restart(hall: Hall, aiohttp_client, hall_config, guides) -> None:
    """Stop the hall's server and start a new one on the same database (same clock)."""
    await hall.client.close()
    hall.client = await aiohttp_client(init_app(hall_config, hall.db_path, hall.clock, guides))


async def console(hall: Hall, token: str):
    """A clerk's request at window 1 (the clerk console's queue)."""
    return await hall.client.get("/api/windows/1/queue", headers=bearer(token))


def session_row(hall: Hall, token: str) -> dict:
    db = hall.db()
    try:
        return next(db.query("SELECT * FROM sessions WHERE token_hash = ?", [accounts.token_hash(token)]))
    finally:
        db.close()


async def settle(hall: Hall) -> None:
    """Wait for the server's background session writes (last_seen_at)."""
    await hall.client.app[appkeys.AUTH].settle()


# ------------------------------------------------------------ idle and absolute expiry


async def test_an_idle_session_is_ended_in_the_database_and_stays_ended(hall, aiohttp_client, hall_config, guides):
    token = await hall.login("clerk1", 1)
    assert (await console(hall, token)).status == 200
    hall.clock.advance(minutes=31)  # session_idle_minutes defaults to 30
    resp = await console(hall, token)
    assert await error_of(resp, 401) == "token_expired"
    assert "长时间未操作" in (await resp.json())["error"]["message"]
    assert session_row(hall, token)["ended_at"] is not None
    # The bug: one request later the session came back from its row. Not any more.
    assert await error_of(await console(hall, token), 401) == "token_expired"
    await restart(hall, aiohttp_client, hall_config, guides)
    assert await error_of(await console(hall, token), 401) == "token_expired"


async def test_a_session_idle_while_the_server_was_down_is_not_revived(hall, aiohttp_client, hall_config, guides):
    token = await hall.login("clerk1", 1)
    await hall.client.close()
    hall.clock.advance(minutes=31)
    hall.client = await aiohttp_client(init_app(hall_config, hall.db_path, hall.clock, guides))
    assert await error_of(await console(hall, token), 401) == "token_expired"
    await settle(hall)
    assert session_row(hall, token)["ended_at"] is not None
    assert (await hall.client.post("/api/login", json={"login": "clerk2", "password": PASSWORD, "window": 1})).ok


async def test_last_seen_is_written_at_most_once_a_minute_and_counts_after_a_restart(
    hall, aiohttp_client, hall_config, guides
):
    token = await hall.login("clerk1", 1)
    assert datetime.fromisoformat(session_row(hall, token)["last_seen_at"]) == OPENING
    hall.clock.advance(minutes=10)
    assert (await console(hall, token)).status == 200
    await settle(hall)
    seen = OPENING + timedelta(minutes=10)
    assert datetime.fromisoformat(session_row(hall, token)["last_seen_at"]) == seen
    hall.clock.advance(seconds=30)
    assert (await console(hall, token)).status == 200
    await settle(hall)
    assert datetime.fromisoformat(session_row(hall, token)["last_seen_at"]) == seen  # not yet a minute
    # 29.5 minutes after the last written request: still alive after a restart...
    await restart(hall, aiohttp_client, hall_config, guides)
    hall.clock.advance(minutes=29)
    assert (await console(hall, token)).status == 200
    # ...and 31 minutes after the next one, over.
    hall.clock.advance(minutes=31)
    assert await error_of(await console(hall, token), 401) == "token_expired"


async def test_a_session_ends_after_its_hours_however_busy(hall, aiohttp_client, hall_config, guides):
    token = await hall.login("clerk1", 1)
    for _ in range(35):  # a request every 20 minutes: never idle
        hall.clock.advance(minutes=20)
        assert (await console(hall, token)).status == 200
    hall.clock.advance(minutes=20, seconds=1)  # session_hours defaults to 12
    resp = await console(hall, token)
    assert await error_of(resp, 401) == "token_expired"
    assert "登录已过期" in (await resp.json())["error"]["message"]
    await restart(hall, aiohttp_client, hall_config, guides)
    assert await error_of(await console(hall, token), 401) == "token_expired"


# ------------------------------------------------------------ revocation without a restart


async def test_a_revoked_device_is_refused_on_its_next_request(hall):
    await hall.issue("hukou")
    rating = await hall.client.get("/api/windows/1/rating", headers=hall.evaluator(1))
    assert rating.status == 204
    result = hallqueue(hall.db_path, "device", "revoke", "kiosk-1")
    assert result.returncode == 0, result.stderr
    assert "revoked kiosk-1" in result.stdout
    resp = await hall.client.post("/api/tickets", json={"service": "hukou"}, headers=hall.kiosk())
    assert await error_of(resp, 401) == "unauthorized"
    # Other devices carry on; then the tablet is revoked too, by the library this time.
    assert (await hall.client.get("/api/windows/1/rating", headers=hall.evaluator(1))).status == 204
    db = hall.db()
    accounts.revoke_device(db, "evaluator-1", OPENING)
    db.close()
    assert await error_of(await hall.client.get("/api/windows/1/rating", headers=hall.evaluator(1)), 401) == (
        "unauthorized"
    )


async def test_a_disabled_users_live_session_is_refused_on_its_next_request(hall):
    token = await hall.login("clerk1", 1)
    other = await hall.clerk(2)
    assert (await console(hall, token)).status == 200
    result = hallqueue(hall.db_path, "user", "disable", "clerk1")
    assert result.returncode == 0, result.stderr
    assert "ended 1 session(s)" in result.stdout
    assert await error_of(await console(hall, token), 401) == "token_expired"
    assert session_row(hall, token)["ended_at"] is not None
    resp = await hall.client.post("/api/login", json={"login": "clerk1", "password": PASSWORD, "window": 1})
    assert await error_of(resp, 401) == "invalid_credentials"
    assert (await hall.client.get("/api/windows/2/queue", headers=other)).status == 200
    # The window clerk1 held is free for someone else, without a takeover.
    assert (await hall.client.post("/api/login", json={"login": "clerk3", "password": PASSWORD, "window": 1})).ok


async def test_a_password_change_ends_the_sessions_at_once(hall):
    token = await hall.login("manager")
    assert (await hall.client.get("/api/admin/overview", headers=bearer(token))).status == 200
    result = hallqueue(hall.db_path, "user", "password", "manager", stdin="a brand new secret\n")
    assert result.returncode == 0, result.stderr
    resp = await hall.client.get("/api/admin/overview", headers=bearer(token))
    assert await error_of(resp, 401) == "token_expired"
    resp = await hall.client.post("/api/login", json={"login": "manager", "password": PASSWORD})
    assert await error_of(resp, 401) == "invalid_credentials"
    assert (await hall.client.post("/api/login", json={"login": "manager", "password": "a brand new secret"})).ok


async def test_a_manager_signing_a_window_out_ends_the_clerks_session(hall):
    token = await hall.login("clerk1", 1)
    resp = await hall.client.post("/api/windows/1/sign-out", headers=await hall.manager())
    assert resp.status == 204
    assert await error_of(await console(hall, token), 401) == "token_expired"
    assert session_row(hall, token)["ended_at"] is not None


# ------------------------------------------------------------ throttled sign-in


async def login_as(hall: Hall, login: str, password: str, window: int | None = None):
    body = {"login": login, "password": password} | ({"window": window} if window else {})
    return await hall.client.post("/api/login", json=body)


async def test_failed_sign_ins_back_off_per_login(hall, caplog):
    caplog.set_level(logging.WARNING, logger="hallqueue.auth")
    for i in range(5):
        assert await error_of(await login_as(hall, "clerk1", f"guess number {i}", 1), 401) == "invalid_credentials"
    # The sixth is refused before its password is looked at: even the right one.
    resp = await login_as(hall, "clerk1", PASSWORD, 1)
    assert await error_of(resp, 429) == "too_many_attempts"
    retry = int(resp.headers["Retry-After"])
    assert 0 < retry <= 900
    failures = [r for r in caplog.records if r.name == "hallqueue.auth"]
    assert len(failures) == 6 and all(r.levelno == logging.WARNING for r in failures)
    for record in failures:
        assert "clerk1" in record.getMessage() and "127.0.0.1" in record.getMessage()
    assert not any("guess number" in r.getMessage() or PASSWORD in r.getMessage() for r in caplog.records)
    hall.clock.advance(seconds=retry)
    assert (await login_as(hall, "clerk1", PASSWORD, 1)).status == 200


async def test_failed_sign_ins_back_off_per_address(hall):
    for i in range(5):
        assert await error_of(await login_as(hall, f"nobody{i}", "wrong password"), 401) == "invalid_credentials"
    resp = await login_as(hall, "admin", PASSWORD)
    assert await error_of(resp, 429) == "too_many_attempts"
    assert int(resp.headers["Retry-After"]) > 0


async def test_a_success_does_not_erase_the_addresss_other_failures(hall):
    for _ in range(4):
        await error_of(await login_as(hall, "nobody", "wrong password"), 401)
    assert (await login_as(hall, "admin", PASSWORD)).status == 200  # resets admin's count only
    assert await error_of(await login_as(hall, "manager", "wrong password"), 401) == "invalid_credentials"
    assert await error_of(await login_as(hall, "manager", PASSWORD), 429) == "too_many_attempts"


def test_the_throttle_counts_each_login_and_each_address():
    now = [0.0]
    throttle = LoginThrottle(3, 60, lambda: now[0])
    for _ in range(2):
        throttle.failed("wang", "10.0.0.1")
    throttle.check("wang", "10.0.0.2")
    throttle.succeeded("wang")  # wang signs in from elsewhere: his count restarts
    for address in ("10.0.0.3", "10.0.0.3", "10.0.0.4"):
        throttle.check("wang", address)
        throttle.failed("wang", address)
    now[0] = 10.0
    with pytest.raises(ApiError) as login_over:
        throttle.check("wang", "10.0.0.5")
    assert login_over.value.code == "too_many_attempts" and login_over.value.headers == {"Retry-After": "50"}
    throttle.failed("li", "10.0.0.1")  # 10.0.0.1's third failure
    with pytest.raises(ApiError) as address_over:
        throttle.check("zhao", "10.0.0.1")
    assert address_over.value.status == 429
    now[0] = 60.0  # the first failures leave the window
    throttle.check("zhao", "10.0.0.1")


async def test_many_clerks_behind_one_address_sign_in_at_once(hall):
    """Only failures count: a hall's clerks behind one NAT address all sign in at 8:30."""
    await error_of(await login_as(hall, "nobody", "wrong password"), 401)
    logins = [login_as(hall, f"clerk{n}", PASSWORD, n) for n in (1, 2, 3, 4)]
    logins += [login_as(hall, who, PASSWORD) for who in ("reception", "manager", "admin")]
    assert [r.status for r in await asyncio.gather(*logins)] == [200] * 7


@pytest.mark.parametrize("login", ["reception", "manager", "admin"])
async def test_staff_without_a_window_sign_in_without_one(hall, login):
    resp = await login_as(hall, login, PASSWORD)
    body = await resp.json()
    assert resp.status == 200 and body["role"] == login and body["window"] is None
    resp = await login_as(hall, login, PASSWORD, window=1)
    assert await error_of(resp, 400) == "invalid_request"
    assert "不需要窗口" in (await resp.json())["error"]["message"]
