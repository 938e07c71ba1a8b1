"""The 预约 page on a visitor's phone (/book, /book/CODE) in headless Chromium at 390×844, against
the test hall's real server (in this process, on 127.0.0.1, its clock set to a Wednesday 09:00):
book a slot end to end and get the code and its QR, look the booking up and cancel it, a refusal
(422) shown at the field it names, a full slot shown full (and a slot filled while the visitor
was typing), and the page's own words for a server that went away and for too many requests.
Every answer the page gets is checked against the API contract (the conftest's client)."""

from __future__ import annotations

import re

import pytest

from queue_server.config.hall_file import parse_hall_config

from .browser import chromium
from .conftest import ARTIFACTS, hall_data

PHONE = {"width": 390, "height": 844}
SERVICE = "hukou"
THURSDAY = "2026-11-26"  # the clock is Wednesday 2026-11-25 09:00 (conftest.OPENING)
SATURDAY = "2026-11-28"
CODE = re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$")
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""
# Interactive elements on screen smaller than a fingertip (a checkbox's target is its label).
SMALL_TARGETS = """() => Array.from(document.querySelectorAll('button, a, input, select, textarea'))
  .filter((e) => e.offsetParent !== null && e.type !== 'checkbox')
  .filter((e) => { const r = e.getBoundingClientRect(); return r.height < 44 || r.width < 44; })
  .map((e) => e.id || e.textContent.trim())"""
WIDE = "() => document.scrollingElement.scrollWidth > window.innerWidth"


@pytest.fixture
def hall_config():
    """The test hall with 户口迁移 taking bookings: half-hour slots, two places each, six days ahead."""
    data = hall_data()
    for service in data["services"]:
        if service["code"] == SERVICE:
            service["booking"] = {"slot_minutes": 30, "per_slot": 2, "days_ahead": 6}
    data["booking"] = {"requests_per_minute": 1000}
    return parse_hall_config(data, "test-hall.toml")


def url(hall, path: str) -> str:
    return str(hall.client.make_url(path))


async def api(hall, method: str, path: str, body=None) -> tuple[int, dict]:
    resp = await hall.client.request(method, path, json=body)
    return resp.status, await resp.json()


async def slots(hall, date: str = THURSDAY) -> list[dict]:
    status, answer = await api(hall, "GET", f"/api/booking/slots?service={SERVICE}&date={date}")
    assert status == 200, answer
    return answer["slots"] if isinstance(answer, dict) else answer


async def book_via_api(hall, slot_start: str, phone: str, name: str = "李四") -> dict:
    body = {"service": SERVICE, "slot_start": slot_start, "name": name, "phone": phone}
    status, answer = await api(hall, "POST", "/api/bookings", body)
    assert status == 201, answer
    return answer


