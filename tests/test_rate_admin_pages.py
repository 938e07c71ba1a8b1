"""The evaluator tablet (/rate/N, 亮牌 and 好差评) and the hall manager's page (/admin, alerts first)
in real headless Chromium against a real server process, the manager's page at full scale."""

from __future__ import annotations

import re

import aiohttp
import pytest

from .browser import chromium
from .conftest import ARTIFACTS, PASSWORD, provision, provision_evaluators
from .fullhall import FullHall
from .serverproc import ALL_DAY_HALL, ServerProcess

RED = "rgb(179, 38, 30)"  # --red in staff.css
AMBER = "rgb(184, 110, 0)"  # --amber in admin.css
# What may be in Latin letters on a Chinese screen: ticket numbers and 工号 (A002, QJ0001) and
# device names (kiosk-1).
ALLOWED_LATIN = re.compile(r"[A-Z]{1,2}\d{3,5}|(?:kiosk|display|evaluator)-\d+")


class QuickAlertHall(FullHall):
    """The full-scale sample hall, with an open window idle for 0.6 s while people wait already
    an alert (the sample's 3 minutes would make the test wait)."""

    def __init__(self, folder) -> None:
        super().__init__(folder)
        text = self.config_path.read_text(encoding="utf-8")
        text, n = re.subn(r"^idle_alert_minutes = .*$", "idle_alert_minutes = 0.01", text, flags=re.M)
        assert n == 1
        self.config_path.write_text(text, encoding="utf-8")


@pytest.fixture
async def small(tmp_path):
    """A one-window hall: clerk1, reception, manager, and window 1's evaluator tablet."""
    config = tmp_path / "hall.toml"
    config.write_text(ALL_DAY_HALL, encoding="utf-8")
    provision(tmp_path / "hall.db", [1])
    proc = ServerProcess(tmp_path / "hall.db", config, tmp_path / "server.log")
    proc.tablets = provision_evaluators(tmp_path / "hall.db", [1])
    await proc.start()
    yield proc
    proc.stop()


async def until_text(page, selector: str, text: str) -> None:
    await page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)", arg=[selector, text]
    )


async def until_gone(page, selector: str, text: str) -> None:
    await page.wait_for_function(
        "([s, t]) => !(document.querySelector(s)?.textContent || '').includes(t)", arg=[selector, text]
    )


async def sign_in_admin(page, url: str, login: str) -> None:
    await page.goto(url + "/admin")
    await page.fill("#login-name", login)
    await page.fill("#login-password", PASSWORD)
    await page.click("#login button[type=submit]")


def latin_words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]{2,}", ALLOWED_LATIN.sub(" ", text))


async def assert_all_chinese(page) -> None:
    text = await page.evaluate("() => document.body.innerText")
    for word in ("paper_out", "printer", "String should", "open", "paused", "closed", "null", "undefined"):
        assert word not in text
    assert latin_words(text) == [], latin_words(text)


async def status_of(url: str, method: str, path: str, headers=None) -> int:
    async with aiohttp.ClientSession() as session, session.request(method, url + path, headers=headers) as resp:
        return resp.status


async def public_state(url: str) -> dict:
    async with aiohttp.ClientSession() as session, session.get(url + "/api/state") as resp:
        return await resp.json()


async def overview_window(hall, manager, number: int) -> dict:
    overview = await hall.api("GET", "/api/admin/overview", manager)
    return next(w for w in overview["windows"] if w["number"] == number)


# ---------------------------------------------------------------------------------------- /admin


