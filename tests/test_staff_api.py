"""The staff API on a real server: 指定叫号, a window's queue, 好差评 and its follow-ups, notices,
the reception desk, the hall manager's overview, idle sign-out."""

from __future__ import annotations

from datetime import date

from queue_server.api.app import init_app
from queue_server.config.hall_file import parse_hall_config

from .conftest import Hall, hall_data, provision
from .test_api import error_of


async def admin(hall) -> dict[str, str]:
    return {"Authorization": f"Bearer {await hall.login('admin')}"}


def display(hall) -> dict[str, str]:
    return {"Authorization": f"Bearer {hall.display_token}"}


def tablet(hall, window: int = 1) -> dict[str, str]:
    """The evaluator tablet of ``window``: the only caller that may rate there."""
    return hall.evaluator(window)


async def test_call_a_given_number_and_see_the_window_queue(hall):
    h1 = await hall.clerk(1)
    for service in ("hukou", "hukou", "idcard", "tax"):
        await hall.issue(service)
    q = await (await hall.client.get("/api/windows/1/queue", headers=h1)).json()
    assert q["ticket"] is None and q["status"] == "open"
    assert q["services"] == [
        {"code": "hukou", "name": "户口迁移", "waiting": 2, "next": ["A001", "A002"]},
        {"code": "idcard", "name": "居民身份证", "waiting": 1, "next": ["A003"]},
    ]
    t = await (await hall.client.post("/api/windows/1/call", json={"number": "A003"}, headers=h1)).json()
    assert (t["number"], t["window"]) == ("A003", 1)
    q = await (await hall.client.get("/api/windows/1/queue", headers=h1)).json()
    assert q["ticket"]["number"] == "A003"
    await hall.client.post(f"/api/tickets/{t['id']}/finish", headers=h1)
    resp = await hall.client.post("/api/windows/1/call", json={"number": "E001"}, headers=h1)
    assert await error_of(resp, 404) == "unknown_ticket"  # tax is not served at window 1
    resp = await hall.client.get("/api/windows/2/queue", headers=h1)
    assert await error_of(resp, 403) == "wrong_window"


async def test_rating_only_the_ticket_the_window_just_served(hall):
    h1, h2 = await hall.clerk(1), await hall.clerk(2)
    a = await hall.issue("hukou")
    resp = await hall.client.post("/api/windows/1/rating", json={"level": 5}, headers=tablet(hall))
    assert await error_of(resp, 409) == "nothing_to_rate"
    await hall.client.post("/api/windows/1/call-next", headers=h1)
    await hall.client.post(f"/api/tickets/{a['id']}/finish", headers=h1)
    pending = await (await hall.client.get("/api/windows/1/rating", headers=tablet(hall))).json()
    assert pending == {"ticket_id": a["id"], "number": "A001", "service_name": "户口迁移"}
    # Window 2's tablet cannot rate window 1's visitor.
    resp = await hall.client.post(
        "/api/windows/2/rating", json={"level": 1, "reasons": ["服务态度"]}, headers=tablet(hall, 2)
    )
    assert await error_of(resp, 409) == "nothing_to_rate"
    resp = await hall.client.post(
        "/api/windows/1/rating", json={"level": 5, "reasons": ["服务态度"]}, headers=tablet(hall)
    )
    assert await error_of(resp, 400) == "invalid_request"  # reasons are for low ratings
    resp = await hall.client.post("/api/windows/1/rating", json={"level": 4}, headers=tablet(hall))
    assert resp.status == 201 and (await resp.json())["level_label"] == "满意"
    again = await hall.client.post(
        "/api/windows/1/rating", json={"level": 1, "reasons": ["等候时间"]}, headers=tablet(hall)
    )
    assert await error_of(again, 409) == "nothing_to_rate"  # one rating per ticket
    assert (await hall.client.get("/api/windows/1/rating", headers=tablet(hall))).status == 204
    resp = await hall.client.post("/api/windows/1/request-rating", headers=h1)
    assert await error_of(resp, 409) == "nothing_to_rate"
    for other in (hall.kiosk(), display(hall), h1, await hall.admin()):  # forged ratings: refused
        forged = await hall.client.post("/api/windows/1/rating", json={"level": 5}, headers=other)
        assert await error_of(forged, 403) == "forbidden"
    forged = await hall.client.post(
        "/api/windows/1/rating", json={"level": 1, "reasons": ["等候时间"]}, headers=tablet(hall, 2)
    )
    assert await error_of(forged, 403) == "wrong_window"
    del h2


