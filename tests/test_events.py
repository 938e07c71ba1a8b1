"""The WebSocket event stream: snapshot on connect, every change in order, catch-up by seq."""

from __future__ import annotations

import asyncio
import json


async def receive(ws, timeout: float = 5.0) -> dict:
    msg = await asyncio.wait_for(ws.receive(), timeout)
    return json.loads(msg.data)


async def test_snapshot_then_events_in_order(hall):
    async with hall.client.ws_connect("/api/events") as ws:
        snapshot = await receive(ws)
        assert snapshot["type"] == "snapshot" and snapshot["seq"] >= 0
        assert {w["number"] for w in snapshot["windows"]} == {1, 2, 3, 4}
        h1 = await hall.clerk(1)
        t = await hall.issue("hukou")
        await hall.client.post("/api/windows/1/call-next", headers=h1)
        messages = [await receive(ws) for _ in range(3)]
        assert [m["kind"] for m in messages] == ["window_opened", "issued", "called"]
        seqs = [m["seq"] for m in messages]
        assert seqs == list(range(snapshot["seq"] + 1, snapshot["seq"] + 4))
        called = messages[2]
        assert called["ticket"]["number"] == t["number"] and called["window"] == 1
        assert called["waiting"] == {"hukou": 0}
        assert "clerk1" not in json.dumps(messages, ensure_ascii=False)


async def test_reconnect_with_since_gets_what_was_missed(hall):
    h1 = await hall.clerk(1)
    async with hall.client.ws_connect("/api/events") as ws:
        last = (await receive(ws))["seq"]
    await hall.issue("hukou")
    await hall.client.post("/api/windows/1/call-next", headers=h1)
    async with hall.client.ws_connect(f"/api/events?since={last}") as ws:
        first = await receive(ws)
        assert first["type"] == "resumed" and first["since"] == last
        missed = [await receive(ws) for _ in range(first["seq"] - last)]
        assert [m["kind"] for m in missed] == ["issued", "called"]
        await hall.issue("idcard")
        assert (await receive(ws))["kind"] == "issued"


async def test_bad_since_is_a_clear_error(hall):
    resp = await hall.client.get("/api/events?since=yesterday")
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_request"


async def test_many_subscribers_all_get_every_event(hall):
    sockets = [await hall.client.ws_connect("/api/events") for _ in range(20)]
    try:
        for ws in sockets:
            assert (await receive(ws))["type"] == "snapshot"
        numbers = [(await hall.issue("hukou"))["number"] for _ in range(5)]
        for ws in sockets:
            got = [(await receive(ws))["ticket"]["number"] for _ in range(5)]
            assert got == numbers
    finally:
        for ws in sockets:
            await ws.close()


async def test_a_restarted_server_resumes_the_stream_from_seq(aiohttp_client, tmp_path, hall_config, clock):
    from queue_server.api.app import init_app

    from .conftest import provision

    db_path = tmp_path / "hall.db"
    kiosk, _ = provision(db_path, [])
    headers = {"Authorization": f"Bearer {kiosk}"}
    first = await aiohttp_client(init_app(hall_config, db_path, clock))
    async with first.ws_connect("/api/events") as ws:
        last = (await receive(ws))["seq"]
    await first.post("/api/tickets", json={"service": "hukou"}, headers=headers)
    await first.close()

    second = await aiohttp_client(init_app(hall_config, db_path, clock))
    await second.post("/api/tickets", json={"service": "hukou"}, headers=headers)
    async with second.ws_connect(f"/api/events?since={last}") as ws:
        assert (await receive(ws))["type"] == "resumed"
        missed = [await receive(ws) for _ in range(2)]
        assert [m["ticket"]["number"] for m in missed] == ["A001", "A002"]
    async with second.ws_connect("/api/events?since=999999") as ws:  # a seq this hall never had
        assert (await receive(ws))["type"] == "snapshot"