async def test_the_manager_sees_alerts_first_and_every_window_on_one_screen(tmp_path):
    hall = QuickAlertHall(tmp_path)
    await hall.start()
    try:
        await hall.busy()
        manager = await hall.staff("manager")
        await hall.api(
            "POST",
            "/api/devices/faults",
            hall.kiosk,
            {"component": "printer", "state": "paper_out", "message": "打印机缺纸"},
        )
        overview = await hall.api("GET", "/api/admin/overview", manager)
        idle = [a for a in overview["alerts"] if a["kind"] == "idle_window"]
        assert idle, overview["alerts"]  # windows open with nothing in hand while their services wait
        assert {a["kind"] for a in overview["alerts"]} >= {"device_fault", "window_paused", "idle_window"}

        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            await sign_in_admin(page, hall.url, "manager")
            await page.wait_for_selector("[data-window='37']")
            await until_text(page, "#alerts", "缺纸")
            await until_text(page, "#alerts", "12 号窗口（社保1）暂停服务")
            await until_text(page, "#alerts", idle[0]["message"].split("空闲")[0] + "空闲")

            # Alerts come first, urgent ones red and warnings amber.
            fault = page.locator("#alerts .alert", has_text="设备故障")
            assert "取号机 kiosk-1 · 打印机（缺纸）" in await fault.text_content()
            assert await fault.evaluate("e => getComputedStyle(e).borderLeftColor") == RED
            paused = page.locator("#alerts .alert", has_text="暂停服务")
            assert await paused.evaluate("e => getComputedStyle(e).borderLeftColor") == AMBER
            alerts_box = await page.locator("#alerts-card").bounding_box()
            grid_box = await page.locator("#windows").bounding_box()
            assert alerts_box["y"] < grid_box["y"]

            # All 37 tiles inside the 1920×1080 screen, with no scrolling.
            assert await page.evaluate("() => window.scrollY") == 0
            tiles = page.locator("#windows .tile")
            assert await tiles.count() == 37
            for i in range(37):
                box = await tiles.nth(i).bounding_box()
                assert box["x"] >= 0 and box["y"] >= 0, i
                assert box["x"] + box["width"] <= 1920 and box["y"] + box["height"] <= 1080, (i, box)
            for w in overview["windows"]:
                tile = await page.text_content(f"[data-window='{w['number']}']")
                assert f"{w['number']} {w['name']}" in tile
                assert w["clerk_name"] in tile and w["staff_no"] in tile
                if w["ticket"]:
                    assert w["ticket"] in tile
            assert "暂停" in await page.text_content("[data-window='12'] .state")
            assert "1 户政1" in await page.text_content("#windows")
            await assert_all_chinese(page)
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "admin-1920x1080.png"))
            await paused.click()  # an alert about a window points at its tile
            await page.wait_for_selector("[data-window='12'].flash")
            await page.wait_for_selector("[data-window='12'].flash", state="detached")  # once, then gone

            # 暂停 with a confirm step, then 恢复服务, from the tile.
            await page.click("[data-window='5'] button[data-act='pause']")
            await until_text(page, "[data-window='5'] .confirm", "暂停 5 号窗口（出入境2）的服务？")
            assert (await overview_window(hall, manager, 5))["status"] == "open"  # nothing until confirmed
            await page.click("[data-window='5'] .confirm button[data-act='cancel']")
            await page.wait_for_selector("[data-window='5'] .confirm", state="detached")
            await page.click("[data-window='5'] button[data-act='pause']")
            await page.click("[data-window='5'] .confirm button[data-act='confirm']")
            await until_text(page, "#message", "5 号窗口已暂停服务")
            assert (await overview_window(hall, manager, 5))["status"] == "paused"
            await page.wait_for_selector("[data-window='5'] button[data-act='resume']")
            await until_text(page, "#alerts", "5 号窗口（出入境2）暂停服务")
            await page.click("[data-window='5'] button[data-act='resume']")
            await until_text(page, "#message", "5 号窗口已恢复服务")
            assert (await overview_window(hall, manager, 5))["status"] == "open"

            # 签退 a clerk: the confirm step names them; their session ends.
            clerk3 = (await overview_window(hall, manager, 3))["clerk_name"]
            await page.click("[data-window='3'] button[data-act='sign-out']")
            await until_text(page, "[data-window='3'] .confirm", f"将 {clerk3} 从 3 号窗口签退？")
            await page.click("[data-window='3'] .confirm button[data-act='confirm']")
            await until_text(page, "#message", f"已将 {clerk3} 从 3 号窗口签退")
            assert (await overview_window(hall, manager, 3))["status"] == "closed"
            assert await status_of(hall.url, "GET", "/api/windows/3/queue", hall.clerks[3]) == 401
            await until_text(page, "[data-window='3']", "未开放")
            assert await page.locator("[data-window='3'] button").count() == 0

            await page.set_viewport_size({"width": 1366, "height": 768})
            await assert_all_chinese(page)
            await page.screenshot(path=str(ARTIFACTS / "admin-1366x768.png"))
    finally:
        hall.stop()