async def test_a_low_rating_opens_a_follow_up_the_manager_closes(hall):
    h1 = await hall.clerk(1)
    t = await hall.issue("hukou")
    await hall.client.post("/api/windows/1/call-next", headers=h1)
    resp = await hall.client.post("/api/windows/1/request-rating", headers=h1)  # 评价 before 办结
    assert (await resp.json())["ticket_id"] == t["id"]
    resp = await hall.client.post(
        "/api/windows/1/rating", json={"level": 1, "reasons": ["办事效率", "等候时间"]}, headers=tablet(hall)
    )
    assert resp.status == 201
    h = await admin(hall)
    overview = await (await hall.client.get("/api/admin/overview", headers=h)).json()
    [followup] = overview["followups"]
    assert (followup["number"], followup["level_label"], followup["clerk"]) == ("A001", "非常不满意", "clerk1")
    assert followup["reasons"] == ["办事效率", "等候时间"]
    assert followup["due"] == date(2026, 12, 16).isoformat()  # 15 working days after Wed 2026-11-25
    resp = await hall.client.post(
        f"/api/followups/{followup['id']}/close", json={"resolution": "约谈窗口人员，增加午间窗口"}, headers=h1
    )
    assert await error_of(resp, 403) == "forbidden"
    resp = await hall.client.post(
        f"/api/followups/{followup['id']}/close", json={"resolution": "约谈窗口人员，增加午间窗口"}, headers=h
    )
    assert (await resp.json())["closed_by"] == "admin:admin"
    overview = await (await hall.client.get("/api/admin/overview", headers=h)).json()
    assert overview["followups"] == []
    assert overview["today"]["windows"][0]["low_ratings"] == 1
    db = hall.db()
    assert [r["level"] for r in db.query("SELECT level FROM ratings")] == [1]
    db.close()


async def test_notices_are_edited_by_the_manager_and_pushed(hall):
    h = await admin(hall)
    async with hall.client.ws_connect("/api/events") as ws:
        await ws.receive_json()
        resp = await hall.client.put("/api/notices", json={"notices": ["今天下午 3 点系统维护", " "]}, headers=h)
        assert (await resp.json())["notices"] == ["今天下午 3 点系统维护"]
        event = await ws.receive_json()
        assert (event["kind"], event["notices"]) == ("notices_changed", ["今天下午 3 点系统维护"])
    state = await (await hall.client.get("/api/state")).json()
    assert state["notices"] == ["今天下午 3 点系统维护"]
    resp = await hall.client.put("/api/notices", json={"notices": ["x"]}, headers=await hall.clerk(1))
    assert await error_of(resp, 403) == "forbidden"


async def test_overview_figures(hall):
    h1 = await hall.clerk(1)
    for _ in range(3):
        await hall.issue("hukou")
    hall.clock.advance(minutes=4)
    t = await (await hall.client.post("/api/windows/1/call-next", headers=h1)).json()
    hall.clock.advance(minutes=6)
    await hall.client.post(f"/api/tickets/{t['id']}/finish", headers=h1)
    t = await (await hall.client.post("/api/windows/1/call-next", headers=h1)).json()
    await hall.client.post(f"/api/tickets/{t['id']}/no-show", headers=h1)  # back to waiting once
    o = await (await hall.client.get("/api/admin/overview", headers=await admin(hall))).json()
    hukou = next(s for s in o["today"]["services"] if s["service"] == "hukou")
    assert (hukou["issued"], hukou["served"], hukou["avg_service_s"]) == (3, 1, 360)
    # The 过号 ticket went back to waiting: only the served one counts as called so far.
    assert hukou["max_wait_s"] == 240 and hukou["avg_wait_s"] == 240
    live = {s["code"]: s for s in o["services"]}["hukou"]
    assert live["waiting"] == 2 and live["longest_wait_s"] == 600
    assert {w["number"]: w["status"] for w in o["windows"]}[1] == "open"
    resp = await hall.client.get("/api/admin/overview", headers=h1)
    assert await error_of(resp, 403) == "forbidden"  # the manager's view is not for clerks
    assert (await hall.client.get("/api/admin/overview", headers=await hall.manager())).status == 200


async def test_reception_desk_issues_any_class_and_prints(aiohttp_client, tmp_path, clock):
    for uri, printed, label in (("dummy:", True, "打印机正常"), ("dummy:?state=paper_out", False, "打印机缺纸")):
        data = hall_data()
        data["hall"]["reception_printer"] = uri
        config = parse_hall_config(data)
        db_path = tmp_path / f"{printed}.db"
        kiosk, display_token = provision(db_path, config.windows)
        hall = Hall(await aiohttp_client(init_app(config, db_path, clock)), db_path, clock, kiosk, display_token)
        refused = await hall.client.post("/api/reception/tickets", json={"service": "tax"}, headers=await hall.clerk(1))
        assert await error_of(refused, 403) == "forbidden"  # the 咨询台 is not every window's console
        h = await hall.reception()
        resp = await hall.client.post(
            "/api/reception/tickets", json={"service": "tax", "priority": "green_channel"}, headers=h
        )
        body = await resp.json()
        assert resp.status == 201 and body["ticket"]["priority"] == "green_channel"
        assert body["print"]["printed"] is printed and body["print"]["label"] == label
        status = await (await hall.client.get("/api/reception/printer", headers=h)).json()
        assert status["configured"] and status["label"] == label


async def test_idle_staff_sessions_end(hall):
    h1 = await hall.clerk(1)
    assert (await hall.client.get("/api/windows/1/queue", headers=h1)).status == 200
    hall.clock.advance(minutes=29)
    assert (await hall.client.get("/api/windows/1/queue", headers=h1)).status == 200
    hall.clock.advance(minutes=31)
    resp = await hall.client.get("/api/windows/1/queue", headers=h1)
    assert await error_of(resp, 401) == "token_expired"
    assert "长时间未操作" in (await resp.json())["error"]["message"]
