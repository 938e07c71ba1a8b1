"""预约 on the staff pages, in real headless Chromium against a real server process: the hall
manager's 今日预约 (counts per slot, the list, 查看号码, 停约 and the bookings it falls on) and the
reception desk's 预约签到 (by code, by phone). Bookings are made through the public API, in slots
taken from the server's own answer (its clock, not the test's)."""

from __future__ import annotations

import aiohttp
import pytest

from .browser import chromium
from .conftest import ARTIFACTS, PASSWORD, provision
from .serverproc import ALL_DAY_HALL, ServerProcess

HUKOU = 'code = "hukou"\nname = "户口迁移"\ndepartment = "gaj"\nprefix = "A"\n'
IDCARD = 'code = "idcard"\nname = "居民身份证"\ndepartment = "gaj"\nprefix = "A"\n'
RULES = """
[booking]
check_in_early = 60
check_in_late = 15
"""
PHONES = ["13800138001", "13800138002", "13800138003", "13800138004", "13900139005"]


def booking_hall() -> str:
    text = ALL_DAY_HALL.replace(
        'hours = { daily = ["00:00-24:00"] }', 'hours = { daily = ["00:00-24:00"] }\nreception_printer = "dummy:"'
    )
    text = text.replace(HUKOU, HUKOU + "booking = { slot_minutes = 30, per_slot = 4, days_ahead = 2 }\n")
    text = text.replace(IDCARD, IDCARD + "booking = { slot_minutes = 60, per_slot = 2, days_ahead = 2 }\n")
    assert text.count("booking = {") == 2
    return text + RULES


@pytest.fixture
async def server(tmp_path):
    config = tmp_path / "hall.toml"
    config.write_text(booking_hall(), encoding="utf-8")
    provision(tmp_path / "hall.db", [1])
    proc = ServerProcess(tmp_path / "hall.db", config, tmp_path / "server.log")
    await proc.start()
    yield proc
    proc.stop()


async def call(server, method: str, path: str, body=None, token: str | None = None, expect: int = 200) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, server.url + path, json=body, headers=headers) as resp,
    ):
        assert resp.status == expect, (resp.status, await resp.text())
        return await resp.json()


async def first_slot(server, service: str) -> dict:
    """The service's first bookable slot, as the server offers it now (its date with it)."""
    offered = await call(server, "GET", "/api/booking/services")
    entry = next(s for s in offered["services"] if s["code"] == service)
    for day in entry["days"]:
        if not day["free"]:
            continue
        slots = await call(server, "GET", f"/api/booking/slots?service={service}&date={day['date']}")
        for slot in slots["slots"]:
            if slot["bookable"]:
                return {**slot, "date": day["date"]}
    raise AssertionError(f"nothing bookable: {offered}")


async def tomorrows_slot(server, service: str) -> dict:
    offered = await call(server, "GET", "/api/booking/services")
    day = next(s for s in offered["services"] if s["code"] == service)["days"][1]["date"]
    slots = await call(server, "GET", f"/api/booking/slots?service={service}&date={day}")
    return {**next(x for x in slots["slots"] if x["bookable"]), "date": day}


async def book(server, service: str, slot: dict, name: str, phone: str) -> dict:
    body = {"service": service, "slot_start": slot["start"], "name": name, "phone": phone}
    return await call(server, "POST", "/api/bookings", body, expect=201)


async def until_text(page, selector: str, text: str) -> None:
    await page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)", arg=[selector, text]
    )


async def sign_in(page, server, login: str, path: str) -> None:
    await page.goto(server.url + path)
    await page.fill("#login-name", login)
    await page.fill("#login-password", PASSWORD)
    if path == "/clerk":
        await page.wait_for_selector("#login-window option[value='1']", state="attached")
        await page.select_option("#login-window", "")  # 咨询台: no window
    await page.click("#login button[type=submit]")


async def cells(page, selector: str) -> list[str]:
    return [t.strip() for t in await page.locator(f"{selector} td").all_text_contents()]


