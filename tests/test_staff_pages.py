"""The staff pages in real headless Chromium against a real server process: the clerk console,
the evaluator tablet and the hall manager's page."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from .browser import chromium
from .conftest import ARTIFACTS, PASSWORD, provision, provision_evaluators
from .serverproc import ALL_DAY_HALL, ServerProcess

EXTRA = """
[[services]]
code = "water-pay"
name = "水费缴纳"
department = "gaj"
prefix = "Q"

[[windows]]
number = 2
name = "综合窗口"
services = ["hukou", "water-pay", "idcard"]
"""


@pytest.fixture
async def server(tmp_path):
    config = tmp_path / "hall.toml"
    text = ALL_DAY_HALL.replace(
        'hours = { daily = ["00:00-24:00"] }', 'hours = { daily = ["00:00-24:00"] }\nreception_printer = "dummy:"'
    )
    config.write_text(text + EXTRA, encoding="utf-8")
    kiosk, display = provision(tmp_path / "hall.db", [1, 2])
    tablets = provision_evaluators(tmp_path / "hall.db", [1, 2])
    proc = ServerProcess(tmp_path / "hall.db", config, tmp_path / "server.log")
    proc.kiosk, proc.display, proc.tablets = {"Authorization": f"Bearer {kiosk}"}, display, tablets
    await proc.start()
    yield proc
    proc.stop()


async def issue(server, *services: str) -> None:
    async with aiohttp.ClientSession() as session:
        for service in services:
            async with session.post(
                server.url + "/api/tickets", json={"service": service}, headers=server.kiosk
            ) as resp:
                assert resp.status == 201, await resp.text()


async def sign_in(page, server, login: str, window: int | None = None) -> None:
    await page.goto(server.url + ("/clerk" if window else "/admin"))
    await page.fill("#login-name", login)
    await page.fill("#login-password", PASSWORD)
    if window:
        await page.wait_for_selector(f"#login-window option[value='{window}']", state="attached")
        await page.select_option("#login-window", str(window))
    await page.click("#login button[type=submit]")


async def message(page) -> str:
    return (await page.text_content("#message")).strip()


async def until_text(page, selector: str, text: str) -> None:
    await page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)", arg=[selector, text]
    )


async def test_a_clerks_day_a_low_rating_and_its_follow_up(server):
    await issue(server, "hukou", "hukou", "hukou", "idcard")
    async with chromium() as browser:
        clerk = await browser.new_page(viewport={"width": 1366, "height": 900})
        await sign_in(clerk, server, "clerk1", 1)
        await clerk.wait_for_selector("#console:not(.hidden)")
        await until_text(clerk, "#queue-rows", "A001、A002、A003")

        await clerk.click("#act-call")
        await until_text(clerk, "#ticket-number", "A001")
        await clerk.keyboard.press("r")  # 重呼 by key
        await until_text(clerk, "#message", "已重呼 A001 号（第 2 次）")
        await clerk.keyboard.press("x")  # 过号: sent once its 5-second undo has run out
        await until_text(clerk, "#message", "A001 号将记为过号")
        await until_text(clerk, "#message", "A001 号已过号")

        await clerk.keyboard.press("n")  # 叫号
        await until_text(clerk, "#ticket-number", "A002")
        await clerk.click("#act-transfer")
        await clerk.fill("#transfer-search", "水费")
        await clerk.click("#transfer-list .option[data-code='water-pay']")
        await until_text(clerk, "#message", "A002 号已转至 水费缴纳")

        await clerk.click("#act-call-number")
        await clerk.fill("#call-number-value", "Z999")
        await clerk.click("#call-number button[type=submit]")
        await until_text(clerk, "#message", "今天没有发出 Z999 号")  # the server's refusal, in its words

        await clerk.click("#act-call")
        await until_text(clerk, "#ticket-number", "A003")
        await clerk.keyboard.press("s")
        await until_text(clerk, "#ticket-status", "办理中")
        ARTIFACTS.mkdir(exist_ok=True)
        await clerk.screenshot(path=str(ARTIFACTS / "clerk-console.png"), full_page=True)

        tablet = await browser.new_page(viewport={"width": 1280, "height": 800})
        await tablet.goto(f"{server.url}/rate/1#token={server.tablets[1]}")
        await tablet.wait_for_selector("#idle:not(.hidden)")
        await clerk.keyboard.press("f")  # 办结: the tablet asks for a rating
        await until_text(clerk, "#message", "A003 号已办结")
        await tablet.wait_for_selector("#ask:not(.hidden)")
        assert await tablet.text_content("#number") == "A003"
        await tablet.screenshot(path=str(ARTIFACTS / "rating-tablet.png"))
        await tablet.click("button[data-level='1']")
        await tablet.click("#reason-list label:has-text('服务态度') input")
        await tablet.screenshot(path=str(ARTIFACTS / "rating-tablet-low.png"))
        await tablet.click("#send-low")
        await tablet.wait_for_selector("#thanks:not(.hidden)")

        manager = await browser.new_page(viewport={"width": 1440, "height": 1000})
        await sign_in(manager, server, "manager")
        await manager.wait_for_selector("[data-followup]")
        followup = await manager.text_content("[data-followup]")
        assert "A003 号" in followup and "非常不满意" in followup and "服务态度" in followup and "clerk1" in followup
        assert "1 户政1" in await manager.text_content("#windows")
        await until_text(manager, "#today-services", "户口迁移")
        await manager.screenshot(path=str(ARTIFACTS / "admin.png"), full_page=True)
        await manager.fill("[data-followup] input", "已约谈窗口人员，加强服务规范培训")
        await manager.click("[data-followup] button")
        await until_text(manager, "#message", "已办结 A003 号的差评跟进")
        await until_text(manager, "#followups", "没有待办的差评跟进")

        await manager.fill("#notices", "下午 3 点起系统维护\n过号请重新取号")
        await manager.click("#notices-form button")
        await until_text(manager, "#message", "通知已更新")
        lobby = await browser.new_page(viewport={"width": 1280, "height": 720})
        await lobby.goto(server.url + "/display")
        await until_text(lobby, "#notice-text", "下午 3 点起系统维护")


async def test_two_clerks_in_two_browsers_never_get_the_same_ticket(server):
    await issue(server, *["hukou"] * 16)
    async with chromium() as browser:
        pages = []
        for window in (1, 2):
            context = await browser.new_context(viewport={"width": 1200, "height": 800})
            page = await context.new_page()
            await sign_in(page, server, f"clerk{window}", window)
            await page.wait_for_selector("#console:not(.hidden)")
            pages.append(page)
        seen: list[str] = []
        for _ in range(8):
            await asyncio.gather(*(p.click("#act-call") for p in pages))  # both at once
            for p in pages:
                await p.wait_for_selector("#ticket:not(.hidden)")
                seen.append((await p.text_content("#ticket-number")).strip())
            await asyncio.gather(*(p.click("#act-finish") for p in pages))
            for p in pages:
                await p.wait_for_selector("#ticket.hidden", state="attached")
        assert len(seen) == 16 and len(set(seen)) == 16
        await pages[0].click("#act-call")
        await until_text(pages[0], "#message", "暂时没有等候的号")


async def test_the_reception_desk_and_the_window_consoles_see_their_own_parts(server):
    async with chromium() as browser:
        desk = await browser.new_page(viewport={"width": 1366, "height": 768})
        await desk.goto(server.url + "/clerk")
        await desk.fill("#login-name", "reception")
        await desk.fill("#login-password", PASSWORD)
        await desk.wait_for_selector("#login-window option[value='1']", state="attached")
        await desk.select_option("#login-window", "")  # 咨询台: no window
        await desk.click("#login button[type=submit]")
        await desk.wait_for_selector("#reception:not(.hidden)")
        assert await desk.is_hidden("#window-console")
        await desk.wait_for_selector("#reception-service option[value='hukou']", state="attached")
        await desk.select_option("#reception-service", "hukou")
        await desk.select_option("#reception-priority", "green_channel")
        await desk.click("#reception-form button[type=submit]")
        await until_text(desk, "#reception-result", "已取号 A001")

        clerk = await browser.new_page(viewport={"width": 1366, "height": 768})
        await sign_in(clerk, server, "clerk1", 1)
        await clerk.wait_for_selector("#console:not(.hidden)")
        await until_text(clerk, "#queue-rows", "A001")
        assert await clerk.is_hidden("#reception")  # the 咨询台 form is not on a window's console

        tablet = await browser.new_page(viewport={"width": 1280, "height": 800})
        await tablet.goto(f"{server.url}/rate/1#token={server.display}")  # a display token is no tablet's
        await until_text(tablet, "#message", "无权")