async def test_the_managers_page_turns_away_other_staff_and_ends_their_session(small):
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await sign_in_admin(page, small.url, "clerk1")  # a clerk signs in at a window, not here
        await until_text(page, "#login-error", "此页面供大厅管理人员使用")
        assert await page.is_hidden("#view")
        await assert_all_chinese(page)
        state = await public_state(small.url)
        assert state["windows"][0]["status"] == "closed"

        async with page.expect_response(lambda r: r.url.endswith("/api/login")) as answer:
            await sign_in_admin(page, small.url, "reception")
        token = (await (await answer.value).json())["token"]
        await until_text(page, "#login-error", "本次登录已退出")
        assert await page.is_hidden("#view")
        # The session the page was given is over.
        headers = {"Authorization": f"Bearer {token}"}
        assert await status_of(small.url, "GET", "/api/reception/printer", headers) == 401

        await page.fill("#login-name", "manager")
        await page.fill("#login-password", PASSWORD)
        await page.click("#login button[type=submit]")
        await page.wait_for_selector("#view:not(.hidden)")
        await until_text(page, "#alerts", "目前没有需要处理的事项")
        await until_text(page, "#followups", "没有待办的差评跟进")


# ---------------------------------------------------------------------------------------- /rate


async def serve_and_finish(hall, window: int) -> str:
    """The clerk at ``window`` serves the ticket called there and finishes it: the tablet asks."""
    queue = await hall.api("GET", f"/api/windows/{window}/queue", hall.clerks[window])
    ticket = queue["ticket"]
    await hall.api("POST", f"/api/tickets/{ticket['id']}/start", hall.clerks[window])
    await hall.api("POST", f"/api/tickets/{ticket['id']}/finish", hall.clerks[window])
    return ticket["number"]