async def assert_nothing_clipped(page, width: int) -> None:
    """The 今日预约 card and every table in it fit the screen's width: no part cut off, no
    sideways scrolling."""
    box = await page.locator("#bookings-card").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    over = await page.evaluate(
        """(s) => [...document.querySelectorAll(s)]
                   .filter((e) => e.scrollWidth > e.clientWidth + 1)
                   .map((e) => `${e.className || e.id}: ${e.scrollWidth} > ${e.clientWidth}`)""",
        "#bookings-card .scroll, #bookings-card .bookings-grid > div, #bookings-card form, #blocks, #block-result, "
        ".contacts li",
    )
    assert over == [], over
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= width


async def test_the_manager_sees_the_days_bookings_and_blocks_a_slot(server, tmp_path):
    slot = await first_slot(server, "hukou")
    waiting = await book(server, "hukou", slot, "张三丰", PHONES[0])
    arrived = await book(server, "hukou", slot, "李四", PHONES[1])
    dropped = await book(server, "hukou", slot, "王五", PHONES[2])
    await call(server, "POST", f"/api/bookings/{dropped['code']}/cancel", {"phone": PHONES[2]})
    reception = (await call(server, "POST", "/api/login", {"login": "reception", "password": PASSWORD}))["token"]
    checked = await call(server, "POST", f"/api/bookings/{arrived['code']}/check-in", {}, reception, expect=201)
    number = checked["ticket"]["number"]

    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await sign_in(page, server, "manager", "/admin")
        await page.wait_for_selector("#bookings-card")
        if await page.input_value("#bookings-date") != slot["date"]:  # the first slot is tomorrow's
            await page.fill("#bookings-date", slot["date"])
            await page.dispatch_event("#bookings-date", "change")
        row = f"#booking-slots tr[data-slot='hukou@{slot['start']}']"
        await page.wait_for_selector(row)
        # 时段, 可约, 已约 (every booking not cancelled), 已签到, 未到, 已取消, 状态
        assert (await cells(page, row))[:6] == [slot["label"], "4", "2", "1", "0", "1"]
        assert (await cells(page, row))[6] in ("可预约", "进行中")  # it may have begun since

        # The list: every booking of the day, names and phones masked, the ticket once checked in.
        listed = {
            b["code"]: await page.text_content(f"#booking-list tr:has-text('{b['code']}')")
            for b in (waiting, arrived, dropped)
        }
        assert "张**" in listed[waiting["code"]] and "已预约" in listed[waiting["code"]]
        assert "张三丰" not in listed[waiting["code"]] and PHONES[0] not in listed[waiting["code"]]
        assert number in listed[arrived["code"]] and "已签到" in listed[arrived["code"]]
        assert "已取消" in listed[dropped["code"]]
        assert "138****8001" in listed[waiting["code"]]

        # 查看号码: the whole number, from the server (which logs the showing).
        row_of_waiting = page.locator("#booking-list tr", has_text=waiting["code"])
        await row_of_waiting.locator(".reveal").click()
        await row_of_waiting.filter(has_text=PHONES[0]).wait_for()
        assert await row_of_waiting.locator(".reveal").text_content() == "隐藏号码"

        # 停约 of this slot for 户口迁移: the answer names the visitor still to come, to be called.
        await page.select_option("#block-service", "hukou")
        await page.select_option("#block-slot", slot["start"])
        await page.click("#block-reasons button:has-text('培训')")
        assert await page.input_value("#block-reason") == "培训"
        await page.click("#block-form button[type=submit]")
        await until_text(page, "#block-result", "需联系的预约 1 个")
        contacts = await page.text_content("#block-contacts")
        assert waiting["code"] in contacts and arrived["code"] not in contacts and dropped["code"] not in contacts
        await until_text(page, row, "停约")
        await until_text(page, row, "培训")
        await until_text(page, "#blocks", "户口迁移")
        assert slot["label"] in await page.text_content("#blocks")
        # Closed to new bookings too.
        refused = await call(
            server,
            "POST",
            "/api/bookings",
            {"service": "hukou", "slot_start": slot["start"], "name": "赵六", "phone": PHONES[3]},
            expect=409,
        )
        assert refused["error"]["code"] == "slot_unavailable"

        await assert_nothing_clipped(page, 1920)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.locator("#bookings-card").screenshot(path=str(ARTIFACTS / "admin-bookings-1920.png"))
        await page.set_viewport_size({"width": 1366, "height": 768})
        await assert_nothing_clipped(page, 1366)
        await page.locator("#bookings-card").screenshot(path=str(ARTIFACTS / "admin-bookings-1366.png"))

        # 解除, with a confirm step: the slot takes bookings again.
        await page.click("#blocks button[data-unblock]")
        await until_text(page, "#blocks button[data-unblock]", "确认解除")
        await page.click("#blocks button[data-unblock]")
        await until_text(page, "#message", "已解除停约")
        await until_text(page, "#blocks", "当天没有停约")
        await until_text(page, row, "可预约")
        await book(server, "hukou", slot, "赵六", PHONES[3])


