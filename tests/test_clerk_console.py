"""The clerk console (/clerk) at a hall PC's 1366×768, in real headless Chromium against the
sample hall at full scale: buttons that never move, 过号 with undo and call-back, the searchable
transfer list, the paused banner, the timers and shortcut keys that survive a Chinese input method.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from queue_server.store.demo import DEMO_NAMES, demo_staff_no

from .browser import chromium
from .conftest import ARTIFACTS, PASSWORD
from .fullhall import FullHall

SCREEN = {"width": 1366, "height": 768}
BUTTONS = [
    "#act-call", "#act-recall", "#act-no-show", "#act-start", "#act-finish",
    "#act-transfer", "#act-call-number", "#act-pause", "#act-rate",
]  # fmt: skip


async def start_hall(tmp_path, recall_minutes: int | None = None) -> FullHall:
    hall = FullHall(tmp_path)
    if recall_minutes is not None:
        text = hall.config_path.read_text(encoding="utf-8")
        text, count = re.subn(
            r"^no_show_recall_minutes = .*$", f"no_show_recall_minutes = {recall_minutes}", text, flags=re.M
        )
        assert count == 1
        hall.config_path.write_text(text, encoding="utf-8")
    await hall.start()
    return hall


@pytest.fixture
async def hall(tmp_path):
    hall = await start_hall(tmp_path)
    try:
        await hall.busy()
        yield hall
    finally:
        hall.stop()


async def open_console(browser, hall: FullHall, window: int, login: str | None = None):
    """A clerk signs in at their window in a fresh browser; the window is already signed in by
    ``busy()`` through the API, so the page asks to take it over and the clerk says yes."""
    context = await browser.new_context(viewport=SCREEN)
    page = await context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    await page.goto(hall.url + "/clerk")
    await page.fill("#login-name", login or f"clerk{window}")
    await page.fill("#login-password", PASSWORD)
    await page.wait_for_selector(f"#login-window option[value='{window}']", state="attached")
    await page.select_option("#login-window", str(window))
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#console:not(.hidden)")
    await until_text(page, "#title", f"{window} 号窗口 · ")
    return page


async def until_text(page, selector: str, text: str, timeout: float = 15000) -> None:
    await page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)", arg=[selector, text], timeout=timeout
    )


async def text(page, selector: str) -> str:
    return (await page.text_content(selector) or "").strip()


async def boxes(page) -> list[dict]:
    return [await page.locator(b).bounding_box() for b in BUTTONS]


async def held(hall: FullHall, window: int, manager) -> dict | None:
    return (await hall.api("GET", f"/api/windows/{window}/queue", manager))["ticket"]


async def ticket(hall: FullHall, ticket_id: int, manager) -> dict:
    return await hall.api("GET", f"/api/tickets/{ticket_id}", manager)


async def until_status(hall: FullHall, ticket_id: int, manager, status: str) -> None:
    """Polls the server until the ticket reaches ``status`` (a keepalive request lands after the
    page is gone, so nothing in the page can be waited on)."""
    for _ in range(100):
        if (await ticket(hall, ticket_id, manager))["status"] == status:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"ticket {ticket_id} never became {status}")


def shot(name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / name)


async def test_the_buttons_stay_put_in_every_state(hall):
    async with chromium() as browser:
        page = await open_console(browser, hall, 1)
        # The header names the clerk and their 工号, not their login.
        await until_text(page, "#who", f"{DEMO_NAMES[0]} · 工号 {demo_staff_no(1)}")
        assert "clerk1" not in await text(page, "#who")

        await page.wait_for_selector("#ticket:not(.hidden)")  # busy() called a ticket here
        reference = await boxes(page)
        await page.screenshot(path=shot("clerk-called.png"))

        await page.keyboard.press("s")  # 开始办理: a message appears
        await until_text(page, "#ticket-status", "办理中")
        await until_text(page, "#message", "开始办理")
        assert await boxes(page) == reference

        await page.keyboard.press("f")  # 办结: no ticket, a message
        await page.wait_for_selector("#ticket.hidden", state="attached")
        await until_text(page, "#message", "已办结")
        assert await boxes(page) == reference

        await page.reload()  # no ticket and no message at all
        await page.wait_for_selector("#console:not(.hidden)")
        await until_text(page, "#ticket-none", "暂无办理中的号")
        assert await text(page, "#message-text") == ""
        assert await boxes(page) == reference
        await page.screenshot(path=shot("clerk-idle.png"))

        await page.keyboard.press("p")  # 暂停: a lasting banner says since when
        await page.wait_for_selector("#paused:not(.hidden)")
        banner = await text(page, "#paused")
        assert re.fullmatch(r"暂停中 · 自 \d\d:\d\d 起，按 P 恢复", banner), banner
        assert await page.is_disabled("#act-call")
        assert await boxes(page) == reference
        await page.screenshot(path=shot("clerk-paused.png"))
        await page.reload()  # still there when the page comes back: it is the window's state
        await page.wait_for_selector("#paused:not(.hidden)")
        assert await text(page, "#message-text") == ""
        assert await boxes(page) == reference
        await page.keyboard.press("p")  # 恢复
        await until_text(page, "#message", "本窗口已恢复服务")
        assert await page.is_hidden("#paused")
        assert await page.is_enabled("#act-call")

        await page.keyboard.press("n")
        await page.wait_for_selector("#ticket:not(.hidden)")
        await page.keyboard.press("x")  # the 过号 countdown with its 撤销 button
        await until_text(page, "#message", "将记为过号")
        assert await boxes(page) == reference
        await page.screenshot(path=shot("clerk-undo.png"))
        await page.click("#undo")
        await until_text(page, "#message", "已撤销过号")

        await page.keyboard.press("t")  # the forms open below the buttons
        await page.wait_for_selector("#transfer:not(.hidden)")
        assert await boxes(page) == reference
        await page.screenshot(path=shot("clerk-transfer-all.png"))
        await page.keyboard.press("Escape")
        await page.wait_for_selector("#transfer.hidden", state="attached")
        await page.keyboard.press("f")
        await page.wait_for_selector("#ticket.hidden", state="attached")
        await page.keyboard.press("c")
        await page.wait_for_selector("#call-number:not(.hidden)")
        assert await boxes(page) == reference
        # Nothing of the console spills past the side of a 1366 px screen.
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= SCREEN["width"]


async def test_no_show_can_be_undone_and_a_returning_visitor_called_back(hall):
    manager = await hall.staff("manager")
    async with chromium() as browser:
        page = await open_console(browser, hall, 2)
        sent = []
        page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/no-show") else None)
        first = await held(hall, 2, manager)
        number = first["number"]
        await until_text(page, "#ticket-number", number)

        # 撤销 by button, by Z and by Esc: the ticket stays called and nothing is sent.
        for undo in ("button", "z", "Escape"):
            await page.keyboard.press("x")
            await until_text(page, "#message", f"{number} 号将记为过号（")
            assert await page.is_visible("#undo")
            assert await page.is_disabled("#act-no-show")
            if undo == "button":
                await page.click("#undo")
            else:
                await page.keyboard.press(undo)
            await until_text(page, "#message", f"已撤销过号，{number} 号仍在本窗口")
            assert await page.is_hidden("#undo")
            assert (await ticket(hall, first["id"], manager))["status"] == "called"
        assert sent == []

        # Left alone, the countdown runs out and the 过号 is sent.
        await page.keyboard.press("x")
        await until_text(page, "#message", f"{number} 号已过号")
        assert (await ticket(hall, first["id"], manager))["status"] == "no_show"
        assert len(sent) == 1
        assert "指定叫号" in await text(page, "#message-text")
        await page.screenshot(path=shot("clerk-no-show.png"))
        # The visitor comes back: 重新叫回 fills in the number for 指定叫号.
        await page.click("#recall-back")
        await page.wait_for_selector("#call-number:not(.hidden)")
        assert await page.input_value("#call-number-value") == number
        await page.click("#call-number button[type=submit]")
        await until_text(page, "#message", f"已叫 {number} 号")
        await until_text(page, "#ticket-number", number)
        assert (await ticket(hall, first["id"], manager))["status"] == "called"

        # Another action during the countdown sends the 过号 first, then does its own work.
        await page.keyboard.press("x")
        await until_text(page, "#message", "将记为过号")
        await page.keyboard.press("n")
        await until_text(page, "#message", f"{number} 号已过号；已叫 ")
        second = await held(hall, 2, manager)
        assert second["number"] != number and second["status"] == "called"
        assert (await ticket(hall, first["id"], manager))["status"] == "no_show"
        await until_text(page, "#ticket-number", second["number"])
        # ...and the 指定叫号 form still offers the 过号 number for when its visitor returns.
        await page.keyboard.press("f")
        await page.wait_for_selector("#ticket.hidden", state="attached")
        await page.keyboard.press("c")
        await page.wait_for_selector(f"#recent-no-shows button[data-number='{number}']")
        await page.screenshot(path=shot("clerk-call-number.png"))

        # A 过号 counting down when the clerk leaves the page is still recorded.
        await page.keyboard.press("Escape")
        await page.keyboard.press("n")
        await page.wait_for_selector("#ticket:not(.hidden)")
        third = await held(hall, 2, manager)
        await until_text(page, "#ticket-number", third["number"])
        await page.keyboard.press("x")
        await until_text(page, "#message", "将记为过号")
        await page.goto("about:blank")
        await until_status(hall, third["id"], manager, "no_show")


async def test_call_back_refusals_are_shown_in_the_servers_words(tmp_path):
    # 0 minutes: this hall never calls a 过号 back; the visitor takes a new ticket.
    hall = await start_hall(tmp_path, recall_minutes=0)
    try:
        await hall.busy()
        manager = await hall.staff("manager")
        async with chromium() as browser:
            page = await open_console(browser, hall, 3)
            number = (await held(hall, 3, manager))["number"]
            await until_text(page, "#ticket-number", number)
            await page.keyboard.press("x")
            await until_text(page, "#message", f"{number} 号已过号")

            elsewhere = (await held(hall, 31, manager))["number"]  # a 自来水 ticket, called at window 31
            for asked, refusal in [
                (number, f"{number} 号已于 "),
                ("Z999", "今天没有发出 Z999 号"),
                (elsewhere, f"{elsewhere} 号办理的是"),
            ]:
                await page.keyboard.press("c")
                await page.wait_for_selector("#call-number:not(.hidden)")
                await page.fill("#call-number-value", asked)
                await page.keyboard.press("Enter")
                await until_text(page, "#message", refusal)
                assert await page.is_hidden("#call-number")
                await page.wait_for_selector("#message.error")
                if asked == number:
                    said = await text(page, "#message-text")
                    assert re.fullmatch(
                        rf"{number} 号已于 \d\d:\d\d 过号，本大厅过号后不再叫回，请办事人重新取号", said
                    ), said
                if asked == elsewhere:
                    assert "不在 3 号窗口的业务中" in await text(page, "#message-text")
            assert await page.is_hidden("#ticket")
    finally:
        hall.stop()


async def test_call_number_opens_empty_and_escape_closes_the_forms(hall):
    async with chromium() as browser:
        page = await open_console(browser, hall, 37)  # 咨询台 window: idle, nobody called
        await until_text(page, "#ticket-none", "暂无办理中的号")
        actions = []
        page.on("request", lambda r: actions.append(r.url) if r.method == "POST" else None)
        for _ in range(2):
            await page.keyboard.press("c")
            await page.wait_for_selector("#call-number:not(.hidden)")
            assert await page.input_value("#call-number-value") == ""
            # Letters typed into the field are the field's, not shortcut keys (N, X, F, Q...).
            await page.keyboard.type("nxfqA012")
            assert await page.input_value("#call-number-value") == "nxfqA012"
            assert await page.is_hidden("#transfer")
            await page.keyboard.press("Escape")
            await page.wait_for_selector("#call-number.hidden", state="attached")
        await page.click("#act-call-number")
        await page.wait_for_selector("#call-number:not(.hidden)")
        assert await page.input_value("#call-number-value") == ""
        await page.click("#call-number .cancel")
        await page.wait_for_selector("#call-number.hidden", state="attached")
        assert await page.is_hidden("#ticket")
        assert actions == []  # none of the typed letters did anything
        assert await page.is_visible("#signout")


async def test_transfer_search_by_name_or_initials_grouped_by_department(hall):
    manager = await hall.staff("manager")
    async with chromium() as browser:
        page = await open_console(browser, hall, 1)
        current = await held(hall, 1, manager)
        await until_text(page, "#ticket-number", current["number"])

        await page.keyboard.press("t")
        await page.wait_for_selector("#transfer:not(.hidden)")
        assert await page.evaluate("() => document.activeElement.id") == "transfer-search"
        every = await page.locator("#transfer-list .option").all_text_contents()
        assert len(every) == 66 and current["service_name"] not in every  # all but its own service
        await page.keyboard.type("水")
        await until_text(page, "#transfer-list", "水费缴纳")
        names = await page.locator("#transfer-list .option").all_text_contents()
        assert set(names) == {"水费缴纳", "供水业务咨询", "用水报装", "用水过户", "取水许可"}
        groups = await page.locator("#transfer-list .group-name").all_text_contents()
        assert groups == ["市水利局", "潜江市自来水公司"]
        water = (
            await page.locator("#transfer-list .group", has_text="潜江市自来水公司")
            .locator(".option")
            .all_text_contents()
        )
        assert set(water) == {"水费缴纳", "供水业务咨询", "用水报装", "用水过户"}
        await page.screenshot(path=shot("clerk-transfer.png"))

        # ↑↓ and Enter choose.
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("ArrowDown")
        chosen = await page.get_attribute("#transfer-list .option.active", "data-code")
        assert chosen == (await page.locator("#transfer-list .option").nth(1).get_attribute("data-code"))
        await page.keyboard.press("Enter")
        await until_text(page, "#message", f"{current['number']} 号已转至 ")
        assert (await ticket(hall, current["id"], manager))["service"] == chosen
        assert await page.is_hidden("#transfer")

        # Pinyin initials narrow it too; Enter alone takes a single match.
        await page.keyboard.press("n")
        await page.wait_for_selector("#ticket:not(.hidden)")
        second = await held(hall, 1, manager)
        await until_text(page, "#ticket-number", second["number"])
        await page.keyboard.press("t")
        await page.wait_for_selector("#transfer:not(.hidden)")
        assert await page.input_value("#transfer-search") == ""
        await page.keyboard.type("sf")
        await until_text(page, "#transfer-list", "水费缴纳")
        assert "户口迁移登记" not in await text(page, "#transfer-list")
        await page.keyboard.type("jn")
        await page.wait_for_function("() => document.querySelectorAll('#transfer-list .option').length === 1")
        assert await text(page, "#transfer-list .option") == "水费缴纳"
        await page.keyboard.press("Enter")
        await until_text(page, "#message", f"{second['number']} 号已转至 水费缴纳")
        assert (await ticket(hall, second["id"], manager))["service"] == "water-pay"


async def test_timer_and_shortcut_keys_with_a_chinese_input_method(hall):
    async with chromium() as browser:
        page = await open_console(browser, hall, 37)  # idle: nobody called yet
        calls = []
        page.on("request", lambda r: calls.append(r.url) if r.url.endswith("/call-next") else None)
        await hall.issue("zx-consult", 2)
        await until_text(page, "#queue-rows", "3 人")  # one from busy(), two more
        # With an input method on, a letter key arrives as key "Process", keyCode 229: only
        # `code` tells which key it was.
        ime = (
            "(code) => document.dispatchEvent("
            "new KeyboardEvent('keydown', {key: 'Process', code, keyCode: 229, bubbles: true}))"
        )
        await page.evaluate(ime, "KeyN")
        await page.wait_for_selector("#ticket:not(.hidden)")
        await until_text(page, "#ticket-timer", "已叫号 ")
        assert re.fullmatch(r"已叫号 \d+秒|已叫号 \d+分\d\d秒", await text(page, "#ticket-timer"))
        await page.evaluate(ime, "KeyS")
        await until_text(page, "#ticket-status", "办理中")
        await until_text(page, "#ticket-timer", "办理 ")
        assert "已叫号" not in await text(page, "#ticket-timer")
        await page.evaluate(ime, "KeyF")
        await until_text(page, "#message", "已办结")

        # Keys typed into a field stay in the field.
        await page.evaluate(ime, "KeyC")
        await page.wait_for_selector("#call-number:not(.hidden)")
        await page.focus("#call-number-value")
        await page.evaluate(ime, "KeyN")
        assert await page.is_hidden("#ticket")
        await page.keyboard.press("Escape")
        await page.wait_for_selector("#call-number.hidden", state="attached")
        await page.evaluate(ime, "KeyN")
        await page.wait_for_selector("#ticket:not(.hidden)")
        assert len(calls) == 2  # the N typed in the field called nobody


async def test_only_the_reception_desk_gets_the_ticket_form(hall):
    async with chromium() as browser:
        clerk = await open_console(browser, hall, 5)
        assert await clerk.is_hidden("#reception")

        desk = await (await browser.new_context(viewport=SCREEN)).new_page()
        await desk.goto(hall.url + "/clerk")
        await desk.fill("#login-name", "reception")
        await desk.fill("#login-password", PASSWORD)
        await desk.wait_for_selector("#login-window option[value='1']", state="attached")
        await desk.select_option("#login-window", "")
        await desk.click("#login button[type=submit]")
        await desk.wait_for_selector("#reception:not(.hidden)")
        assert await desk.is_hidden("#window-console")
        assert await text(desk, "#who") == "咨询台"  # the account's name, not its login
        await desk.wait_for_selector("#reception-service option[value='hz-hukou']", state="attached")
        await desk.select_option("#reception-service", "hz-hukou")
        await desk.click("#reception-form button[type=submit]")
        await until_text(desk, "#reception-result", "已取号 ")


async def test_a_visits_number_shows_every_service_it_carries(hall):
    """老年人优待证 + 老年人免费乘车卡 on one number: the clerk at window 19 sees both."""
    visit = await hall.api("POST", "/api/tickets", hall.kiosk, {"services": ["mz-elder", "jt-elder-card"]})
    assert len(visit["services"]) == 2 and visit["linked"] == []
    async with chromium() as browser:
        page = await open_console(browser, hall, 19)  # window 19 was idle after busy()
        await page.keyboard.press("c")  # 指定叫号: others of these services wait ahead of it
        await page.fill("#call-number-value", visit["number"])
        await page.keyboard.press("Enter")
        await until_text(page, "#ticket-number", visit["number"])
        await until_text(page, "#ticket-service", "老年人优待证（即办） + 老年人免费乘车卡（即办）（一次办理 2 项）")
        await page.screenshot(path=shot("clerk-visit.png"))
        await page.keyboard.press("f")
        await until_text(page, "#message", "已办结")