async def test_the_tablet_shows_who_serves_and_a_low_rating_reaches_the_manager(tmp_path):
    hall = FullHall(tmp_path)
    await hall.start()
    try:
        await hall.busy()
        manager = await hall.staff("manager")
        tablet1 = {"Authorization": f"Bearer {hall.tablets[1]}"}
        card = await hall.api("GET", "/api/windows/1/staff", tablet1)
        assert card["photo"]

        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            sent: list[str] = []
            page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
            await page.goto(f"{hall.url}/rate/1#token={hall.tablets[1]}")
            await page.wait_for_selector("#idle:not(.hidden)")
            # 亮牌: the photo (fetched with the tablet's token), name, 工号, window.
            await page.wait_for_function(
                "() => { const p = document.querySelector('#photo');"
                " return p.src.startsWith('blob:') && p.complete && p.naturalWidth > 0; }"
            )
            assert await page.is_visible("#photo") and await page.is_hidden("#avatar")
            assert (await page.text_content("#staff-name")).strip() == card["name"]
            assert f"工号 {card['staff_no']}" in await page.text_content("#staff-no")
            assert "1 号窗口 · 户政1" in await page.text_content("#window-label")
            assert "为您服务" in await page.text_content("#duty")

            number = await serve_and_finish(hall, 1)
            await page.wait_for_selector("#ask:not(.hidden)")
            assert await page.text_content("#number") == number
            assert await page.is_visible("#card")  # who served stays in view while asking
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "rate-1280x800.png"))

            # A low rating: no reason, no sending.
            await page.click("button[data-level='1']")
            assert await page.get_attribute("button[data-level='1']", "aria-pressed") == "true"
            assert "chosen" in await page.get_attribute("button[data-level='1']", "class")
            assert await page.is_visible("button[data-level='1'] .tick")
            assert await page.is_disabled("#send-low")
            assert "至少一项" in await page.text_content("#send-hint") and await page.is_visible("#send-hint")
            await page.click("#send-low", force=True)
            assert not [u for u in sent if u.endswith("/rating")]
            assert await hall.api("GET", "/api/windows/1/rating", tablet1)  # still waiting for its rating

            label = page.locator("#reason-list label", has_text="服务态度")
            await page.click("#reason-list label:has-text('服务态度') input")
            assert await label.evaluate("e => getComputedStyle(e).borderTopColor") == RED
            assert await page.is_enabled("#send-low") and await page.is_hidden("#send-hint")
            await page.fill("#comment", "等候时间太长，窗口解释不清楚")
            assert "还可输入 186 字" in await page.text_content("#comment-count")

            # A phone number the server would refuse: said in Chinese on the page, nothing sent.
            await page.fill("#phone", "1381234")
            await page.click("#send-low")
            await until_text(page, "#phone-error", "电话号码格式不对")
            assert await page.is_visible("#phone-error")
            assert not [u for u in sent if u.endswith("/rating")]
            await page.screenshot(path=str(ARTIFACTS / "rate-low.png"))

            await page.fill("#phone", "138 1234 5678")  # spaces as people type them
            await page.click("#send-low")
            await page.wait_for_selector("#thanks:not(.hidden)")
            await until_text(page, "#thanks", "按您留下的电话回访")
            assert len([u for u in sent if u.endswith("/rating")]) == 1

            # The follow-up on /admin: masked number, the comment, 查看号码 shows it whole.
            admin = await browser.new_page(viewport={"width": 1920, "height": 1080})
            await sign_in_admin(admin, hall.url, "manager")
            await admin.wait_for_selector("[data-followup]")
            item = await admin.text_content("[data-followup]")
            assert f"{number} 号" in item and "非常不满意" in item and "服务态度" in item and card["name"] in item
            assert "138****5678" in item and "等候时间太长，窗口解释不清楚" in item
            assert "13812345678" not in item
            await admin.click("[data-followup] button[data-reveal]")
            await until_text(admin, "[data-followup] .phone", "13812345678")
            await until_text(admin, "[data-followup] button[data-reveal]", "隐藏号码")
            [followup] = (await hall.api("GET", "/api/admin/overview", manager))["followups"]
            assert followup["phone_masked"] == "138****5678" and followup["state"] == "open"
            await assert_all_chinese(admin)
            # Closing it: the first input and the first button of the item (its close form).
            await admin.fill("[data-followup] input", "好")
            await admin.click("[data-followup] button")
            await until_text(admin, "#message", "至少 2 个字")
            await admin.fill("[data-followup] input", "已电话回访并致歉，窗口加强一次告知")
            await admin.click("[data-followup] button")
            await until_text(admin, "#followups", "没有待办的差评跟进")
    finally:
        hall.stop()