async def test_the_reception_desk_checks_bookings_in_by_code_and_by_phone(server):
    slot = await first_slot(server, "hukou")
    first = await book(server, "hukou", slot, "张三丰", PHONES[0])
    idslot = await first_slot(server, "idcard")
    second = await book(server, "idcard", idslot, "李四", PHONES[4])
    later = await book(server, "hukou", await tomorrows_slot(server, "hukou"), "赵六", PHONES[3])

    async with chromium() as browser:
        desk = await browser.new_page(viewport={"width": 1366, "height": 768})
        await sign_in(desk, server, "reception", "/clerk")
        await desk.wait_for_selector("#booking-desk:not(.hidden)")

        # By code, typed in lower case: an appointment ticket (预约号), printed.
        await desk.fill("#check-in-code", first["code"].lower())
        await desk.click("#check-in-form button[type=submit]")
        await until_text(desk, "#check-in-result", "预约号")
        number = (await desk.text_content("#check-in-number")).strip()
        assert number.startswith("A"), number
        result = await desk.text_content("#check-in-result")
        assert "户口迁移" in result and slot["label"] in result and "号票已打印" in result
        assert await desk.input_value("#check-in-code") == ""

        # The same code again: said plainly, with the number it gave.
        await desk.fill("#check-in-code", first["code"])
        await desk.press("#check-in-code", "Enter")
        await until_text(desk, "#check-in-result", number)
        assert "check-in-result error" in await desk.get_attribute("#check-in-result", "class")

        # A code nobody booked, and one that cannot be a code.
        await desk.fill("#check-in-code", "ABCD2345")
        await desk.click("#check-in-form button[type=submit]")
        await until_text(desk, "#check-in-result", "预约 ABCD2345：没有找到这个预约")
        await desk.fill("#check-in-code", "ABC123")
        await desk.click("#check-in-form button[type=submit]")
        await until_text(desk, "#check-in-result", "预约码是 8 位")

        # Tomorrow's booking, scanned from its QR: too early, and when to come back.
        await desk.fill("#check-in-code", f"HQB:{later['code']}")
        await desk.press("#check-in-code", "Enter")
        await until_text(desk, "#check-in-result", "后再来签到")
        assert f"预约 {later['code']}：" in await desk.text_content("#check-in-result")

        # No code: the phone finds today's bookings, and 签到 checks the one still booked in.
        await desk.fill("#lookup-phone", "139 0013 9005")
        await desk.click("#booking-lookup button[type=submit]")
        await desk.wait_for_selector(f"#lookup-rows tr[data-booking='{second['code']}']")
        assert "居民身份证" in await desk.text_content("#lookup-rows")
        await desk.click(f"#lookup-rows button[data-check-in='{second['code']}']")
        await until_text(desk, "#check-in-result", "居民身份证")
        await until_text(desk, f"#lookup-rows tr[data-booking='{second['code']}']", "已签到")
        assert await desk.locator("#lookup-rows button[data-check-in]").count() == 0

        await desk.fill("#lookup-phone", PHONES[3])
        await desk.click("#booking-lookup button[type=submit]")
        await until_text(desk, "#lookup-result", "今天没有预约")
        ARTIFACTS.mkdir(exist_ok=True)
        await desk.screenshot(path=str(ARTIFACTS / "reception-bookings.png"), full_page=True)
