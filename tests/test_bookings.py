"""预约 against the real server: slots, booking and its rules under racing clients, look-up and
cancelling, check-in windows, the SMS confirmation and reminder, missed bookings, blocks, and the
personal data kept (masked, hashed, erased)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import stat
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

from queue_server.api import appkeys
from queue_server.api.app import init_app
from queue_server.config.hall_file import parse_hall_config
from queue_server.core.booking import CODE_ALPHABET
from tests.conftest import SHANGHAI, Hall, hall_data, provision

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"  # GB 11643's own example: its check character is X
SLOT_0930 = "2026-11-25T09:30:00+08:00"  # the test clock starts at 09:00 that Wednesday
SLOT_1000 = "2026-11-25T10:00:00+08:00"


def booking_data(**rules) -> dict:
    data = hall_data()
    data["services"][0]["booking"] = {"slot_minutes": 30, "per_slot": 4, "days_ahead": 7}  # hukou
    data["notify"] = {"log_file": "notify.log"}
    data["booking"] = {"requests_per_minute": 10_000, **rules}
    return data


@pytest.fixture
def open_hall(aiohttp_client, tmp_path, clock):
    async def open_(data: dict) -> Hall:
        db_path = tmp_path / "hall.db"
        kiosk, display = provision(db_path, [1, 2, 3, 4])
        client = await aiohttp_client(init_app(parse_hall_config(data, "booking-hall.toml"), db_path, clock))
        return Hall(client, db_path, clock, kiosk, display)

    return open_


@pytest.fixture
async def bhall(open_hall) -> Hall:
    return await open_hall(booking_data())


async def book(hall: Hall, slot: str = SLOT_0930, phone: str = PHONE, expect: int = 201, **extra) -> dict:
    body = {"service": "hukou", "slot_start": slot, "name": "张三", "phone": phone, **extra}
    resp = await hall.client.post("/api/bookings", json=body)
    data = await resp.json()
    assert expect is None or resp.status == expect, data
    return data


async def check_in(hall: Hall, code: str, headers: dict | None = None, **body) -> tuple[int, dict]:
    resp = await hall.client.post(f"/api/bookings/{code}/check-in", json=body, headers=headers or hall.kiosk())
    return resp.status, await resp.json()


def error(data: dict) -> str:
    return data["error"]["code"]


async def desk_tidy(hall: Hall) -> None:
    """Run the bookings keeper's and the privacy keeper's rounds now (they run at start and every
    minute by themselves)."""
    app = hall.client.app
    await app[appkeys.ENGINE].submit(app[appkeys.BOOKINGS].tidy)
    await app[appkeys.PRIVACY].run_once()


# ---------------------------------------------------------------- slots and booking


async def test_slots_follow_the_hours_and_show_free_places(bhall):
    services = await (await bhall.client.get("/api/booking/services")).json()
    assert [s["code"] for s in services["services"]] == ["hukou"]
    hukou = services["services"][0]
    assert len(hukou["days"]) == 8 and hukou["days"][0]["date"] == "2026-11-25"
    saturday = next(d for d in hukou["days"] if d["date"] == "2026-11-28")
    assert not saturday["open"] and saturday["free"] == 0  # the hall is closed at weekends
    resp = await bhall.client.get("/api/booking/slots", params={"service": "hukou", "date": "2026-11-25"})
    day = await resp.json()
    labels = [s["label"] for s in day["slots"]]
    # 08:30-12:00 and 14:00-17:30, less the 30 minutes of 取号截止 before each end
    assert labels[0] == "08:30-09:00" and labels[5] == "11:00-11:30" and labels[6] == "14:00-14:30"
    assert labels[-1] == "16:30-17:00" and len(labels) == 12
    first, nine_thirty = day["slots"][0], day["slots"][2]
    assert first["past"] and not first["bookable"]  # 08:30 has begun at 09:00
    assert nine_thirty["bookable"] and nine_thirty["free"] == 4
    await book(bhall)
    day = await (await bhall.client.get("/api/booking/slots", params={"service": "hukou", "date": "2026-11-25"})).json()
    assert day["slots"][2]["free"] == 3
    assert (
        hukou["days"][0]["free"] - 1
        == (await (await bhall.client.get("/api/booking/services")).json())["services"][0]["days"][0]["free"]
    )


async def test_a_booking_has_a_short_unambiguous_code_and_a_qr(bhall):
    made = await book(bhall)
    code = made["code"]
    assert len(code) == 8 and set(code) <= set(CODE_ALPHABET) and not set(code) & set("0O1IL")
    assert made["phone"] == PHONE and made["name"] == "张三" and made["status"] == "booked"
    assert (
        made["check_in_from"] == "2026-11-25T09:00:00+08:00" and made["check_in_until"] == "2026-11-25T09:45:00+08:00"
    )
    qr = await bhall.client.get(urlsplit(made["qr_url"]).path)
    assert qr.status == 200 and qr.content_type == "image/svg+xml"
    assert b"<svg" in await qr.read()
    # Looking it up needs the phone: a wrong one is the same answer as a code nobody has.
    assert (await bhall.client.get(f"/api/bookings/{code}", params={"phone": PHONE})).status == 200
    wrong = await bhall.client.get(f"/api/bookings/{code}", params={"phone": "13900000000"})
    assert wrong.status == 404 and error(await wrong.json()) == "unknown_booking"
    nobody = await bhall.client.get("/api/bookings/ABCDEFGH", params={"phone": PHONE})
    assert nobody.status == 404 and error(await nobody.json()) == "unknown_booking"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("phone", "1381234567", "invalid_phone"),
        ("phone", "021-12345678", "invalid_phone"),
        ("id_number", "110105194912310021", "invalid_id_number"),  # the check character is X
        ("id_number", "110105194913310020", "invalid_id_number"),  # month 13
        ("name", "<script>", "invalid_name"),
    ],
)
async def test_bad_personal_data_is_refused_with_the_field(bhall, field, value, code):
    data = await book(bhall, expect=422, **{field: value})
    assert error(data) == code and data["error"]["details"]["field"] == field
    assert bhall.count("bookings") == 0


async def test_one_booking_per_phone_and_per_id_number_per_service_per_day(bhall):
    await book(bhall, id_number=ID_NUMBER)
    again = await book(bhall, slot=SLOT_1000, expect=409)
    assert error(again) == "already_booked"
    other_phone_same_id = await book(
        bhall, slot=SLOT_1000, phone="13900001111", id_number=ID_NUMBER.lower(), expect=409
    )
    assert error(other_phone_same_id) == "already_booked"
    # Another day is another booking; a cancelled one frees the day.
    tomorrow = await book(bhall, slot="2026-11-26T10:00:00+08:00")
    cancelled = await bhall.client.post(f"/api/bookings/{tomorrow['code']}/cancel", json={"phone": PHONE})
    assert cancelled.status == 200 and (await cancelled.json())["status"] == "cancelled"
    await book(bhall, slot="2026-11-26T14:00:00+08:00")


async def test_fifty_racing_clients_never_overbook_a_slot(bhall):
    phones = [f"139{n:08d}" for n in range(50)]
    results = await asyncio.gather(*(book(bhall, phone=p, expect=None) for p in phones))
    assert sorted(r.get("error", {}).get("code", "ok") for r in results) == ["ok"] * 4 + ["slot_full"] * 46
    assert bhall.count("bookings") == 4
    slot = await (
        await bhall.client.get("/api/booking/slots", params={"service": "hukou", "date": "2026-11-25"})
    ).json()
    assert slot["slots"][2]["free"] == 0 and not slot["slots"][2]["bookable"]
    # ... and one phone racing itself over 20 slots of a day gets one.
    slots = [f"2026-11-26T{h:02d}:{m:02d}:00+08:00" for h in (9, 10, 14, 15, 16) for m in (0, 30)]
    same = await asyncio.gather(*(book(bhall, slot=s, expect=None) for s in slots * 2))
    assert sorted(r.get("error", {}).get("code", "ok") for r in same) == ["already_booked"] * 19 + ["ok"]
    assert bhall.db().execute("SELECT count(*) FROM bookings WHERE day = '2026-11-26'").fetchone()[0] == 1


async def test_a_full_slot_and_a_past_slot_are_refused(bhall):
    for n in range(4):
        await book(bhall, phone=f"1390000000{n}")
    full = await book(bhall, phone="13700000000", expect=409)
    assert error(full) == "slot_full"
    past = await book(bhall, slot="2026-11-25T08:30:00+08:00", phone="13700000000", expect=409)
    assert error(past) == "slot_unavailable"
    off_grid = await book(bhall, slot="2026-11-25T09:45:00+08:00", phone="13700000000", expect=409)
    assert error(off_grid) == "slot_unavailable"
    too_far = await book(bhall, slot="2026-12-03T09:00:00+08:00", phone="13700000000", expect=409)
    assert error(too_far) == "slot_unavailable"
    other = await bhall.client.post(
        "/api/bookings", json={"service": "tax", "slot_start": SLOT_1000, "name": "李四", "phone": "13700000000"}
    )
    assert other.status == 409 and error(await other.json()) == "not_bookable"


# ---------------------------------------------------------------- check-in


async def test_check_in_gives_an_appointment_ticket_called_before_walk_ins(bhall):
    walk_in = await bhall.issue("hukou")
    made = await book(bhall)
    status, data = await check_in(bhall, made["code"].lower())  # typed in any case
    assert status == 201, data
    ticket = data["ticket"]
    assert data["on_time"] and ticket["priority"] == "appointment" and ticket["service"] == "hukou"
    assert data["booking"]["status"] == "checked_in" and data["booking"]["ticket_number"] == ticket["number"]
    assert data["booking"]["phone"] == "138****5678"  # masked for the kiosk
    clerk = await bhall.clerk(1)
    called = await (await bhall.client.post("/api/windows/1/call-next", headers=clerk)).json()
    assert called["number"] == ticket["number"] and called["number"] != walk_in["number"]
    # A code checks in once.
    status, again = await check_in(bhall, made["code"])
    assert status == 409 and error(again) == "used" and again["error"]["details"]["number"] == ticket["number"]


async def test_a_kiosk_retry_with_the_same_request_id_gets_the_same_ticket(bhall):
    made = await book(bhall)
    first = await check_in(bhall, made["code"], request_id="kiosk-1-abc")
    second = await check_in(bhall, made["code"], request_id="kiosk-1-abc")
    assert first[0] == 201 and second[0] == 201 and first[1]["ticket"]["id"] == second[1]["ticket"]["id"]
    assert bhall.count("tickets") == 1


async def test_check_in_windows(bhall):
    later = await book(bhall, slot="2026-11-25T14:00:00+08:00")
    status, data = await check_in(bhall, later["code"])
    assert status == 409 and error(data) == "too_early"
    assert data["error"]["details"]["come_back_time"] == "13:30" and "13:30" in data["error"]["message"]
    tomorrow = await book(bhall, slot="2026-11-26T09:00:00+08:00", phone="13900000001")
    status, data = await check_in(bhall, tomorrow["code"])
    assert status == 409 and data["error"]["details"]["come_back_time"] == "11月26日 08:30"
    cancelled = await book(bhall, slot=SLOT_1000, phone="13900000002")
    await bhall.client.post(f"/api/bookings/{cancelled['code']}/cancel", json={"phone": "13900000002"})
    status, data = await check_in(bhall, cancelled["code"])
    assert status == 409 and error(data) == "cancelled"
    status, data = await check_in(bhall, "ZZZZZZZZ")
    assert status == 404 and error(data) == "unknown_booking"
    # At 14:20 the 14:00 slot is 20 minutes old: past check_in_late, so a normal ticket, said plainly.
    bhall.clock.now = datetime(2026, 11, 25, 14, 20, tzinfo=SHANGHAI)
    status, data = await check_in(bhall, later["code"])
    assert status == 201 and not data["on_time"] and data["ticket"]["priority"] == "normal"
    assert "普通号" in data["message"]
    # The next day yesterday's booking is too late.
    bhall.clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
    bhall.clerk_tokens.clear()
    bhall.staff_tokens.clear()
    status, data = await check_in(bhall, cancelled["code"])
    assert status == 409 and error(data) == "cancelled"
    status, data = await check_in(bhall, tomorrow["code"])
    assert status == 201 and data["on_time"]


async def test_late_refuse_says_too_late(open_hall):
    hall = await open_hall(booking_data(late="refuse"))
    made = await book(hall)
    hall.clock.now = datetime(2026, 11, 25, 9, 46, tzinfo=SHANGHAI)
    status, data = await check_in(hall, made["code"])
    assert status == 409 and error(data) == "too_late"


async def test_the_reception_desk_checks_in_too_and_a_clerk_may_not(bhall):
    made = await book(bhall)
    status, data = await check_in(bhall, made["code"], await bhall.clerk(1))
    assert status == 403
    status, data = await check_in(bhall, made["code"], await bhall.reception())
    assert status == 201 and data["ticket"]["priority"] == "appointment"
    assert data["print"]["printed"] is False  # the test hall's desk has no printer
    found = await bhall.client.get("/api/admin/bookings", params={"phone": PHONE}, headers=await bhall.reception())
    listed = (await found.json())["bookings"]
    assert [b["code"] for b in listed] == [made["code"]] and listed[0]["status"] == "checked_in"


async def test_cancelling_a_used_booking_is_refused(bhall):
    made = await book(bhall)
    await check_in(bhall, made["code"])
    resp = await bhall.client.post(f"/api/bookings/{made['code']}/cancel", json={"phone": PHONE})
    assert resp.status == 409 and error(await resp.json()) == "booking_over"


# ---------------------------------------------------------------- SMS, missed bookings, erasure


def sms_lines(hall: Hall) -> list[dict]:
    path = hall.db_path.parent / "notify.log"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


async def wait_for_sms(hall: Hall, kind: str, count: int = 1) -> list[dict]:
    for _ in range(200):
        found = [m for m in sms_lines(hall) if m["kind"] == kind]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"no {kind} SMS in {sms_lines(hall)}")


async def test_confirmation_now_and_a_reminder_the_day_before(bhall):
    made = await book(bhall, slot="2026-11-26T10:00:00+08:00")
    confirmed = (await wait_for_sms(bhall, "booking_confirmed"))[0]
    assert confirmed["booking"] == made["code"] and confirmed["phone"] == "138****5678"
    assert made["code"] in confirmed["text"] and "11月26日 周四 10:00-10:30" in confirmed["text"]
    await desk_tidy(bhall)  # 09:00: too early for tomorrow's reminders
    assert not [m for m in sms_lines(bhall) if m["kind"] == "booking_reminder"]
    bhall.clock.now = datetime(2026, 11, 25, 18, 0, tzinfo=SHANGHAI)
    await desk_tidy(bhall)
    await desk_tidy(bhall)  # made once
    reminder = await wait_for_sms(bhall, "booking_reminder")
    assert len(reminder) == 1 and "明天" in reminder[0]["text"] and made["code"] in reminder[0]["text"]
    # Booked after the reminders went out: the confirmation says it all, no reminder follows.
    late = await book(bhall, slot="2026-11-26T10:30:00+08:00", phone="13900000001")
    await desk_tidy(bhall)
    await wait_for_sms(bhall, "booking_confirmed", 2)
    assert [m["booking"] for m in sms_lines(bhall) if m["kind"] == "booking_reminder"] == [made["code"]]
    assert late["code"]


async def test_missed_bookings_block_a_phone_when_the_hall_says_so(open_hall):
    hall = await open_hall(booking_data(no_show_limit=1, block_days=7))
    await book(hall)
    hall.clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
    await desk_tidy(hall)
    db = hall.db()
    assert db.execute("SELECT status FROM bookings").fetchone()[0] == "missed"
    refused = await book(hall, slot="2026-11-26T10:00:00+08:00", expect=409)
    assert error(refused) == "booking_blocked" and refused["error"]["details"]["until"] == "2026-12-02"
    await book(hall, slot="2026-11-26T10:00:00+08:00", phone="13900000001")  # another phone books


async def test_missed_is_counted_only_after_the_day_with_late_normal(bhall):
    made = await book(bhall)
    bhall.clock.now = datetime(2026, 11, 25, 11, 0, tzinfo=SHANGHAI)
    await desk_tidy(bhall)
    assert bhall.db().execute("SELECT status FROM bookings").fetchone()[0] == "booked"
    day = await (await bhall.client.get("/api/admin/bookings", headers=await bhall.manager())).json()
    assert day["bookings"][0]["overdue"] and day["totals"]["missed"] == 1
    bhall.clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
    bhall.staff_tokens.clear()
    await desk_tidy(bhall)
    assert bhall.db().execute("SELECT status FROM bookings").fetchone()[0] == "missed"
    status, data = await check_in(bhall, made["code"])
    assert status == 409 and error(data) == "too_late"


async def test_personal_data_is_masked_hashed_and_erased_after_keep_days(bhall, caplog):
    made = await book(bhall, id_number=ID_NUMBER)
    key = bhall.db_path.parent / "privacy.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and len(bytes.fromhex(key.read_text().strip())) == 32
    row = bhall.db().execute("SELECT id_hash, phone_hash FROM bookings").fetchone()
    assert re.fullmatch(r"[0-9a-f]{64}", row[0]) and row[0] != row[1]
    await bhall.client.get("/api/health")  # the WAL is written; the ID is in no page of the database
    for path in bhall.db_path.parent.iterdir():
        if path.is_file():
            assert ID_NUMBER.encode() not in path.read_bytes(), path
    listing = await (await bhall.client.get("/api/admin/bookings", headers=await bhall.manager())).json()
    assert listing["bookings"][0]["phone"] == "138****5678" and listing["bookings"][0]["name"] == "张*"
    with caplog.at_level(logging.INFO, logger="hallqueue.privacy"):
        shown = await bhall.client.get(
            f"/api/admin/bookings/{listing['bookings'][0]['id']}/phone", headers=await bhall.manager()
        )
    assert (await shown.json())["phone"] == PHONE and "shown to manager" in caplog.text
    assert PHONE not in caplog.text
    reception = await bhall.client.get(
        f"/api/admin/bookings/{listing['bookings'][0]['id']}/phone", headers=await bhall.reception()
    )
    assert reception.status == 403
    # keep_days (30) after the slot's day the server erases name, phone and hashes by itself.
    bhall.clock.now = datetime(2026, 12, 25, 9, 0, tzinfo=SHANGHAI)
    await desk_tidy(bhall)
    assert bhall.db().execute("SELECT name, phone FROM bookings").fetchone() == ("张三", PHONE)  # the 30th day
    bhall.clock.now = datetime(2026, 12, 26, 9, 0, tzinfo=SHANGHAI)
    await desk_tidy(bhall)
    db = bhall.db()
    assert db.execute("SELECT name, phone, phone_hash, id_hash, status FROM bookings").fetchone() == (
        None,
        None,
        None,
        None,
        "missed",
    )
    assert made["code"]


# ---------------------------------------------------------------- blocks


async def test_blocking_a_slot_lists_who_to_contact_and_refuses_new_bookings(bhall):
    made = await book(bhall, slot=SLOT_1000)
    manager = await bhall.manager()
    resp = await bhall.client.post(
        "/api/booking-blocks",
        json={"date": "2026-11-25", "service": "hukou", "slot_start": SLOT_1000, "reason": "业务培训"},
        headers=manager,
    )
    blocked = await resp.json()
    assert resp.status == 201, blocked
    assert [b["code"] for b in blocked["to_contact"]] == [made["code"]]
    assert blocked["to_contact"][0]["phone"] == "138****5678"
    refused = await book(bhall, slot=SLOT_1000, phone="13900000001", expect=409)
    assert error(refused) == "slot_unavailable"
    await book(bhall, slot=SLOT_0930, phone="13900000001")  # the other slots still take bookings
    day = await (await bhall.client.get("/api/admin/bookings", headers=manager)).json()
    ten = next(s for s in day["slots"] if s["start"] == SLOT_1000)
    assert ten["blocked"] and ten["booked"] == 1
    assert day["blocks"][0]["reason"] == "业务培训"
    events = bhall.db().execute("SELECT kind, actor FROM events WHERE kind LIKE 'bookings_%'").fetchall()
    assert events == [("bookings_blocked", "manager:manager")]
    gone = await bhall.client.delete(f"/api/booking-blocks/{day['blocks'][0]['id']}", headers=manager)
    assert gone.status == 204
    await book(bhall, slot=SLOT_1000, phone="13900000002")
    again = await bhall.client.delete(f"/api/booking-blocks/{day['blocks'][0]['id']}", headers=manager)
    assert again.status == 404
    # A whole day for every booking service.
    resp = await bhall.client.post(
        "/api/booking-blocks", json={"date": "2026-11-27", "reason": "闭馆"}, headers=manager
    )
    assert resp.status == 201
    services = await (await bhall.client.get("/api/booking/services")).json()
    friday = next(d for d in services["services"][0]["days"] if d["date"] == "2026-11-27")
    assert friday["open"] and friday["free"] == 0


async def test_public_booking_requests_are_rate_limited(open_hall):
    hall = await open_hall(booking_data(requests_per_minute=3))
    for _ in range(3):
        await hall.client.get("/api/bookings/ABCDEFGH", params={"phone": PHONE})
    resp = await hall.client.get("/api/bookings/ABCDEFGH", params={"phone": PHONE})
    assert resp.status == 429 and error(await resp.json()) == "booking_rate_limited"
    assert int(resp.headers["Retry-After"]) > 0


async def test_slots_of_a_holiday_are_none():
    from queue_server.core import booking
    from queue_server.core.model import Calendar

    config = parse_hall_config(booking_data())
    config = config.__class__(
        **{**config.__dict__, "calendar": Calendar(holidays={datetime(2026, 11, 26).date(): "测试假日"})}
    )
    service = config.services["hukou"]
    assert booking.slots_on(service, datetime(2026, 11, 26).date(), config) == []
    assert booking.slots_on(service, datetime(2026, 11, 25).date() + timedelta(days=2), config)


async def test_reports_count_bookings_check_ins_and_missed(bhall):
    used = await book(bhall)
    await check_in(bhall, used["code"])
    await book(bhall, slot=SLOT_1000, phone="13900000001")  # never comes
    gone = await book(bhall, slot=SLOT_1000, phone="13900000002")
    await bhall.client.post(f"/api/bookings/{gone['code']}/cancel", json={"phone": "13900000002"})
    bhall.clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
    await desk_tidy(bhall)
    manager = await bhall.manager()
    resp = await bhall.client.get("/api/reports", params={"from": "2026-11-25", "to": "2026-11-25"}, headers=manager)
    report = await resp.json()
    assert resp.status == 200, report
    assert report["bookings"]["total"] | {"label": ""} == {
        "service": None,
        "label": "",
        "booked": 2,
        "checked_in": 1,
        "on_time": 1,
        "missed": 1,
        "cancelled": 1,
    }
    assert [r["label"] for r in report["bookings"]["rows"]] == ["户口迁移"]
    other = await bhall.client.get(
        "/api/reports", params={"from": "2026-11-25", "to": "2026-11-25", "department": "sw"}, headers=manager
    )
    assert (await other.json())["bookings"]["total"]["booked"] == 0
    xlsx = await bhall.client.get(
        "/api/reports", params={"from": "2026-11-25", "to": "2026-11-25", "format": "xlsx"}, headers=manager
    )
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(await xlsx.read()))["预约"]
    assert [c.value for c in sheet[3]] == ["户口迁移", 2, 1, 1, 1, 1]


async def test_one_slot_may_be_blocked_for_every_booking_service(bhall):
    manager = await bhall.manager()
    resp = await bhall.client.post(
        "/api/booking-blocks",
        json={"date": "2026-11-26", "slot_start": "2026-11-26T10:00:00+08:00", "reason": "停电检修"},
        headers=manager,
    )
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["block"]["service_name"] == "全部预约业务"
    refused = await book(bhall, slot="2026-11-26T10:00:00+08:00", expect=409)
    assert error(refused) == "slot_unavailable"
    nowhere = await bhall.client.post(
        "/api/booking-blocks",
        json={"date": "2026-11-26", "slot_start": "2026-11-26T10:10:00+08:00", "reason": "x"},
        headers=manager,
    )
    assert nowhere.status == 409 and error(await nowhere.json()) == "slot_unavailable"