async def test_the_tablet_follows_the_window_and_fits_a_portrait_screen(tmp_path):
    hall = FullHall(tmp_path)
    await hall.start()
    try:
        await hall.busy()
        manager = await hall.staff("manager")
        card = await hall.api("GET", "/api/windows/5/staff", {"Authorization": f"Bearer {hall.tablets[5]}"})
        assert not card["photo"]
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(f"{hall.url}/rate/5#token={hall.tablets[5]}")
            # No photo: the name's first character in a circle.
            await until_text(page, "#staff-name", card["name"])
            await until_text(page, "#link", "实时")
            assert await page.is_hidden("#photo") and await page.is_visible("#avatar")
            assert await page.text_content("#avatar") == card["name"][0]
            assert f"工号 {card['staff_no']}" in await page.text_content("#staff-no")

            await hall.api("POST", "/api/windows/5/pause", manager)
            await until_text(page, "#duty", "暂停服务")
            await until_text(page, "#idle-title", "本窗口暂停服务")
            await hall.api("POST", "/api/windows/5/resume", manager)
            await until_text(page, "#duty", "为您服务")

            await hall.api("POST", "/api/windows/5/sign-out", manager)
            await until_text(page, "#duty", "本窗口暂未开放")
            await until_text(page, "#idle-title", "本窗口暂未开放")
            await page.wait_for_function("() => document.querySelector('#staff-name').textContent.trim() === '—'")
            assert await page.text_content("#staff-no") == ""
            assert await page.text_content("#avatar") == ""

            # Another clerk, one with a photo, signs in at window 5: the card follows.
            await hall.api("POST", "/api/login", body={"login": "clerk31", "password": PASSWORD, "window": 5})
            clerk31 = await hall.api("GET", "/api/windows/5/staff", manager)
            await until_text(page, "#staff-name", clerk31["name"])
            await page.wait_for_function("() => document.querySelector('#photo').src.startsWith('blob:')")
            assert await page.is_visible("#photo") and await page.is_hidden("#avatar")
            await until_text(page, "#duty", "为您服务")

            # Portrait: the whole low-rating form on the screen, nothing wider than it.
            number = await serve_and_finish(hall, 2)
            portrait = await browser.new_page(viewport={"width": 800, "height": 1280})
            await portrait.goto(f"{hall.url}/rate/2#token={hall.tablets[2]}")
            await portrait.wait_for_selector("#ask:not(.hidden)")
            assert await portrait.text_content("#number") == number
            await portrait.click("button[data-level='2']")
            await portrait.click("#reason-list label:has-text('办事效率') input")
            assert await portrait.evaluate("() => document.documentElement.scrollWidth") <= 800
            send = await portrait.locator("#send-low").bounding_box()
            assert send["y"] + send["height"] <= 1280
            assert await portrait.is_visible("#photo")
            await portrait.screenshot(path=str(ARTIFACTS / "rate-portrait.png"))
    finally:
        hall.stop()


async def test_a_tablet_that_may_not_rate_keeps_saying_so(small):
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        await page.clock.install()
        await page.goto(f"{small.url}/rate/1#token=not-a-real-token")
        await page.wait_for_selector("#fault:not(.hidden)")
        await until_text(page, "#message", "无权评价 1 号窗口")
        assert "/rate/1#token=" in await page.text_content("#fault-url")
        assert await page.is_hidden("#board")
        await page.clock.run_for(20_000)  # the old page hid its error after 8 s
        assert await page.is_visible("#fault") and await page.is_hidden("#board")
        assert "无权" in await page.text_content("#message")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "rate-unconfigured.png"))

        fresh = await browser.new_page(viewport={"width": 1280, "height": 800})  # no token at all
        await fresh.goto(f"{small.url}/rate/1")
        await until_text(fresh, "#message", "尚未设置")
        assert await fresh.is_visible("#fault") and await fresh.is_hidden("#board")

        # Window 1's own tablet is not in fault, and keeps the token for the next start.
        good = await browser.new_page(viewport={"width": 1280, "height": 800})
        await good.goto(f"{small.url}/rate/1#token={small.tablets[1]}")
        await good.wait_for_selector("#idle:not(.hidden)")
        await until_text(good, "#idle-title", "本窗口暂未开放")  # nobody signed in at window 1
        assert await good.is_hidden("#fault")
        assert "#token" not in good.url
        await good.reload()
        await good.wait_for_selector("#idle:not(.hidden)")
        await until_text(good, "#window-label", "1 号窗口 · 户政1")
        assert await good.is_hidden("#fault")
