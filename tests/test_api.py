"""The API on a real server (127.0.0.1) with a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .conftest import PASSWORD


async def error_of(resp, status: int) -> str:
    assert resp.status == status, await resp.text()
    body = await resp.json()
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]["code"]


async def test_services_are_public_with_waiting_counts(hall):
    await hall.issue("hukou")
    resp = await hall.client.get("/api/services")
    assert resp.status == 200
    body = await resp.json()
    by_code = {s["code"]: s for s in body["services"]}
    assert by_code["hukou"]["waiting"] == 1 and by_code["hukou"]["open"] is True
    assert by_code["hukou"]["name"] == "户口迁移" and by_code["hukou"]["prefix"] == "A"
    assert {d["code"] for d in body["departments"]} == {"gaj", "sw", "water"}


async def test_issue_returns_the_committed_ticket(hall):
    first = await hall.issue("hukou")
    second = await hall.issue("idcard")
    assert first["number"] == "A001" and second["number"] == "A002"
    assert first["status"] == "waiting" and first["waiting_ahead"] == 0
    assert {"id", "number", "service", "status", "waiting_ahead", "estimated_wait_s", "issued_at"} <= set(first)
    db = hall.db()
    row = db.execute("SELECT number, status FROM tickets WHERE id = ?", [first["id"]]).fetchone()
    assert row == ("A001", "waiting")
    db.close()
    resp = await hall.client.get(f"/api/tickets/{first['id']}", headers=hall.kiosk())
    assert (await resp.json())["number"] == "A001"


async def test_full_life_of_tickets_through_every_action(hall):
    c = hall.client
    h1 = await hall.clerk(1)
    a = await hall.issue("hukou")
    b = await hall.issue("hukou")
    d = await hall.issue("idcard")

    resp = await c.post("/api/windows/1/call-next", headers=h1)
    assert resp.status == 200
    t = await resp.json()
    assert (t["number"], t["status"], t["window"]) == ("A001", "called", 1)

    t = await (await c.post(f"/api/tickets/{a['id']}/recall", headers=h1)).json()
    assert t["call_count"] == 2
    t = await (await c.post(f"/api/tickets/{a['id']}/start", headers=h1)).json()
    assert t["status"] == "serving"
    t = await (await c.post(f"/api/tickets/{a['id']}/finish", headers=h1)).json()
    assert t["status"] == "done" and t["finished_at"]

    # 过号 once goes back to waiting (no_show_requeues = 1), twice is final.
    t = await (await c.post("/api/windows/1/call-next", headers=h1)).json()
    assert t["id"] == b["id"]
    t = await (await c.post(f"/api/tickets/{b['id']}/no-show", headers=h1)).json()
    assert t["status"] == "waiting"

    # Transfer keeps the number.
    t = await (await c.post("/api/windows/1/call-next", headers=h1)).json()
    assert t["id"] == b["id"]
    resp = await c.post(f"/api/tickets/{b['id']}/transfer", json={"service": "tax"}, headers=h1)
    t = await resp.json()
    assert (t["number"], t["service"], t["status"], t["original_service"]) == ("A002", "tax", "waiting", "hukou")

    t = await (await c.post("/api/windows/1/call-next", headers=h1)).json()
    assert t["id"] == d["id"]
    t = await (await c.post(f"/api/tickets/{d['id']}/cancel", headers=h1)).json()
    assert t["status"] == "cancelled"

    resp = await c.post("/api/windows/1/call-next", headers=h1)
    assert resp.status == 204  # only the transferred tax ticket waits, window 1 serves no tax

    h3 = await hall.clerk(3)
    t = await (await c.post("/api/windows/3/call-next", headers=h3)).json()
    assert t["id"] == b["id"] and t["window"] == 3
    t = await (await c.post(f"/api/tickets/{b['id']}/no-show", headers=h3)).json()
    assert t["status"] == "no_show"

    db = hall.db()
    kinds = [r[0] for r in db.execute("SELECT kind FROM events WHERE ticket_id IS NOT NULL ORDER BY seq")]
    db.close()
    assert kinds == [
        "issued",
        "issued",
        "issued",
        "called",
        "recalled",
        "started",
        "finished",
        "called",
        "requeued",
        "called",
        "transferred",
        "called",
        "cancelled",
        "called",
        "no_show",
    ]


async def test_illegal_transition_is_409_and_writes_nothing(hall):
    h1 = await hall.clerk(1)
    t = await hall.issue("hukou")
    await hall.client.post("/api/windows/1/call-next", headers=h1)
    await hall.client.post(f"/api/tickets/{t['id']}/finish", headers=h1)
    before = hall.count("events")
    for action in ("recall", "start", "no-show", "finish", "cancel"):
        resp = await hall.client.post(f"/api/tickets/{t['id']}/{action}", headers=h1)
        assert await error_of(resp, 409) == "illegal_transition"
        assert "已办结" in (await resp.json())["error"]["message"]
    resp = await hall.client.post("/api/tickets/999/finish", headers=h1)
    assert await error_of(resp, 404) == "unknown_ticket"
    w = await hall.issue("hukou")
    resp = await hall.client.post(f"/api/tickets/{w['id']}/start", headers=await hall.clerk(1))
    assert await error_of(resp, 409) == "illegal_transition"
    assert hall.count("events") == before + 1  # only the second issue


async def test_recall_limit_and_busy_window(hall):
    h1 = await hall.clerk(1)
    t = await hall.issue("hukou")
    await hall.issue("hukou")
    await hall.client.post("/api/windows/1/call-next", headers=h1)
    assert await error_of(await hall.client.post("/api/windows/1/call-next", headers=h1), 409) == "window_busy"
    for _ in range(2):
        assert (await hall.client.post(f"/api/tickets/{t['id']}/recall", headers=h1)).status == 200
    resp = await hall.client.post(f"/api/tickets/{t['id']}/recall", headers=h1)
    assert await error_of(resp, 409) == "recall_limit"


async def test_pause_and_resume(hall):
    h1 = await hall.clerk(1)
    await hall.issue("hukou")
    resp = await hall.client.post("/api/windows/1/pause", headers=h1)
    assert (await resp.json())["status"] == "paused"
    assert await error_of(await hall.client.post("/api/windows/1/call-next", headers=h1), 409) == "window_paused"
    state = await (await hall.client.get("/api/state")).json()
    assert {w["number"]: w["status"] for w in state["windows"]}[1] == "paused"
    assert (await (await hall.client.post("/api/windows/1/resume", headers=h1)).json())["status"] == "open"
    assert (await hall.client.post("/api/windows/1/call-next", headers=h1)).status == 200


async def test_clerk_acts_only_for_own_window(hall):
    h1, h2 = await hall.clerk(1), await hall.clerk(2)
    t = await hall.issue("hukou")
    assert await error_of(await hall.client.post("/api/windows/2/call-next", headers=h1), 403) == "wrong_window"
    await hall.client.post("/api/windows/1/call-next", headers=h1)
    resp = await hall.client.post(f"/api/tickets/{t['id']}/finish", headers=h2)
    assert await error_of(resp, 403) == "wrong_window"
    resp = await hall.client.post("/api/windows/1/pause", headers=h2)
    assert await error_of(resp, 403) == "wrong_window"


async def test_admin_acts_for_any_window(hall):
    await hall.clerk(1)  # the window is open
    admin = {"Authorization": f"Bearer {await hall.login('admin')}"}
    t = await hall.issue("hukou")
    resp = await hall.client.post("/api/windows/1/call-next", headers=admin)
    assert (await resp.json())["id"] == t["id"]
    resp = await hall.client.post(f"/api/tickets/{t['id']}/finish", headers=admin)
    assert (await resp.json())["status"] == "done"


async def test_state_is_public_and_names_no_one(hall):
    h1 = await hall.clerk(1)
    await hall.issue("hukou")
    await hall.client.post("/api/windows/1/call-next", headers=h1)
    resp = await hall.client.get("/api/state")
    state = await resp.json()
    text = await resp.text()
    assert "clerk1" not in text and "kiosk-1" not in text
    w1 = {w["number"]: w for w in state["windows"]}[1]
    assert (w1["status"], w1["ticket"], w1["services"]) == ("open", "A001", ["hukou", "idcard"])
    assert state["recent_calls"][0]["number"] == "A001" and state["recent_calls"][0]["window"] == 1
    assert state["notices"] == ["过号请重新取号"]


async def test_idempotent_issue_with_request_id(hall):
    body = {"service": "hukou", "request_id": "kiosk-1-tap-0001"}
    first = await hall.client.post("/api/tickets", json=body, headers=hall.kiosk())
    again = await hall.client.post("/api/tickets", json=body, headers=hall.kiosk())
    assert first.status == 201 and again.status == 200
    a, b = await first.json(), await again.json()
    assert a["id"] == b["id"] and a["number"] == b["number"]
    # Even after the ticket was served, the retry names the same ticket.
    h1 = await hall.clerk(1)
    await hall.client.post("/api/windows/1/call-next", headers=h1)
    await hall.client.post(f"/api/tickets/{a['id']}/finish", headers=h1)
    late = await hall.client.post("/api/tickets", json=body, headers=hall.kiosk())
    assert late.status == 200 and (await late.json())["status"] == "done"
    db = hall.db()
    assert db.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1
    db.close()


async def test_day_rollover_resets_numbering_and_expires_leftovers(hall):
    h1 = await hall.clerk(1)
    left_waiting = await hall.issue("hukou")
    await hall.issue("hukou")
    await hall.client.post("/api/windows/1/call-next", headers=h1)
    # Next business day at 09:00 (the day turns at 04:00).
    hall.clock.advance(days=1)
    fresh = await hall.issue("hukou")
    assert fresh["number"] == "A001" and fresh["business_day"] == "2026-11-26"
    old = await (await hall.client.get(f"/api/tickets/{left_waiting['id']}", headers=hall.kiosk())).json()
    assert old["status"] == "expired" and old["business_day"] == "2026-11-25"
    db = hall.db()
    statuses = dict(db.execute("SELECT number || '@' || business_day, status FROM tickets").fetchall())
    db.close()
    assert statuses == {"A001@2026-11-25": "expired", "A002@2026-11-25": "expired", "A001@2026-11-26": "waiting"}
    # Every window closed at day end; the clerk signs in again and calls the new day's A001.
    state = await (await hall.client.get("/api/state")).json()
    assert {w["status"] for w in state["windows"]} == {"closed"} and state["recent_calls"] == []
    hall.clerk_tokens.clear()
    resp = await hall.client.post("/api/windows/1/call-next", headers=await hall.clerk(1))
    assert (await resp.json())["id"] == fresh["id"]


async def test_closed_service_and_cap_say_why(hall):
    for _ in range(3):
        await hall.issue("tax")
    resp = await hall.client.post("/api/tickets", json={"service": "tax"}, headers=hall.kiosk())
    assert await error_of(resp, 409) == "daily_cap_reached"
    hall.clock.advance(hours=10)  # 19:00
    resp = await hall.client.post("/api/tickets", json={"service": "hukou"}, headers=hall.kiosk())
    assert await error_of(resp, 409) == "service_closed"
    services = (await (await hall.client.get("/api/services")).json())["services"]
    assert not any(s["open"] for s in services)


@pytest.mark.parametrize(
    "body, status, code",
    [
        (b"{not json", 400, "malformed_json"),
        (b"\xff\xfe", 400, "malformed_json"),
        (b'["hukou"]', 400, "invalid_request"),
        (b'{"service": 7}', 400, "invalid_request"),
        (b'{"service": "hukou", "priority": "vip"}', 400, "invalid_request"),
        (b'{"service": "hukou", "extra": 1}', 400, "invalid_request"),
        (b'{"service": "no-such-service"}', 422, "unknown_service"),
        (b'{"service": "hukou", "priority": "green_channel"}', 403, "forbidden_priority"),
        (b'{"service": "' + b"x" * 20000 + b'"}', 413, "payload_too_large"),
    ],
)
async def test_bad_requests_get_the_documented_error_and_write_nothing(hall, body, status, code):
    before = hall.count("events")
    resp = await hall.client.post(
        "/api/tickets", data=body, headers={**hall.kiosk(), "Content-Type": "application/json"}
    )
    assert await error_of(resp, status) == code
    assert hall.count("events") == before


@pytest.mark.parametrize(
    "headers, code",
    [
        ({}, "unauthorized"),
        ({"Authorization": "Bearer wrong-token"}, "unauthorized"),
        ({"Authorization": "Basic a2lvc2s6cGFzcw=="}, "unauthorized"),
    ],
)
async def test_missing_or_wrong_token_is_401_and_writes_nothing(hall, headers, code):
    before = hall.count("events")
    resp = await hall.client.post("/api/tickets", json={"service": "hukou"}, headers=headers)
    assert await error_of(resp, 401) == code
    assert resp.headers["WWW-Authenticate"] == "Bearer"
    assert hall.count("events") == before


async def test_display_devices_cannot_issue_or_call(hall):
    display = {"Authorization": f"Bearer {hall.display_token}"}
    await hall.clerk(1)
    resp = await hall.client.post("/api/tickets", json={"service": "hukou"}, headers=display)
    assert await error_of(resp, 403) == "forbidden"
    assert await error_of(await hall.client.post("/api/windows/1/call-next", headers=hall.kiosk()), 403) == "forbidden"


async def test_expired_and_signed_out_sessions(hall):
    token = await hall.login("clerk1", 1)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await hall.client.post("/api/windows/1/pause", headers=headers)).status == 200
    hall.clock.advance(hours=12, seconds=1)  # session_hours defaults to 12
    resp = await hall.client.post("/api/windows/1/resume", headers=headers)
    assert await error_of(resp, 401) == "token_expired"
    hall.clock.advance(days=1)
    token = await hall.login("clerk1", 1)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await hall.client.post("/api/logout", headers=headers)).status == 204
    resp = await hall.client.post("/api/windows/1/resume", headers=headers)
    assert await error_of(resp, 401) == "token_expired"
    state = await (await hall.client.get("/api/state")).json()
    assert {w["number"]: w["status"] for w in state["windows"]}[1] == "closed"


async def test_login_errors(hall):
    c = hall.client
    resp = await c.post("/api/login", json={"login": "clerk1", "password": "wrong password", "window": 1})
    assert await error_of(resp, 401) == "invalid_credentials"
    resp = await c.post("/api/login", json={"login": "nobody", "password": PASSWORD, "window": 1})
    assert await error_of(resp, 401) == "invalid_credentials"
    resp = await c.post("/api/login", json={"login": "clerk1", "password": PASSWORD})
    assert await error_of(resp, 400) == "window_required"
    assert (await resp.json())["error"]["message"] == "窗口人员登录需要选择窗口号"
    resp = await c.post("/api/login", json={"login": "clerk1", "password": PASSWORD, "window": 99})
    assert await error_of(resp, 404) == "unknown_window"
    await hall.login("clerk1", 1)
    resp = await c.post("/api/login", json={"login": "clerk2", "password": PASSWORD, "window": 1})
    assert await error_of(resp, 409) == "window_occupied"
    # No [[windows]] clerks rule names clerk2: taking the window over is for the manager to allow.
    resp = await c.post("/api/login", json={"login": "clerk2", "password": PASSWORD, "window": 1, "force": True})
    assert await error_of(resp, 403) == "forbidden_takeover"
    signed_out = await c.post("/api/windows/1/sign-out", headers=await hall.manager())
    assert signed_out.status == 204
    resp = await c.post("/api/login", json={"login": "clerk2", "password": PASSWORD, "window": 1})
    assert resp.status == 200


async def test_unknown_routes_and_methods_are_json_errors(hall):
    assert await error_of(await hall.client.get("/api/nothing"), 404) == "not_found"
    assert await error_of(await hall.client.delete("/api/tickets"), 405) == "method_not_allowed"
    resp = await hall.client.post("/api/tickets/1/explode", headers=await hall.clerk(1))
    assert await error_of(resp, 404) == "not_found"


async def test_events_are_append_only_in_the_database(hall):
    await hall.issue("hukou")
    db = hall.db()
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE events SET kind = 'tampered'")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM events")
    db.close()


async def test_estimated_wait_in_the_ticket(hall):
    await hall.clerk(1)
    await hall.clerk(2)
    for _ in range(4):
        last = await hall.issue("hukou")
    # 3 ahead, 10 minutes each, 2 idle open windows serving hukou: the first two are called at
    # once, the third and this one when the windows are free again, in 10 minutes.
    assert last["waiting_ahead"] == 3 and last["estimated_wait_s"] == 600
    hall.clock.advance(minutes=1)
    h1 = await hall.clerk(1)
    await hall.client.post("/api/windows/1/call-next", headers=h1)
    now = await (await hall.client.get(f"/api/tickets/{last['id']}", headers=hall.kiosk())).json()
    assert now["waiting_ahead"] == 2
    assert timedelta(seconds=now["estimated_wait_s"]) == timedelta(minutes=10)


async def test_a_server_started_on_a_later_day_expires_what_was_left(aiohttp_client, tmp_path, hall_config, clock):
    from queue_server.api.app import init_app

    from .conftest import provision

    db_path = tmp_path / "hall.db"
    kiosk, _ = provision(db_path, [])
    headers = {"Authorization": f"Bearer {kiosk}"}
    first = await aiohttp_client(init_app(hall_config, db_path, clock))
    left = await (await first.post("/api/tickets", json={"service": "hukou"}, headers=headers)).json()
    await first.close()  # the hall PC is switched off overnight

    clock.advance(days=1)
    second = await aiohttp_client(init_app(hall_config, db_path, clock))
    old = await (await second.get(f"/api/tickets/{left['id']}", headers=headers)).json()
    assert old["status"] == "expired"
    fresh = await (await second.post("/api/tickets", json={"service": "hukou"}, headers=headers)).json()
    assert fresh["number"] == "A001" and fresh["business_day"] == "2026-11-26"