class Watched:
    """A page with its console errors, uncaught exceptions and CSP violations recorded."""

    def __init__(self, page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.failed: list[str] = []  # answers of 400 and up, by status and address
        page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    async def check(self, refused: tuple[int, ...] = ()) -> None:
        """No violation, no script error; a refusal the test asked for (``refused``: its HTTP
        statuses) logs Chromium's own "Failed to load resource" line, and nothing else may. Each check
        covers what happened since the one before."""
        assert await self.page.evaluate("() => window.__violations") == []
        allowed = tuple(f"the server responded with a status of {s}" for s in refused)
        unexpected = [
            e for e in self.errors if not (allowed and "Failed to load resource" in e and any(a in e for a in allowed))
        ]
        assert unexpected == [], self.failed
        self.errors.clear()
        self.failed.clear()
        assert not await self.page.evaluate(WIDE)


async def phone_page(browser, viewport=PHONE) -> Watched:
    context = await browser.new_context(viewport=viewport, is_mobile=viewport["width"] < 500, has_touch=True)
    await context.add_init_script(RECORD_VIOLATIONS)
    return Watched(await context.new_page())


async def small_targets(page) -> list[str]:
    return await page.evaluate(SMALL_TARGETS)


async def choose_service_and_day(page, date: str = THURSDAY) -> None:
    await page.tap(f"#services button[data-service='{SERVICE}']")
    await page.wait_for_selector("#step-day", state="visible")
    await page.tap(f"#days button[data-date='{date}']")
    await page.wait_for_selector("#slots button")


async def fill_form(page, name: str, phone: str, id_number: str = "") -> None:
    await page.fill("#name", name)
    await page.fill("#phone", phone)
    await page.fill("#id_number", id_number)
    if not await page.is_checked("#agree"):
        await page.tap("label[for='agree']")


async def test_book_a_slot_then_look_it_up_and_cancel_it(hall):
    ARTIFACTS.mkdir(exist_ok=True)
    async with chromium() as browser:
        w = await phone_page(browser)
        page = w.page
        await page.goto(url(hall, "/book"))
        # 选择业务: the services that take bookings, with department and hours.
        await page.wait_for_selector("#services button")
        offered = await page.eval_on_selector_all("#services button", "(bs) => bs.map((b) => b.dataset.service)")
        assert offered == [SERVICE]
        card = await page.text_content(f"#services button[data-service='{SERVICE}']")
        assert "户口迁移" in card and "市公安局" in card and "08:30" in card
        await page.wait_for_function("() => document.getElementById('hall').textContent !== ''")
        assert await page.text_content("#hall") == "测试政务服务中心"
        assert await small_targets(page) == []
        await page.screenshot(path=str(ARTIFACTS / "book-services-390x844.png"))

        # 选择日期: the weekend is shown, closed, and says why.
        await page.tap(f"#services button[data-service='{SERVICE}']")
        await page.wait_for_selector("#step-day", state="visible")
        saturday = page.locator(f"#days button[data-date='{SATURDAY}']")
        assert await saturday.is_disabled()
        assert "休息" in await saturday.text_content()
        thursday = page.locator(f"#days button[data-date='{THURSDAY}']")
        assert await thursday.is_enabled()
        assert "11月26日" in await thursday.text_content() and "周四" in await thursday.text_content()
        assert "今天" in await page.text_content("#days button[data-date='2026-11-25']")
        assert await small_targets(page) == []
        await page.screenshot(path=str(ARTIFACTS / "book-days-390x844.png"))

        # 选择时段: the day's slots, each with its free places.
        await thursday.tap()
        await page.wait_for_selector("#slots button")
        first = (await slots(hall))[0]
        button = page.locator(f"#slots button[data-start='{first['start']}']")
        assert first["label"] in await button.text_content()
        assert f"余 {first['free']} 个" in await button.text_content()
        assert await small_targets(page) == []
        await page.screenshot(path=str(ARTIFACTS / "book-slots-390x844.png"))
        await button.tap()

        # 填写信息: the page checks the mobile number itself first.
        await page.wait_for_selector("#step-form", state="visible")
        assert "30" in await page.text_content("#privacy") and "删除" in await page.text_content("#privacy")
        assert "散列" in await page.text_content("#id-note")
        await fill_form(page, "张三", "1381234")
        await page.tap("#submit")
        assert await page.text_content("#phone-error") == "请填写 11 位手机号码，如 13812345678"
        await fill_form(page, "张三", "138 1234 5678")
        assert await small_targets(page) == []
        await page.screenshot(path=str(ARTIFACTS / "book-form-390x844.png"), full_page=True)
        await page.tap("#submit")

        # 预约成功: the code in big letters, the slot, when to come, the QR from the server.
        await page.wait_for_selector("#step-done", state="visible")
        code = (await page.text_content("#done-code")).strip()
        assert CODE.match(code)
        size = await page.evaluate("() => parseFloat(getComputedStyle(document.getElementById('done-code')).fontSize)")
        assert size >= 36
        assert await page.text_content("#done-service") == "户口迁移"
        assert await page.text_content("#done-date") == "11月26日 周四"
        assert await page.text_content("#done-time") == first["label"]
        checkin = await page.text_content("#done-checkin")
        assert checkin.startswith(f"请于 11月26日 周四 {first['label'][:5]} 前后到大厅取号机扫码或输入预约码取号")
        await page.wait_for_function(
            "() => { const i = document.getElementById('done-qr'); return i.complete && i.naturalWidth > 0; }"
        )
        assert (await page.get_attribute("#done-qr", "src")).endswith(".svg")
        assert "短信" in await page.text_content("#done-sms")
        await page.tap("#done-save")
        assert "截屏" in await page.text_content("#done-save-hint")
        assert await small_targets(page) == []
        await page.screenshot(path=str(ARTIFACTS / "book-done-390x844.png"), full_page=True)
        status, booking = await api(hall, "GET", f"/api/bookings/{code}?phone=13812345678")
        assert status == 200 and booking["status"] == "booked" and booking["slot_start"] == first["start"]
        await w.check()

        # 我的预约 from the link /book/CODE: the code is filled in; a wrong phone finds nothing.
        await page.goto(url(hall, f"/book/{code}"))
        await page.wait_for_selector("#mine-view", state="visible")
        assert await page.input_value("#lookup-code") == code
        await page.fill("#lookup-phone", "13900000000")
        await page.tap("#lookup-send")
        await page.wait_for_function("() => document.getElementById('lookup-error').textContent !== ''")
        assert await page.text_content("#lookup-error") == "没有找到这个预约，请核对预约码和手机号码。"
        await page.fill("#lookup-phone", "13812345678")
        await page.tap("#lookup-send")
        await page.wait_for_selector("#found", state="visible")
        assert await page.text_content("#found-status") == "已预约"
        assert await page.text_content("#found-time") == first["label"]
        assert await page.is_visible("#found-qr")
        await page.tap("#cancel")
        assert await page.is_visible("#confirm")  # nothing is cancelled before the second tap
        await page.tap("#confirm-no")
        assert await page.is_hidden("#confirm") and await page.is_visible("#cancel")
        await page.tap("#cancel")
        await page.tap("#confirm-yes")
        await page.wait_for_function("() => document.getElementById('found-status').textContent === '已取消'")
        assert await page.is_hidden("#cancel") and await page.is_hidden("#found-qr")
        assert "已取消预约" in await page.text_content("#found-message")
        await page.screenshot(path=str(ARTIFACTS / "book-cancelled-390x844.png"), full_page=True)
        status, booking = await api(hall, "GET", f"/api/bookings/{code}?phone=13812345678")
        assert status == 200 and booking["status"] == "cancelled"
        await w.check(refused=(404,))

        # The place is free again: the slot offers both.
        await page.goto(url(hall, "/book"))
        await page.wait_for_selector("#services button")
        await choose_service_and_day(page)
        assert f"余 {first['capacity']} 个" in await page.text_content(f"#slots button[data-start='{first['start']}']")
        await w.check()


async def test_a_refusal_is_shown_at_the_field_it_names(hall):
    start = (await slots(hall))[1]["start"]
    # What the server says of each, asked directly: the page shows the same words at the field.
    body = {"service": SERVICE, "slot_start": start, "name": "王五"}
    status, bad_phone = await api(hall, "POST", "/api/bookings", {**body, "phone": "12345678901"})
    assert status == 422 and bad_phone["error"]["code"] == "invalid_phone"
    status, bad_id = await api(
        hall, "POST", "/api/bookings", {**body, "phone": "13700001111", "id_number": "110101199003070000"}
    )
    assert status == 422 and bad_id["error"]["code"] == "invalid_id_number"
    async with chromium() as browser:
        w = await phone_page(browser)
        page = w.page
        await page.goto(url(hall, "/book"))
        await page.wait_for_selector("#services button")
        await choose_service_and_day(page)
        await page.tap(f"#slots button[data-start='{start}']")
        # 11 digits pass the page's check; the server refuses a number that starts 12.
        await fill_form(page, "王五", "12345678901")
        await page.tap("#submit")
        await page.wait_for_function("() => document.getElementById('phone-error').textContent !== ''")
        assert await page.text_content("#phone-error") == bad_phone["error"]["message"]
        assert await page.get_attribute("#phone", "aria-invalid") == "true"
        assert await page.text_content("#name-error") == ""
        await page.screenshot(path=str(ARTIFACTS / "book-invalid-phone-390x844.png"), full_page=True)
        # An ID number whose check character is wrong: refused at its own field.
        await fill_form(page, "王五", "13700001111", "110101199003070000")
        assert await page.text_content("#phone-error") == ""  # typing cleared the old refusal
        await page.tap("#submit")
        await page.wait_for_function("() => document.getElementById('id_number-error').textContent !== ''")
        assert await page.text_content("#id_number-error") == bad_id["error"]["message"]
        assert await page.is_visible("#step-form")
        await w.check(refused=(422,))
        # One booking per phone per service per day: said in plain words, with the way to the first.
        other = (await slots(hall))[2]["start"]
        await book_via_api(hall, other, "13700001111")
        await fill_form(page, "王五", "137 0000 1111")
        await page.tap("#submit")
        await page.wait_for_function("() => document.getElementById('form-error').textContent !== ''")
        assert (await page.text_content("#form-error")).startswith("您这一天已经预约过这项业务了")
        await page.tap("#form-mine")
        await page.wait_for_selector("#mine-view", state="visible")
        assert await page.input_value("#lookup-phone") == "13700001111"
        await w.check(refused=(409,))


async def test_a_full_slot_is_shown_full(hall):
    first, second = (await slots(hall))[:2]
    # The first slot's two places are taken through the API before the visitor looks.
    for phone in ("13600000001", "13600000002"):
        await book_via_api(hall, first["start"], phone)
    async with chromium() as browser:
        w = await phone_page(browser)
        page = w.page
        await page.goto(url(hall, "/book"))
        await page.wait_for_selector("#services button")
        await choose_service_and_day(page)
        full = page.locator(f"#slots button[data-start='{first['start']}']")
        assert await full.is_disabled()
        assert "已约满" in await full.text_content()
        await page.screenshot(path=str(ARTIFACTS / "book-slot-full-390x844.png"))
        # The second slot fills while the visitor types: the page says so and shows it full.
        await page.tap(f"#slots button[data-start='{second['start']}']")
        await fill_form(page, "赵六", "13500000000")
        for phone in ("13600000003", "13600000004"):
            await book_via_api(hall, second["start"], phone)
        await page.tap("#submit")
        await page.wait_for_selector("#slots-message", state="visible")
        assert "约满" in await page.text_content("#slots-message")
        assert await page.is_visible("#step-slot")
        later = page.locator(f"#slots button[data-start='{second['start']}']")
        await page.wait_for_function(
            "(s) => { const b = document.querySelector(`#slots button[data-start='${s}']`); return b && b.disabled; }",
            arg=second["start"],
        )
        assert "已约满" in await later.text_content()
        await w.check(refused=(409,))


async def test_a_server_gone_and_too_many_requests_are_said_plainly(hall):
    async with chromium() as browser:
        w = await phone_page(browser)
        page = w.page
        # The server cannot be reached: the page says so and offers 重试, which then works.
        await page.route("**/api/booking/services", lambda route: route.abort("connectionrefused"))
        await page.goto(url(hall, "/book"))
        await page.wait_for_selector("#problem", state="visible")
        assert "连不上服务器" in await page.text_content("#problem-text")
        assert await page.is_visible("#problem-retry")
        assert not await page.evaluate(WIDE)
        await page.screenshot(path=str(ARTIFACTS / "book-offline-390x844.png"))
        await page.unroute("**/api/booking/services")
        await page.tap("#problem-retry")
        await page.wait_for_selector("#services button")
        assert await page.is_hidden("#problem")
        # 429 booking_rate_limited, as the server sends it: waiting is asked for, in seconds.
        await choose_service_and_day(page)
        await page.tap("#slots button:not([disabled])")
        await fill_form(page, "钱七", "13800000007")

        async def limited(route):
            body = '{"error": {"code": "booking_rate_limited", "message": "请求过于频繁"}}'
            await route.fulfill(status=429, body=body, content_type="application/json", headers={"Retry-After": "42"})

        await page.route("**/api/bookings", limited)
        await page.tap("#submit")
        await page.wait_for_function("() => document.getElementById('form-error').textContent !== ''")
        assert await page.text_content("#form-error") == "操作太频繁了，请等 42 秒后再试。"
        assert await page.is_hidden("#problem")  # nothing to retry: the visitor waits, then taps again
        assert await page.is_visible("#step-form")
        await page.unroute("**/api/bookings")
        errors = [e for e in w.errors if "Failed to load resource" not in e and "ERR_CONNECTION_REFUSED" not in e]
        assert errors == []
        assert await page.evaluate("() => window.__violations") == []


@pytest.mark.parametrize("viewport", [{"width": 360, "height": 740}, {"width": 1280, "height": 800}])
async def test_the_page_fits_a_small_phone_and_a_desktop(hall, viewport):
    async with chromium() as browser:
        w = await phone_page(browser, viewport)
        page = w.page
        await page.goto(url(hall, "/book"))
        await page.wait_for_selector("#services button")
        assert not await page.evaluate(WIDE)
        await choose_service_and_day(page)
        assert not await page.evaluate(WIDE)
        assert await small_targets(page) == []
        await page.tap("#slots button:not([disabled])")
        await page.wait_for_selector("#step-form", state="visible")
        assert await small_targets(page) == []
        name = f"book-form-{viewport['width']}x{viewport['height']}.png"
        await page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        await w.check()
