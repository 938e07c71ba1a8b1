"""短信提醒 end to end: a visitor leaves a number, the hall moves, reminders go out.

The server is the real app on 127.0.0.1; the SMS gateway is a real local HTTP receiver (an aiohttp
server on its own port) that checks every request's HMAC signature. The receiver goes down and
comes back, the server restarts in between, and every message still arrives exactly once. The
log sink is checked by its file's bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from queue_server.api import appkeys
from queue_server.api.app import init_app
from queue_server.config.hall_file import ConfigError, parse_hall_config
from queue_server.store.database import open_database

from .conftest import Hall, hall_data, provision
from .serverproc import free_port

KEY = b"test-hmac-key-0123456789"
PHONE = "13812345678"
MASKED = "138****5678"
HALL = "测试政务服务中心"


class Receiver:
    """A local SMS gateway: checks each request's signature and headers, keeps what it took."""

    def __init__(self, key: bytes = KEY) -> None:
        self.key, self.port = key, free_port()
        self.url = f"http://127.0.0.1:{self.port}/sms"
        self.taken: list[dict] = []
        self.requests = 0
        self.problems: list[str] = []  # bad signatures or headers: a test asserts there are none
        self.answers: list[int] = []  # statuses to answer next, in order (then 200)
        self._runner: web.AppRunner | None = None

    async def _take(self, request: web.Request) -> web.Response:
        self.requests += 1
        raw = await request.read()
        expected = "sha256=" + hmac.new(self.key, raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("X-Hallqueue-Signature", ""), expected):
            self.problems.append("signature")
            return web.Response(status=401)
        body = json.loads(raw)
        if request.headers.get("X-Hallqueue-Message-Id") != body["message_id"]:
            self.problems.append("message id header")
        if abs(int(request.headers.get("X-Hallqueue-Timestamp", "0")) - time.time()) > 60:
            self.problems.append("timestamp")
        if request.content_type != "application/json":
            self.problems.append("content type")
        if self.answers:
            return web.Response(status=self.answers.pop(0))
        self.taken.append(body)
        return web.json_response({"ok": True})

    async def up(self) -> None:
        app = web.Application()
        app.router.add_post("/sms", self._take)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def ids(self) -> Counter:
        return Counter(m["message_id"] for m in self.taken)


@pytest.fixture
async def receiver():
    r = Receiver()
    yield r
    await r.down()


def notify_data(receiver: Receiver | None = None, **notify) -> dict:
    """The test hall with 短信提醒: the log file, and the receiver as its gateway (fast retries)."""
    data = hall_data()
    data["windows"][0]["zone"] = "一楼A区"
    data["notify"] = {"log_file": "notify.log", **notify}
    if receiver is not None:
        data["notify"]["webhook"] = {
            "url": receiver.url,
            "secret_file": "sms.key",
            "timeout_seconds": 2,
            "backoff_seconds": 0.05,
            "backoff_max_seconds": 0.2,
        }
    return data


class NotifyHall(Hall):
    """A test hall with its config at hand, that can be stopped and started again on its database."""

    data = None  # the config, as a parsed TOML document
    factory = None  # aiohttp_client

    async def restart(self) -> None:
        """Stop the server (its cleanup runs) and start a new one on the same database; the staff's
        sessions are in the database and carry over."""
        await self.client.close()
        self.client = await self.factory(init_app(parse_hall_config(self.data), self.db_path, self.clock))


@pytest.fixture
def open_hall(aiohttp_client, tmp_path, clock):
    async def open_(data: dict) -> NotifyHall:
        db_path = tmp_path / "hall.db"
        kiosk, display = provision(db_path, [1, 2, 3, 4])
        (tmp_path / "sms.key").write_bytes(KEY + b"\n")  # a trailing newline, as editors leave it
        client = await aiohttp_client(init_app(parse_hall_config(data, "notify-hall.toml"), db_path, clock))
        hall = NotifyHall(client, db_path, clock, kiosk, display)
        hall.data, hall.factory = data, aiohttp_client
        return hall

    return open_


