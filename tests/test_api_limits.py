"""What a kiosk may ask for, how often, and input the server refuses plainly instead of failing."""

from __future__ import annotations

from queue_server.api.app import init_app
from queue_server.api.hall import clean_notice
from queue_server.api.limits import KioskLimit
from queue_server.config import parse_hall_config
from tests.conftest import Hall, hall_data, provision


async def test_a_kiosk_issues_normal_and_elderly_tickets_only(hall):
    assert (await hall.issue("hukou", priority="elderly"))["priority"] == "elderly"
    for priority in ("appointment", "green_channel"):
        resp = await hall.client.post(
            "/api/tickets", json={"service": "hukou", "priority": priority}, headers=hall.kiosk()
        )
        assert resp.status == 403, priority
        assert (await resp.json())["error"]["code"] == "forbidden_priority"
    desk = await hall.reception()
    resp = await hall.client.post("/api/tickets", json={"service": "hukou", "priority": "green_channel"}, headers=desk)
    assert resp.status == 201 and (await resp.json())["priority"] == "green_channel"


async def test_a_kiosk_cannot_drain_a_capped_service(aiohttp_client, tmp_path, clock, guides):
    data = hall_data()
    data["limits"] = {"kiosk_tickets_per_minute": 5}
    data["services"][2]["daily_cap"] = 100  # 纳税申报
    config = parse_hall_config(data, "limits.toml")
    kiosk, display = provision(tmp_path / "hall.db", config.windows)
    hall = Hall(
        await aiohttp_client(init_app(config, tmp_path / "hall.db", clock, guides)),
        tmp_path / "hall.db",
        clock,
        kiosk,
        display,
    )
    for i in range(5):
        await hall.issue("tax", request_id=f"r{i}")
    again = await hall.client.post("/api/tickets", json={"service": "tax", "request_id": "r4"}, headers=hall.kiosk())
    assert again.status == 200  # a retry of a ticket it has is answered, not counted
    refused = await hall.client.post("/api/tickets", json={"service": "tax", "request_id": "r5"}, headers=hall.kiosk())
    assert refused.status == 429
    assert (await refused.json())["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert hall.count("tickets") == 5


def test_the_kiosk_limit_frees_up_as_the_minute_passes():
    now = [1000.0]
    limit = KioskLimit(2, clock=lambda: now[0])
    limit.check_kiosk("k", None)
    limit.check_kiosk("k", None)
    try:
        limit.check_kiosk("k", None)
    except Exception as exc:
        assert exc.code == "rate_limited" and exc.headers == {"Retry-After": "60"}
    else:
        raise AssertionError("the third ticket within a minute passed")
    limit.check_kiosk("other-kiosk", None)  # per kiosk
    now[0] += 60.5
    limit.check_kiosk("k", None)


async def test_absurd_path_ids_are_a_plain_404(hall):
    clerk = await hall.clerk(1)
    for path in ("/api/tickets/" + "9" * 4300, "/api/tickets/0", "/api/windows/" + "1" * 50 + "/call-next"):
        method = hall.client.get if path.startswith("/api/tickets") else hall.client.post
        resp = await method(path, headers=clerk)
        assert resp.status == 404, path
        assert (await resp.json())["error"]["code"] == "not_found"


def test_notices_lose_control_and_bidi_characters():
    assert clean_notice("午休\u202e 12:00\x00-14:00\u200b") == "午休 12:00-14:00"
    assert clean_notice("  请  排队\n取号 ") == "请 排队 取号"


async def test_notices_are_stored_clean(hall):
    resp = await hall.client.put(
        "/api/notices", json={"notices": ["\u202e号取新重请号过", "  ", "正常通知"]}, headers=await hall.manager()
    )
    assert resp.status == 200
    assert (await resp.json())["notices"] == ["号取新重请号过", "正常通知"]
