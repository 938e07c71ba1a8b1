"""Service guides, kiosk tiles, device faults and the ticket status page, on a real server."""

from __future__ import annotations

import copy

import pytest

from queue_server.config.guides import parse_guides, pinyin_initials
from queue_server.config.hall_file import ConfigError

from .conftest import TEST_GUIDES


async def test_guides_list_and_item(hall):
    listing = await (await hall.client.get("/api/guides")).json()
    by_code = {g["code"]: g for g in listing["items"]}
    assert by_code["hukou-in"]["initials"] == "hkqrdj" and by_code["hukou-in"]["department_name"] == "市公安局"
    resp = await hall.client.get("/api/guides/idcard-new")
    item = await resp.json()
    assert item["fees"] == [{"name": "居民身份证工本费", "standard": "20元/证", "basis": "发改价格〔2003〕2322号"}]
    assert item["service_name"] == "居民身份证" and item["materials"] == ["居民户口簿原件"]
    resp = await hall.client.get("/api/guides/nothing-here")
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "unknown_guide"


async def test_tiles_come_with_the_services(hall):
    body = await (await hall.client.get("/api/services")).json()
    assert [t["name"] for t in body["tiles"]] == ["户政", "税务", "公共服务"]
    assert body["tiles"][0] == {"name": "户政", "subtitle": "户口 身份证", "services": ["hukou", "idcard"]}


def test_guide_errors_name_the_key(hall_config):
    data = copy.deepcopy(TEST_GUIDES)
    data["items"][0]["service"] = "gas"
    data["items"][1]["code"] = "hukou-in"
    data["items"].append({**data["items"][0], "code": "third", "kind": "快办件"})
    with pytest.raises(ConfigError) as exc:
        parse_guides(data, hall_config, "guides.toml")
    assert exc.value.problems == ["items[2].kind: Input should be '即办件' or '承诺件'"]
    data["items"].pop()
    with pytest.raises(ConfigError) as exc:
        parse_guides(data, hall_config, "guides.toml")
    assert exc.value.problems == ['items[0].service: unknown service "gas"', 'items[1].code: duplicate code "hukou-in"']


def test_pinyin_initials_follow_the_words_not_single_characters():
    assert pinyin_initials("重新申领") == "cxsl"  # 重 is chóng here
    assert pinyin_initials("老年人优待证") == "lnrydz"


async def test_device_faults_are_recorded_once_and_cleared(hall):
    h = hall.kiosk()
    # Faults are for staff and devices: the public stream does not carry them.
    display = {"Authorization": f"Bearer {hall.display_token}"}
    async with hall.client.ws_connect("/api/events", headers=display) as ws:
        await ws.receive_json()
        resp = await hall.client.post(
            "/api/devices/faults",
            headers=h,
            json={"component": "printer", "state": "paper_out", "message": "打印机缺纸"},
        )
        assert (await resp.json())["changed"] is True
        again = await hall.client.post(
            "/api/devices/faults",
            headers=h,
            json={"component": "printer", "state": "paper_out", "message": "打印机缺纸"},
        )
        assert (await again.json())["changed"] is False
        event = await ws.receive_json()
        assert (event["kind"], event["device"], event["state"]) == ("device_fault", "kiosk-1", "paper_out")
        alert = await ws.receive_json()  # the manager's alert, raised in the same batch
        assert (alert["kind"], alert["alert"], alert["key"]) == (
            "alert_raised",
            "device_fault",
            "device_fault:kiosk-1/printer",
        )
        await hall.client.post("/api/devices/faults", headers=h, json={"component": "printer", "state": "ok"})
        assert (await ws.receive_json())["kind"] == "device_fault_cleared"
        assert (await ws.receive_json())["kind"] == "alert_cleared"
    db = hall.db()
    rows = list(db.query("SELECT device, component, state, cleared_at FROM device_faults"))
    db.close()
    assert len(rows) == 1 and rows[0]["state"] == "paper_out" and rows[0]["cleared_at"]
    clerk = await hall.clerk(1)
    refused = await hall.client.post("/api/devices/faults", headers=clerk, json={"component": "printer", "state": "x"})
    assert refused.status == 403
    bad = await hall.client.post("/api/devices/faults", headers=h, json={"component": "打印机", "state": "x"})
    assert bad.status == 400


async def test_open_faults_survive_a_restart(aiohttp_client, tmp_path, hall_config, clock):
    from queue_server.api.app import init_app

    from .conftest import provision

    db_path = tmp_path / "hall.db"
    kiosk, _ = provision(db_path, [])
    h = {"Authorization": f"Bearer {kiosk}"}
    first = await aiohttp_client(init_app(hall_config, db_path, clock))
    await first.post("/api/devices/faults", headers=h, json={"component": "printer", "state": "cover_open"})
    await first.close()
    second = await aiohttp_client(init_app(hall_config, db_path, clock))
    resp = await second.post("/api/devices/faults", headers=h, json={"component": "printer", "state": "cover_open"})
    assert (await resp.json())["changed"] is False  # still known after the restart


async def test_status_page_behind_the_qr_code(hall):
    t = await hall.issue("hukou")
    await hall.issue("hukou")
    second = await hall.issue("hukou")
    assert second["status_path"].startswith("/t/") and second["status_url"] is None  # no public_url here
    resp = await hall.client.get(second["status_path"])
    page = await resp.text()
    assert resp.status == 200 and "A003" in page and "快到您了：前面还有 2 人" in page and "户口迁移" in page
    await hall.client.post("/api/windows/1/call-next", headers=await hall.clerk(1))
    page = await (await hall.client.get(t["status_path"])).text()
    assert '<p class="headline" id="headline">请到 1 号窗口办理</p><p class="detail" id="detail">户政1</p>' in page
    missing = await hall.client.get("/t/nosuchcode")
    assert missing.status == 404 and "没有找到这张号票" in await missing.text()