async def until(check, timeout: float = 10.0, what: str = "condition"):
    """Poll ``check`` (a function, or a coroutine function) until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def code_of(ticket: dict) -> str:
    return ticket["status_path"].rsplit("/", 1)[1]


async def leave(hall: Hall, ticket: dict, phone: str = PHONE):
    return await hall.client.post(f"/api/t/{code_of(ticket)}/sms", json={"phone": phone})


async def status(hall: Hall) -> dict:
    resp = await hall.client.get("/api/notifier", headers=await hall.manager())
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def sink(hall: Hall, name: str) -> dict:
    return next(s for s in (await status(hall))["sinks"] if s["name"] == name)


def log_lines(hall: Hall) -> list[dict]:
    path = hall.db_path.parent / "notify.log"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def rows(hall: Hall, sql: str, params=()) -> list[dict]:
    db = open_database(hall.db_path)
    try:
        return list(db.query(sql, params))
    finally:
        db.close()


async def call_next(hall: Hall, window: int = 1) -> dict:
    resp = await hall.client.post(f"/api/windows/{window}/call-next", headers=await hall.clerk(window))
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def act(hall: Hall, ticket: dict, action: str, window: int = 1) -> None:
    resp = await hall.client.post(f"/api/tickets/{ticket['id']}/{action}", headers=await hall.clerk(window))
    assert resp.status == 200, await resp.text()


# ------------------------------------------------------------------------------ a visit


async def test_a_visitor_gets_soon_then_every_call_by_webhook_and_in_the_log(open_hall, receiver):
    await receiver.up()
    hall = await open_hall(notify_data(receiver))
    tickets = [await hall.issue("hukou") for _ in range(5)]
    mine = tickets[4]  # A005: four ahead, one more than notify_ahead

    resp = await leave(hall, mine, "138 1234 5678")  # as people type it
    assert resp.status == 200
    assert await resp.json() == {"phone": MASKED, "notify_ahead": 3}
    assert hall.count("notify_messages") == 0  # four ahead: nothing yet

    first = await call_next(hall)  # A001 called: three ahead of A005 now
    await until(lambda: len(receiver.taken) == 1, what="快到您了")
    soon = receiver.taken[0]
    assert soon["kind"] == "soon" and soon["ticket"] == "A005" and soon["ahead"] == 3
    assert soon["text"] == f"【{HALL}】您的 A005 号前面还有 3 人，请回到大厅等候叫号。"
    assert soon["phone"] == PHONE and soon["hall"] == HALL and soon["business_day"] == "2026-11-25"

    await act(hall, first, "finish")
    for _ in range(3):  # A002..A004: fewer ahead each time, but 快到您了 was said already
        await act(hall, await call_next(hall), "finish")
    called = await call_next(hall)
    assert called["number"] == "A005"
    await act(hall, called, "recall")  # 重呼: said again
    await until(lambda: len(receiver.taken) == 3, what="两次叫号")
    assert [m["kind"] for m in receiver.taken] == ["soon", "called", "called"]
    for message in receiver.taken[1:]:
        assert message["text"] == f"【{HALL}】请 A005 号到 1 号窗口（一楼A区）办理。" and message["window"] == 1
    assert receiver.problems == [] and receiver.requests == 3
    assert set(receiver.ids().values()) == {1}

    # The log file: the same three messages, one JSON line each, the number masked.
    await until(lambda: len(log_lines(hall)) == 3, what="the log file")
    lines = log_lines(hall)
    assert [line["message_id"] for line in lines] == [m["message_id"] for m in receiver.taken]
    assert {line["phone"] for line in lines} == {MASKED}
    assert PHONE not in (hall.db_path.parent / "notify.log").read_text(encoding="utf-8")

    shown = await status(hall)
    assert shown["enabled"] and shown["phones_today"] == 1 and PHONE not in json.dumps(shown)
    for name in ("log", "webhook"):
        s = next(s for s in shown["sinks"] if s["name"] == name)
        assert (s["queued"], s["delivered_today"], s["failed_today"], s["stuck"]) == (0, 3, 0, False), s
    # Delivered everywhere: the outbox keeps only the masked number; the number left stays for the day.
    assert {(r["phone"], r["phone_masked"]) for r in rows(hall, "SELECT * FROM notify_messages")} == {(None, MASKED)}
    assert [r["phone"] for r in rows(hall, "SELECT phone FROM notify_phones")] == [PHONE]


async def test_a_number_left_close_to_the_front_hears_at_once_and_a_transfer_says_it_again(open_hall, receiver):
    await receiver.up()
    hall = await open_hall(notify_data(receiver))
    await hall.issue("hukou")
    mine = await hall.issue("hukou")
    assert (await leave(hall, mine)).status == 200
    await until(lambda: len(receiver.taken) == 1, what="快到您了 at once")
    assert receiver.taken[0]["text"] == f"【{HALL}】您的 A002 号前面还有 1 人，请回到大厅等候叫号。"

    # 转移 to another service: a new stretch of waiting, so 快到您了 again (nobody ahead there).
    moved = await hall.client.post(
        f"/api/tickets/{mine['id']}/transfer", json={"service": "tax"}, headers=await hall.reception()
    )
    assert moved.status == 200, await moved.text()
    await until(lambda: len(receiver.taken) == 2, what="快到您了 after the transfer")
    assert receiver.taken[1]["text"] == f"【{HALL}】您的 A002 号下一位就叫到您，请回到大厅等候叫号。"
    assert receiver.problems == []


# ------------------------------------------------------------------------------ a gateway that is down


async def test_webhook_receiver_down_then_up_again_every_message_delivered_once(open_hall, receiver):
    hall = await open_hall(notify_data(receiver))  # the receiver is not up yet
    tickets = [await hall.issue("hukou") for _ in range(4)]
    for n, ticket in enumerate(tickets[:3], 1):  # all close to the front: 快到您了 for each at once
        assert (await leave(hall, ticket, f"1391234567{n}")).status == 200
    await call_next(hall)  # and A001's call

    webhook = await until(
        lambda: _sink_where(hall, "webhook", lambda s: s["queued"] == 4 and s["failures_in_a_row"] >= 3),
        what="the webhook failing with 4 messages queued",
    )
    assert webhook["stuck"] and webhook["delivered_today"] == 0
    assert webhook["last_error"].startswith("无法连接短信网关") and webhook["failed_attempts_today"] >= 3
    # The log sink does not wait for the gateway.
    await until(lambda: len(log_lines(hall)) == 4, what="the log sink")

    await receiver.up()
    await until(lambda: len(receiver.taken) == 4, what="the queue flushed")
    assert [m["kind"] for m in receiver.taken] == ["soon", "soon", "soon", "called"]  # oldest first
    # A message made now comes after them: nothing of the backlog can still be on its way.
    await act(hall, {"id": tickets[0]["id"]}, "finish")
    await call_next(hall)  # A002, whose visitor left a number
    await until(lambda: len(receiver.taken) == 5, what="the call after the backlog")
    assert receiver.taken[4]["kind"] == "called" and receiver.taken[4]["ticket"] == "A002"
    assert set(receiver.ids().values()) == {1} and receiver.requests == 5 and receiver.problems == []

    webhook = await sink(hall, "webhook")
    assert (webhook["queued"], webhook["delivered_today"], webhook["stuck"], webhook["failures_in_a_row"]) == (
        0,
        5,
        False,
        0,
    )


async def _sink_where(hall: Hall, name: str, check) -> dict | None:
    s = await sink(hall, name)
    return s if check(s) else None


async def test_queued_messages_survive_a_restart_and_go_out_once_the_gateway_is_back(open_hall, receiver):
    hall = await open_hall(notify_data(receiver))
    first, second = await hall.issue("hukou"), await hall.issue("hukou")
    await leave(hall, first)
    await leave(hall, second, "13987654321")
    await until(
        lambda: _sink_where(hall, "webhook", lambda s: s["queued"] == 2 and s["failed_attempts_today"] >= 2),
        what="two messages queued, attempts failing",
    )
    await until(lambda: len(log_lines(hall)) == 2, what="the log sink")

    await hall.restart()  # the server stops with the messages still queued, and starts again
    await receiver.up()
    await until(lambda: len(receiver.taken) == 2, what="the queued messages after the restart")
    assert {m["phone"] for m in receiver.taken} == {PHONE, "13987654321"}
    # The numbers left are known to the new process too: the next call reaches the visitor.
    await call_next(hall)
    await until(lambda: len(receiver.taken) == 3, what="a call after the restart")
    assert receiver.taken[2]["kind"] == "called" and receiver.taken[2]["phone"] == PHONE
    assert set(receiver.ids().values()) == {1} and receiver.problems == []
    assert len(log_lines(hall)) == 3  # the log sink, once each as well


async def test_a_refused_message_is_given_up_and_a_failing_gateway_is_retried(open_hall, receiver):
    await receiver.up()
    receiver.answers = [422, 503, 503]  # this message refused; then the gateway fails twice
    hall = await open_hall(notify_data(receiver))
    first, second = await hall.issue("hukou"), await hall.issue("hukou")
    await leave(hall, first)
    await until(lambda: receiver.requests == 1, what="the refused attempt")
    await leave(hall, second, "13987654321")
    await until(lambda: len(receiver.taken) == 1, what="the second message, after two 503s")
    assert receiver.taken[0]["phone"] == "13987654321" and receiver.requests == 4
    webhook = await sink(hall, "webhook")
    assert (webhook["failed_today"], webhook["delivered_today"], webhook["failed_attempts_today"]) == (1, 1, 3)
    assert webhook["last_error"] == "短信网关暂时无法处理（状态码 503）"
    [refused] = rows(hall, "SELECT * FROM notify_deliveries WHERE sink = 'webhook' AND state = 'failed'")
    assert refused["last_error"] == "短信网关拒收这条消息（状态码 422）"


async def test_a_missing_signing_key_holds_the_messages_until_it_is_there(open_hall, receiver, tmp_path):
    await receiver.up()
    data = notify_data(receiver)
    data["notify"]["webhook"]["secret_file"] = "keys/sms.key"
    hall = await open_hall(data)
    await leave(hall, await hall.issue("hukou"))
    webhook = await until(
        lambda: _sink_where(hall, "webhook", lambda s: s["last_error"] is not None), what="the key error"
    )
    assert webhook["last_error"].startswith("签名密钥不可用") and webhook["queued"] == 1
    assert receiver.requests == 0  # nothing unsigned ever left
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "sms.key").write_bytes(KEY)
    await until(lambda: len(receiver.taken) == 1, what="delivery once the key is there")
    assert receiver.problems == []


# ------------------------------------------------------------------------------ numbers left by visitors


async def test_numbers_are_checked_and_a_ticket_that_is_over_takes_none(open_hall):
    hall = await open_hall(notify_data())
    ticket = await hall.issue("hukou")
    for typed in ("1381234", "12812345678", "0728-1234567", "138123456789"):
        resp = await leave(hall, ticket, typed)
        body = await resp.json()
        assert (resp.status, body["error"]["code"]) == (422, "invalid_phone"), typed
        assert body["error"]["message"] == "请填写正确的 11 位手机号码，如 13812345678"
    resp = await hall.client.post(f"/api/t/{code_of(ticket)}/sms", json={})
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_request"
    assert (await leave(hall, ticket, "+86 １３８-1234-5678")).status == 200  # full-width digits, +86

    resp = await hall.client.post("/api/t/nosuchcode/sms", json={"phone": PHONE})
    assert (resp.status, (await resp.json())["error"]["code"]) == (404, "unknown_ticket")
    await act(hall, await call_next(hall), "finish")
    resp = await leave(hall, ticket)
    body = await resp.json()
    assert (resp.status, body["error"]["code"]) == (409, "ticket_ended") and "已经结束" in body["error"]["message"]


async def test_a_withdrawn_number_is_erased_and_hears_nothing_more(open_hall):
    hall = await open_hall(notify_data())
    tickets = [await hall.issue("hukou") for _ in range(6)]
    withdrawn, kept = tickets[4], tickets[5]
    assert (await leave(hall, withdrawn)).status == 200
    assert (await leave(hall, kept, "13987654321")).status == 200
    resp = await hall.client.delete(f"/api/t/{code_of(withdrawn)}/sms")
    assert resp.status == 204
    assert [
        r["phone"] for r in rows(hall, "SELECT phone FROM notify_phones WHERE ticket_id = ?", [withdrawn["id"]])
    ] == [None]
    for _ in range(2):  # A005 would hear 快到您了 after the first call, A006 after the second
        await act(hall, await call_next(hall), "finish")
    await until(lambda: len(log_lines(hall)) == 1, what="A006's reminder")
    assert [line["ticket"] for line in log_lines(hall)] == ["A006"]
    assert (await status(hall))["phones_today"] == 1
    # Withdrawing again, or for a ticket that is over, is fine; an unknown code is not.
    assert (await hall.client.delete(f"/api/t/{code_of(withdrawn)}/sms")).status == 204
    assert (await hall.client.delete(f"/api/t/{code_of(tickets[0])}/sms")).status == 204
    assert (await hall.client.delete("/api/t/nosuchcode/sms")).status == 404


async def test_a_corrected_number_gets_what_the_wrong_one_was_sent_and_changes_are_limited(open_hall):
    hall = await open_hall(notify_data())
    ticket = await hall.issue("hukou")  # nobody ahead: 快到您了 at once
    assert (await leave(hall, ticket, "13900000001")).status == 200
    await until(lambda: len(log_lines(hall)) == 1, what="the first reminder")
    assert (await leave(hall, ticket, "13900000002")).status == 200
    await until(lambda: len(log_lines(hall)) == 2, what="the reminder to the corrected number")
    assert [line["phone"] for line in log_lines(hall)] == ["139****0001", "139****0002"]
    for n in (3, 4, 5):
        assert (await leave(hall, ticket, f"1390000000{n}")).status == 200
    resp = await leave(hall, ticket, "13900000006")
    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "phone_change_limit")


async def test_leaving_numbers_is_rate_limited_per_address(open_hall):
    hall = await open_hall(notify_data(signups_per_minute=2))
    ticket = await hall.issue("hukou")
    assert (await leave(hall, ticket)).status == 200
    assert (await hall.client.delete(f"/api/t/{code_of(ticket)}/sms")).status == 204
    resp = await leave(hall, ticket)
    body = await resp.json()
    assert (resp.status, body["error"]["code"]) == (429, "sms_rate_limited")
    assert int(resp.headers["Retry-After"]) > 0 and body["error"]["message"] == "操作过于频繁，请稍后再试"


async def test_a_hall_without_sinks_takes_no_numbers(hall):
    ticket = await hall.issue("hukou")
    resp = await leave(hall, ticket)
    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "sms_unavailable")
    assert await status(hall) == {
        "enabled": False,
        "business_day": "2026-11-25",
        "notify_ahead": 3,
        "keep_phone_days": 0,
        "phones_today": 0,
        "sinks": [],
    }


# ------------------------------------------------------------------------------ retention


async def test_numbers_are_erased_after_the_day_plus_keep_phone_days(open_hall, receiver):
    hall = await open_hall(notify_data(receiver, keep_phone_days=1))  # the gateway stays down
    engine = hall.client.app[appkeys.ENGINE]
    ticket = await hall.issue("hukou")
    await leave(hall, ticket)
    await until(lambda: len(log_lines(hall)) == 1, what="the log line")
    await until(
        lambda: _sink_where(hall, "webhook", lambda s: s["failed_attempts_today"] >= 1), what="a failed attempt"
    )

    def phones() -> list:
        return [r["phone"] for r in rows(hall, "SELECT phone FROM notify_phones")]

    def messages() -> list:
        return rows(
            hall,
            "SELECT m.phone, m.phone_masked, d.state FROM notify_deliveries d JOIN notify_messages m "
            "USING (message_id) WHERE d.sink = 'webhook'",
        )

    assert phones() == [PHONE] and messages() == [{"phone": PHONE, "phone_masked": MASKED, "state": "queued"}]

    # The next business day: the message never sent is dropped, the number is kept one more day.
    hall.clock.advance(days=1)
    await engine.submit(lambda ctx: None)
    await until(lambda: messages()[0]["state"] == "expired", what="the undelivered message expired")
    assert messages() == [{"phone": None, "phone_masked": MASKED, "state": "expired"}]
    assert phones() == [PHONE]
    hall.staff_tokens.clear()  # the manager signs in again on the new day
    assert (await sink(hall, "webhook"))["queued"] == 0

    hall.clock.advance(days=1)  # the day after: the number is erased
    await engine.submit(lambda ctx: None)
    await until(lambda: phones() == [None], what="the number erased")
    assert [r["phone_masked"] for r in rows(hall, "SELECT phone_masked FROM notify_phones")] == [MASKED]


async def test_a_server_started_on_a_later_day_erases_old_numbers_before_it_serves(open_hall):
    hall = await open_hall(notify_data())
    await leave(hall, await hall.issue("hukou"))
    await until(lambda: len(log_lines(hall)) == 1, what="the reminder logged")
    await hall.client.close()
    hall.clock.now += timedelta(days=1)
    db = open_database(hall.db_path)
    assert [r[0] for r in db.execute("SELECT phone FROM notify_phones")] == [PHONE]
    db.close()
    await hall.restart()
    assert [r["phone"] for r in rows(hall, "SELECT phone FROM notify_phones")] == [None]
    assert [r["phone"] for r in rows(hall, "SELECT phone FROM notify_messages")] == [None]


# ------------------------------------------------------------------------------ config


def test_notify_config_is_checked_with_the_file_and_key():
    data = notify_data()
    data["notify"]["webhook"] = {"url": "http://127.0.0.1:9/sms"}
    with pytest.raises(ConfigError) as err:
        parse_hall_config(data, "hall.toml")
    assert err.value.problems == ["notify.webhook: name the HMAC key's secret_file or its secret_env (one of the two)"]
    data["notify"]["webhook"] = {"url": "ftp://x", "secret_env": "SMS_KEY", "retries": 3}
    with pytest.raises(ConfigError) as err:
        parse_hall_config(data, "hall.toml")
    assert "notify.webhook.retries: unknown key (check its spelling)" in err.value.problems
    assert any(p.startswith("notify.webhook.url:") for p in err.value.problems)
    config = parse_hall_config(notify_data(keep_phone_days=7), "hall.toml")
    assert config.notify.enabled and config.notify.keep_phone_days == 7 and config.notify.webhook is None
    assert not parse_hall_config(hall_data(), "hall.toml").notify.enabled


def test_mobile_numbers_are_read_as_people_type_them_and_the_texts_read_right():
    from queue_server.core.notify import called_text, mainland_mobile, soon_text

    for typed in ("13812345678", "138 1234 5678", "138-1234-5678", "+86 13812345678", "0086 138 1234 5678"):
        assert mainland_mobile(typed) == PHONE, typed
    for typed in ("1381234567", "12812345678", "0728-12345678", "138123456789", "١٣٨١٢٣٤٥٦٧٨", ""):
        assert mainland_mobile(typed) is None, typed
    assert soon_text("某中心", "A012", 2) == "【某中心】您的 A012 号前面还有 2 人，请回到大厅等候叫号。"
    assert called_text("某中心", "A012", 3, "B区") == "【某中心】请 A012 号到 3 号窗口（B区）办理。"
    assert called_text("某中心", "A012", 3) == "【某中心】请 A012 号到 3 号窗口办理。"


async def test_a_hall_that_sends_from_its_log_file_may_log_the_whole_number(open_hall):
    hall = await open_hall(notify_data(log_full_phone=True))
    await leave(hall, await hall.issue("hukou"))
    [line] = await until(lambda: log_lines(hall), what="the log line")
    assert line["phone"] == PHONE and line["kind"] == "soon" and line["at"] == "2026-11-25T09:00:00+08:00"


def test_the_sample_hall_logs_reminders_to_a_file(tmp_path: Path):
    from queue_server.config import load_hall_config

    notify = load_hall_config().notify
    assert notify.log_file == "notify.log" and not notify.log_full_phone and notify.webhook is None


# ------------------------------------------------------------------------------ /admin


async def test_admin_shows_the_reminders_and_flags_them_when_stuck(open_hall, receiver):
    from .browser import chromium
    from .conftest import ARTIFACTS, PASSWORD

    hall = await open_hall(notify_data(receiver))
    for ticket in [await hall.issue("hukou") for _ in range(2)]:
        await leave(hall, ticket)
    await until(
        lambda: _sink_where(hall, "webhook", lambda s: s["stuck"]), what="the webhook stuck while the gateway is down"
    )
    url = str(hall.client.make_url("")).rstrip("/")
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await page.goto(url + "/admin")
        await page.fill("#login-name", "manager")
        await page.fill("#login-password", PASSWORD)
        await page.click("#login button[type=submit]")
        await page.wait_for_selector("#notify-card.stuck [data-sink=webhook].stuck")
        webhook = await page.text_content("[data-sink=webhook]")
        assert "短信网关" in webhook and "积压" in webhook and "待发送2 条" in webhook
        assert "无法连接短信网关" in webhook
        assert "正常" in await page.text_content("[data-sink=log]")
        alert = page.locator("#alerts .alert.urgent", has_text="短信提醒积压")
        assert "短信网关有 2 条未发出" in await alert.text_content()
        card = await page.inner_text("#notify-card")
        assert re.findall(r"[A-Za-z]{2,}", card) == [], card  # Chinese only (the address is in a tooltip)
        assert PHONE not in await page.content()
        await page.screenshot(path=str(ARTIFACTS / "admin-notify-stuck.png"), full_page=True)

        await receiver.up()
        await until(lambda: len(receiver.taken) == 2, what="the backlog delivered")
        await hall.issue("hukou")  # an event: the page refreshes
        await page.wait_for_selector("#notify-card:not(.stuck) [data-sink=webhook].ok")
        assert "今日已送达2 条" in await page.text_content("[data-sink=webhook]")
        assert await page.locator("#alerts .alert", has_text="短信提醒积压").count() == 0
