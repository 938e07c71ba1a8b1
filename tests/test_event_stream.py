"""The event stream's two faces and its limits: what the public stream shows (and keeps out), the
full stream for staff and devices, catch-up by seq, and the caps on open sockets (2,000 of them
against the real app)."""

from __future__ import annotations

import asyncio
import json
import logging
import resource

import aiohttp
import pytest

from queue_server.api import appkeys, events
from queue_server.api.app import init_app
from queue_server.api.appkeys import EVENT_SOCKETS
from queue_server.config.hall_file import parse_hall_config
from queue_server.runtime.hub import Hub
from queue_server.store import accounts
from queue_server.store.database import open_database

from .conftest import OPENING, hall_data, provision

WS_HEADERS = {  # a WebSocket handshake by hand, to read the JSON of a refusal
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}
PRIVATE_KINDS = {"rated", "rating_requested", "followup_opened", "followup_closed", "device_fault"}


async def receive(ws, timeout: float = 5.0) -> dict:
    msg = await asyncio.wait_for(ws.receive(), timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def until_kind(ws, kind: str, timeout: float = 5.0) -> list[dict]:
    """Every message up to and including the first event of ``kind``."""
    got = []
    while not got or got[-1].get("kind") != kind:
        got.append(await receive(ws, timeout))
    return got


def add_evaluator(db_path, window: int) -> str:
    db = open_database(db_path)
    try:
        return accounts.add_device(db, f"tablet-{window}", "evaluator", OPENING, window=window)
    finally:
        db.close()


async def busy_morning(hall) -> None:
    """An elderly visitor served at window 1 and rated low (a follow-up opens), a kiosk's
    printer runs out of paper, and the manager changes the notices (the last event)."""
    evaluator = {"Authorization": f"Bearer {add_evaluator(hall.db_path, 1)}"}
    h1 = await hall.clerk(1)
    ticket = await hall.issue("hukou", priority="elderly")
    resp = await hall.client.post("/api/windows/1/call-next", headers=h1)
    assert resp.status == 200, await resp.text()
    for action in ("start", "finish"):
        resp = await hall.client.post(f"/api/tickets/{ticket['id']}/{action}", headers=h1)
        assert resp.status == 200, await resp.text()
    resp = await hall.client.post(
        "/api/windows/1/rating", json={"level": 1, "reasons": ["服务态度"]}, headers=evaluator
    )
    assert resp.status == 201, await resp.text()
    resp = await hall.client.post(
        "/api/devices/faults",
        json={"component": "printer", "state": "paper_out", "message": "打印机缺纸"},
        headers=hall.kiosk(),
    )
    assert resp.status in (200, 204), await resp.text()
    admin = {"Authorization": f"Bearer {await hall.login('admin')}"}
    resp = await hall.client.put("/api/notices", json={"notices": ["今日系统升级"]}, headers=admin)
    assert resp.status == 200, await resp.text()


def assert_public(messages: list[dict]) -> None:
    kinds = [m.get("kind") for m in messages if m["type"] == "event"]
    assert {"window_opened", "issued", "called", "started", "finished", "notices_changed"} <= set(kinds)
    assert not PRIVATE_KINDS & set(kinds)
    text = json.dumps(messages, ensure_ascii=False)
    for secret in ('"priority"', "elderly", "clerk1", "kiosk-1", "tablet-1", "打印机缺纸", "服务态度"):
        assert secret not in text, secret
    issued = next(m for m in messages if m.get("kind") == "issued")
    assert set(issued["ticket"]) == {"number", "service", "status", "window", "call_count"}
    assert issued["waiting"] == {"hukou": 1} and "hukou" in issued["estimates"]
    called = next(m for m in messages if m.get("kind") == "called")
    assert called["window"] == 1 and called["window_ticket"] == issued["ticket"]["number"]
    assert called["window_status"] == "open"
    assert messages[-1]["notices"] == ["今日系统升级"]


async def test_public_stream_shows_what_the_state_shows_and_no_more(hall):
    full_headers = {"Authorization": f"Bearer {hall.display_token}"}
    async with (
        hall.client.ws_connect("/api/events") as public,
        hall.client.ws_connect("/api/events", headers=full_headers) as full,
    ):
        snapshot = await receive(public)
        assert snapshot["type"] == "snapshot" and (await receive(full))["type"] == "snapshot"
        await busy_morning(hall)
        seen = await until_kind(public, "notices_changed")
        everything = await until_kind(full, "notices_changed")
    assert_public(seen)
    seqs = [m["seq"] for m in seen]
    assert seqs == sorted(seqs) and seqs[0] > snapshot["seq"]
    kinds = [m["kind"] for m in everything]
    assert {"rated", "followup_opened", "device_fault"} <= set(kinds)
    assert len(everything) > len(seen)
    assert next(m for m in everything if m["kind"] == "issued")["ticket"]["priority"] == "elderly"
    assert next(m for m in everything if m["kind"] == "device_fault")["message"] == "打印机缺纸"
    assert "clerk1" not in json.dumps(everything, ensure_ascii=False)  # actors stay out of both


async def test_resuming_a_public_stream_gets_only_public_events(hall):
    async with hall.client.ws_connect("/api/events") as ws:
        last = (await receive(ws))["seq"]
    await busy_morning(hall)
    async with hall.client.ws_connect(f"/api/events?since={last}") as ws:
        resumed = await receive(ws)
        assert resumed["type"] == "resumed" and resumed["since"] == last
        missed = await until_kind(ws, "notices_changed")
    assert_public(missed)
    assert missed[-1]["seq"] == resumed["seq"]  # the notices were the last event
    headers = {"Authorization": f"Bearer {hall.display_token}"}
    async with hall.client.ws_connect(f"/api/events?since={last}", headers=headers) as ws:
        resumed = await receive(ws)
        missed = [await receive(ws) for _ in range(resumed["seq"] - last)]
    assert [m["seq"] for m in missed] == list(range(last + 1, resumed["seq"] + 1))  # every event
    assert {"rated", "device_fault"} <= {m["kind"] for m in missed}


async def test_a_browser_token_rides_as_a_subprotocol_and_is_never_echoed(hall, caplog):
    protocols = ("hallqueue", f"bearer.{hall.display_token}")
    async with hall.client.ws_connect("/api/events", protocols=protocols) as ws:
        assert ws.protocol == "hallqueue"
        assert ws._response.headers["Sec-WebSocket-Protocol"] == "hallqueue"
        await receive(ws)
        resp = await hall.client.post(
            "/api/devices/faults", json={"component": "printer", "state": "paper_low"}, headers=hall.kiosk()
        )
        assert resp.status in (200, 204)
        assert (await receive(ws))["kind"] == "device_fault"  # the full stream
    # Offering the token without "hallqueue" is refused before aiohttp could log the offer.
    caplog.set_level(logging.DEBUG)
    resp = await hall.client.get(
        "/api/events", headers={**WS_HEADERS, "Sec-WebSocket-Protocol": f"bearer.{hall.display_token}"}
    )
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_request"
    resp = await hall.client.get(
        "/api/events", headers={**WS_HEADERS, "Sec-WebSocket-Protocol": "hallqueue, bearer.nope"}
    )
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "unauthorized"
    assert hall.display_token not in caplog.text


@pytest.mark.parametrize("since", ["%C2%B2", "１", "-1", "1234567890123", "1e3", ""])
async def test_a_bad_since_is_a_400_before_the_handshake(hall, since):
    resp = await hall.client.get(f"/api/events?since={since}", headers=WS_HEADERS)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_request"
    assert resp.headers["Content-Type"].startswith("application/json")


async def test_since_older_than_the_hub_keeps_gets_a_snapshot(aiohttp_client, tmp_path, hall_config, clock):
    db_path = tmp_path / "hall.db"
    kiosk, _ = provision(db_path, [])
    app = init_app(hall_config, db_path, clock)
    app[appkeys.HUB] = Hub(kept=5)  # the same bound as RECENT_EVENTS_KEPT, made small
    client = await aiohttp_client(app)
    for _ in range(8):
        resp = await client.post(
            "/api/tickets", json={"service": "hukou"}, headers={"Authorization": f"Bearer {kiosk}"}
        )
        assert resp.status == 201
    async with client.ws_connect("/api/events?since=0") as ws:
        first = await receive(ws)
        assert first["type"] == "snapshot" and first["seq"] == 8  # not a replay of the day
    async with client.ws_connect("/api/events?since=4") as ws:
        assert (await receive(ws))["type"] == "resumed"
        assert [(await receive(ws))["seq"] for _ in range(4)] == [5, 6, 7, 8]
    async with client.ws_connect("/api/events?since=999999") as ws:  # another database's seq
        assert (await receive(ws))["type"] == "snapshot"


async def test_a_socket_that_stops_answering_pings_is_closed(hall, monkeypatch):
    monkeypatch.setattr(events, "HEARTBEAT_S", 0.4)
    gate = hall.client.app[EVENT_SOCKETS]
    ws = await hall.client.ws_connect("/api/events", autoping=False)
    try:
        await receive(ws)
        assert gate.open == 1
        # Never answering the server's pings: it gives up after a ping and half a period.
        while (msg := await asyncio.wait_for(ws.receive(), 5)).type == aiohttp.WSMsgType.PING:
            pass
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        await wait_for(lambda: gate.open == 0)
    finally:
        await ws.close()


# ---------------------------------------------------------------- caps, with 2,000 sockets

TOTAL, PER_ADDRESS = 2000, 500


def raise_nofile(needed: int) -> None:
    """Raise this process's soft fd limit to the hard one: the test holds both ends of every socket."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < needed:
        pytest.skip(f"needs {needed} open files, the hard limit is {hard}")


async def wait_for(condition, timeout: float = 10.0) -> None:
    """Wait until ``condition()`` holds (the server's side of a close lands a little later)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def open_many(session: aiohttp.ClientSession, url: str, n: int) -> list:
    """``n`` sockets from one session (one source address), each past its snapshot."""

    async def one():
        ws = await session.ws_connect(url)
        assert (await receive(ws, 30))["type"] == "snapshot"
        return ws

    sockets = []
    for start in range(0, n, 100):
        sockets += await asyncio.gather(*(one() for _ in range(min(100, n - start))))
    return sockets


async def refusal(session: aiohttp.ClientSession, url: str) -> tuple[aiohttp.ClientResponse, dict]:
    async with session.get(url, headers=WS_HEADERS) as resp:
        return resp, await resp.json()


@pytest.fixture
async def capped_hall(aiohttp_client, tmp_path, clock):
    data = hall_data()
    data["limits"] = {"event_sockets": TOTAL, "event_sockets_per_address": PER_ADDRESS}
    config = parse_hall_config(data, "capped-hall.toml")
    db_path = tmp_path / "hall.db"
    kiosk, _ = provision(db_path, config.windows)
    client = await aiohttp_client(init_app(config, db_path, clock))
    return client, {"Authorization": f"Bearer {kiosk}"}


async def test_two_thousand_sockets_then_the_caps_refuse_and_tickets_still_flow(capped_hall):
    raise_nofile(2 * TOTAL + 500)
    client, kiosk = capped_hall
    gate = client.app[EVENT_SOCKETS]
    http_url = str(client.make_url("/api/events"))
    ws_url = http_url.replace("http", "ws", 1)
    # Five addresses: four fill the hall's cap, 500 each (a guest Wi-Fi NAT each), the fifth is new.
    sessions = [
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, local_addr=(f"127.0.0.{n}", 0)))
        for n in range(2, 7)
    ]
    sockets = []
    try:
        sockets += await open_many(sessions[0], ws_url, PER_ADDRESS)
        resp, body = await refusal(sessions[0], http_url)  # the 501st from one address
        assert resp.status == 503 and body["error"]["code"] == "too_many_connections"
        assert body["error"]["details"]["scope"] == "address" and int(resp.headers["Retry-After"]) > 0
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await sessions[0].ws_connect(ws_url)
        assert refused.value.status == 503

        for session in sessions[1:4]:
            sockets += await open_many(session, ws_url, PER_ADDRESS)
        assert gate.open == TOTAL == len(sockets)
        resp, body = await refusal(sessions[4], http_url)  # a new address, but the hall is full
        assert resp.status == 503 and body["error"]["code"] == "too_many_connections"
        assert body["error"]["details"]["scope"] == "total"

        # The kiosk still issues tickets, and all 2,000 screens hear of it.
        resp = await client.post("/api/tickets", json={"service": "hukou"}, headers=kiosk)
        assert resp.status == 201, await resp.text()
        number = (await resp.json())["number"]
        heard = await asyncio.gather(*(receive(ws, 30) for ws in sockets))
        assert all(m["kind"] == "issued" and m["ticket"]["number"] == number for m in heard)

        # A socket that closes frees its place.
        await sockets.pop().close()
        await wait_for(lambda: gate.open == TOTAL - 1)
        sockets.append(await sessions[4].ws_connect(ws_url))
        assert (await receive(sockets[-1]))["type"] == "snapshot"
    finally:
        for ws in sockets:
            await ws.close()
        for session in sessions:
            await session.close()
    await wait_for(lambda: gate.open == 0)
    assert gate.by_address == {}


async def test_the_per_address_cap_counts_each_address_alone(aiohttp_client, tmp_path, clock):
    data = hall_data()
    data["limits"] = {"event_sockets": 10, "event_sockets_per_address": 3}
    client = await aiohttp_client(init_app(parse_hall_config(data, "t.toml"), tmp_path / "hall.db", clock))
    ws_url = str(client.make_url("/api/events")).replace("http", "ws", 1)
    sessions = [
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, local_addr=(f"127.0.0.{n}", 0))) for n in (2, 3)
    ]
    try:
        mine = await open_many(sessions[0], ws_url, 3)
        theirs = await open_many(sessions[1], ws_url, 3)  # another address is not held back
        for session in sessions:
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await session.ws_connect(ws_url)
        assert client.app[EVENT_SOCKETS].by_address == {"127.0.0.2": 3, "127.0.0.3": 3}
        for ws in mine + theirs:
            await ws.close()
    finally:
        for session in sessions:
            await session.close()


def test_the_kept_window_is_bounded():
    hub = Hub()
    assert hub._recent.maxlen is not None and hub._recent.maxlen <= 10_000
