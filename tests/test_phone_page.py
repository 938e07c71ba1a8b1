"""The ticket page on a visitor's phone (/t/CODE) in headless Chromium at 390×844, against the
sample hall's real server: live updates, 快到您了 and the call alerting the visitor (vibration
is the browser's own API, recorded by a stub), the poll when the browser has no EventSource,
and 扫码评价 after 办结."""

from __future__ import annotations

import pytest

from .browser import chromium
from .conftest import ARTIFACTS
from .fullhall import FullHall

PHONE = {"width": 390, "height": 844}
# The browser's vibration API, recorded: the page calls it, the test reads what it asked for.
RECORD_VIBRATION = """
window.__vibrations = [];
Object.defineProperty(navigator, "vibrate", {
  configurable: true,
  value: function (pattern) { window.__vibrations.push(pattern); return true; }
});
"""
NO_EVENT_SOURCE = "delete window.EventSource; window.EventSource = undefined;"


@pytest.fixture
async def hall(tmp_path):
    hall = FullHall(tmp_path)
    await hall.start()
    try:
        yield hall
    finally:
        hall.stop()


async def headline(page) -> str:
    return (await page.text_content("#headline")).strip()


async def wait_headline(page, start: str, timeout: float = 5000) -> None:
    await page.wait_for_function(
        "(start) => document.getElementById('headline').textContent.indexOf(start) === 0", arg=start, timeout=timeout
    )


async def test_the_phone_follows_the_queue_and_alerts_the_visitor(hall):
    ARTIFACTS.mkdir(exist_ok=True)
    service, window = hall.one_window_service()
    clerk = await hall.clerk_at(window)
    tickets = await hall.issue(service, 5)
    mine = tickets[-1]
    async with chromium() as browser:
        context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        await context.add_init_script(RECORD_VIBRATION)
        page = await context.new_page()
        async with page.expect_response(lambda r: r.url.endswith("/events")):
            await page.goto(hall.url + mine["status_path"])
        assert (await headline(page)).startswith("前面还有 4 人，预计等候约")
        assert await page.is_visible("#serving-box") and await page.is_hidden("#rate-box")
        await page.tap("#alerts")
        assert await page.is_visible("#alerts-on")
        # 短信提醒: a wrong number is said in Chinese; a right one is shown masked.
        await page.fill("#sms-input", "1234")
        await page.tap("#sms-send")
        assert await page.text_content("#sms-msg") == "请填写 11 位手机号码，如 13812345678"
        await page.fill("#sms-input", "138 1234 5678")
        await page.tap("#sms-send")
        await page.wait_for_selector("#sms-left", state="visible")
        assert await page.text_content("#sms-phone") == "138****5678"
        # One call: 3 ahead, 快到您了 — the phone vibrates once and the title flashes.
        await hall.api("POST", f"/api/windows/{window}/call-next", clerk)
        await wait_headline(page, "快到您了：前面还有 3 人")
        await page.wait_for_function("() => window.__vibrations.length === 2")  # the tap's, then this one
        await page.wait_for_function("() => document.title.indexOf('【快到您了】') === 0")
        assert await page.evaluate("() => document.getElementById('ticket').className") == "status-waiting soon"
        serving = await page.locator("#serving li").all_text_contents()
        assert serving == [f"{window} 号窗口{tickets[0]['number']}"]
        # Called: the window in large type, another vibration.
        for t in tickets[:-1]:
            await hall.api("POST", f"/api/tickets/{t['id']}/finish", clerk)
            await hall.api("POST", f"/api/windows/{window}/call-next", clerk)
        await wait_headline(page, f"请到 {window} 号窗口办理")
        await page.wait_for_function("() => window.__vibrations.length === 3")
        size = await page.evaluate("() => parseFloat(getComputedStyle(document.getElementById('headline')).fontSize)")
        assert size >= 32
        zone = hall.config.windows[window].zone
        assert zone in await page.text_content("#detail")
        assert await page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth")
        assert await page.is_hidden("#serving-box")
        await page.screenshot(path=str(ARTIFACTS / "phone-called-390x844.png"))
        # The reminders went out through the sample hall's log sink, the number masked there.
        log = (hall.folder / "notify.log").read_text(encoding="utf-8")
        assert "138****5678" in log and "13812345678" not in log
        assert f"请 {mine['number']} 号到 {window} 号窗口" in log
        # 办结: the rating, on the phone. A low rating needs a reason, then is thanked.
        await hall.api("POST", f"/api/tickets/{mine['id']}/finish", clerk)
        await wait_headline(page, "已办结")
        await page.wait_for_selector("#rate-box", state="visible")
        await page.tap(".level-2")
        await page.tap("#rate-send")
        assert await page.text_content("#rate-msg") == "请至少选择一个不满意的原因"
        await page.tap("input[value='等候时间']")
        await page.fill("#callback", "138 1234 5678")
        await page.screenshot(path=str(ARTIFACTS / "phone-rating-390x844.png"), full_page=True)
        await page.tap("#rate-send")
        await page.wait_for_selector("#rated", state="visible")
        assert "回访" in await page.text_content("#rated")
        assert await page.is_hidden("#rate-box")
        overview = await hall.api("GET", "/api/admin/overview", await hall.staff("manager"))
        assert [f["number"] for f in overview["followups"]] == [mine["number"]]
        await context.close()


async def test_without_event_source_the_page_polls(hall):
    service, window = hall.one_window_service()
    clerk = await hall.clerk_at(window)
    [mine] = await hall.issue(service)
    async with chromium() as browser:
        context = await browser.new_context(viewport=PHONE, is_mobile=True)
        await context.add_init_script(NO_EVENT_SOURCE)
        page = await context.new_page()
        await page.goto(hall.url + mine["status_path"])
        assert await page.evaluate("() => typeof window.EventSource") == "undefined"
        await hall.api("POST", f"/api/windows/{window}/call-next", clerk)
        await wait_headline(page, f"请到 {window} 号窗口办理", timeout=15000)  # the poll runs every 5 s
        await context.close()


async def test_an_unknown_code_says_so_in_chinese(hall):
    async with chromium() as browser:
        page = await browser.new_page(viewport=PHONE, is_mobile=True)
        resp = await page.goto(hall.url + "/t/nosuchcode")
        assert resp.status == 404
        assert "没有找到这张号票" in await page.text_content("main")
