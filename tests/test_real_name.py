"""身份证取号 against the real server: ID numbers checked, one ticket per ID per service per day
where the hall says so, the 特别通道 by age, the age band at the clerk's console, a booking checked
in by its ID, and the ID numbers nowhere: not in the database, its WAL, the server's log or the
audit log, in any encoding; their hashes erased after [privacy] keep_days, the erasure audited."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest

from queue_server.api import appkeys
from queue_server.api.app import init_app
from queue_server.config.hall_file import parse_hall_config
from queue_server.core.real_name import age_band, citizen_id
from tests.conftest import SHANGHAI, Hall, hall_data, provision
from tests.ids import citizen_id as made_up_id

YOUNG = made_up_id("19900307", 891)  # 36 on the test day
OLD = "11010519491231002X"  # born 1949-12-31: 76, and a check character X (GB 11643's own example)
OTHER = made_up_id("19660102", 123, region="440103")


def real_name_data() -> dict:
    data = hall_data()
    data["services"][0]["real_name"] = "required"  # hukou: per_id_daily defaults to 1
    data["services"][0]["booking"] = {"slot_minutes": 30, "per_slot": 4, "days_ahead": 7}
    data["services"][1]["real_name"] = "optional"  # idcard, no limit
    data["services"][1]["per_id_daily"] = 2
    data["privacy"] = {"keep_days": 7}
    data["booking"] = {"requests_per_minute": 1000}
    return data


@pytest.fixture
async def rhall(aiohttp_client, tmp_path, clock) -> Hall:
    db_path = tmp_path / "hall.db"
    kiosk, display = provision(db_path, [1, 2, 3, 4])
    client = await aiohttp_client(init_app(parse_hall_config(real_name_data(), "rn.toml"), db_path, clock))
    return Hall(client, db_path, clock, kiosk, display)


async def take(hall: Hall, service: str, id_number: str | None = None, headers=None, **extra) -> tuple[int, dict]:
    body = {"service": service, **extra}
    if id_number is not None:
        body["id_number"] = id_number
    resp = await hall.client.post("/api/tickets", json=body, headers=headers or hall.kiosk())
    return resp.status, await resp.json()


def test_gb11643_check_character_and_birth_date():
    assert citizen_id(OLD.lower()) == OLD and citizen_id(" ".join(OLD)) == OLD
    assert citizen_id(OLD[:-1] + "1") is None
    assert citizen_id("110105194902301234") is None  # 30 February
    assert citizen_id("11010519491231002") is None  # 17 characters
    assert [age_band(a) for a in (12, 18, 36, 60, 69, 85)] == [
        "未满18岁",
        "18-19岁",
        "30-39岁",
        "60-69岁",
        "60-69岁",
        "80岁以上",
    ]


async def test_services_say_which_take_ids(rhall):
    services = await (await rhall.client.get("/api/services")).json()
    by_code = {s["code"]: s for s in services["services"]}
    assert by_code["hukou"]["real_name"] == "required" and by_code["hukou"]["per_id_daily"] == 1
    assert by_code["idcard"]["real_name"] == "optional" and by_code["idcard"]["per_id_daily"] == 2
    assert by_code["tax"]["real_name"] == "off" and by_code["tax"]["per_id_daily"] is None
    assert services["hall"]["elderly_age"] == 60


async def test_a_required_service_takes_one_ticket_per_id_a_day(rhall):
    status, data = await take(rhall, "hukou")
    assert status == 422 and data["error"]["code"] == "id_required"
    status, data = await take(rhall, "hukou", YOUNG[:-1] + ("0" if YOUNG[-1] != "0" else "1"))
    assert status == 422 and data["error"]["code"] == "invalid_id_number"
    assert data["error"]["details"]["field"] == "id_number"
    status, first = await take(rhall, "hukou", YOUNG)
    assert status == 201 and first["priority"] == "normal"
    status, again = await take(rhall, "hukou", YOUNG.lower())
    assert status == 409 and again["error"]["code"] == "id_daily_limit"
    assert again["error"]["message"] == f"您今天已取过该业务的号：{first['number']}"
    assert again["error"]["details"]["number"] == first["number"]
    # The reception desk is held to the same rule; another ID, or another service, is not.
    resp = await rhall.client.post(
        "/api/reception/tickets", json={"service": "hukou", "id_number": YOUNG}, headers=await rhall.reception()
    )
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "id_daily_limit"
    assert (await take(rhall, "hukou", OTHER))[0] == 201
    assert (await take(rhall, "tax", YOUNG))[0] == 201
    assert (await take(rhall, "tax", YOUNG))[0] == 201  # real_name off: the ID is ignored, not kept
    # Optional with per_id_daily 2.
    assert (await take(rhall, "idcard", YOUNG))[0] == 201
    assert (await take(rhall, "idcard"))[0] == 201
    assert (await take(rhall, "idcard", YOUNG))[0] == 201
    assert (await take(rhall, "idcard", YOUNG))[0] == 409
    # The next day the limit starts again.
    rhall.clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
    assert (await take(rhall, "hukou", YOUNG))[0] == 201


async def test_the_limit_survives_a_restart(aiohttp_client, tmp_path, clock):
    db_path = tmp_path / "hall.db"
    kiosk, display = provision(db_path, [1, 2, 3, 4])
    config = parse_hall_config(real_name_data(), "rn.toml")
    hall = Hall(await aiohttp_client(init_app(config, db_path, clock)), db_path, clock, kiosk, display)
    assert (await take(hall, "hukou", YOUNG))[0] == 201
    await hall.client.close()
    hall.client = await aiohttp_client(init_app(config, db_path, clock))
    status, data = await take(hall, "hukou", YOUNG)
    assert status == 409 and data["error"]["code"] == "id_daily_limit"


async def test_an_elderly_id_gets_the_special_lane_and_the_clerk_sees_only_the_band(rhall):
    status, ticket = await take(rhall, "hukou", OLD)
    assert status == 201 and ticket["priority"] == "elderly"
    clerk = await rhall.clerk(1)
    called = await (await rhall.client.post("/api/windows/1/call-next", headers=clerk)).json()
    assert called["number"] == ticket["number"]
    console = await (await rhall.client.get("/api/windows/1/queue", headers=clerk)).json()
    assert console["age_band"] == "70-79岁"
    assert "1949" not in json.dumps(console) and OLD not in json.dumps(console)


async def test_a_booking_made_with_an_id_checks_in_by_the_card(rhall):
    body = {"service": "hukou", "slot_start": "2026-11-25T09:30:00+08:00", "name": "王五", "phone": "13812345678"}
    made = await (await rhall.client.post("/api/bookings", json={**body, "id_number": YOUNG})).json()
    resp = await rhall.client.post("/api/bookings/check-in-by-id", json={"id_number": OTHER}, headers=rhall.kiosk())
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "unknown_booking"
    resp = await rhall.client.post("/api/bookings/check-in-by-id", json={"id_number": YOUNG}, headers=rhall.kiosk())
    data = await resp.json()
    assert resp.status == 201, data
    assert data["booking"]["code"] == made["code"] and data["ticket"]["priority"] == "appointment"
    # The booked visitor's ticket counts as the ID's ticket of the day.
    status, again = await take(rhall, "hukou", YOUNG)
    assert status == 409 and again["error"]["code"] == "id_daily_limit"


def encodings(number: str) -> list[bytes]:
    """The ways an ID number could sit in a file: UTF-8, UTF-16 (both orders), UTF-32, and the
    digits alone as a number."""
    out = [number.encode(e) for e in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le")]
    return out + [number[:17].encode()]


async def test_the_id_numbers_are_nowhere_and_their_hashes_go_after_keep_days(rhall, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    for number in (YOUNG, OLD, OTHER):
        assert (await take(rhall, "hukou", number))[0] == 201
        assert (await take(rhall, "idcard", number))[0] == 201
    body = {"service": "hukou", "slot_start": "2026-11-26T10:00:00+08:00", "name": "赵六", "phone": "13912345678"}
    assert (await rhall.client.post("/api/bookings", json={**body, "id_number": OTHER})).status == 201
    clerk = await rhall.clerk(1)
    await rhall.client.post("/api/windows/1/call-next", headers=clerk)
    await rhall.client.get("/api/windows/1/queue", headers=clerk)
    await rhall.client.get("/api/state")
    await rhall.client.get("/api/health")
    files = [p for p in rhall.db_path.parent.iterdir() if p.is_file()]
    assert any(p.name.endswith("-wal") for p in files)
    db = rhall.db()
    events = "\n".join(r[0] or "" for r in db.execute("SELECT ticket || data FROM events"))
    for number in (YOUNG, OLD, OTHER):
        for form in encodings(number):
            for path in files:
                assert form not in path.read_bytes(), (number, form, path.name)
            assert form.decode("utf-8", "ignore") not in caplog.text
            assert number not in events
    assert db.execute("SELECT count(*) FROM ticket_ids").fetchone()[0] == 6
    # 7 days after their day the hashes are deleted by the server itself, and the audit log says so.
    rhall.clock.now = datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI)
    await rhall.client.app[appkeys.PRIVACY].run_once()
    assert rhall.db().execute("SELECT count(*) FROM ticket_ids").fetchone()[0] == 0
    row = rhall.db().execute("SELECT actor, data FROM events WHERE kind = 'personal_data_erased'").fetchone()
    assert row[0] == "system:privacy"
    assert json.loads(row[1]) == {
        "tickets": 6,
        "tickets_before": "2026-11-26",
        "tickets_keep_days": 7,
        "bookings": 0,
        "bookings_before": "2026-11-03",
        "bookings_keep_days": 30,
    }
