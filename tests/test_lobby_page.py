"""The lobby screen in real headless Chromium against a real server process."""

from __future__ import annotations

import aiohttp
import pytest

from .browser import chromium
from .conftest import ARTIFACTS, PASSWORD, provision
from .serverproc import ALL_DAY_HALL, ServerProcess


@pytest.fixture
async def server(tmp_path):
    config = tmp_path / "hall.toml"
    text = ALL_DAY_HALL.replace(
        'hours = { daily = ["00:00-24:00"] }',
        'hours = { daily = ["00:00-24:00"] }\nnotices = ["过号请重新取号", "请保管好随身物品"]',
    )
    text += (
        '\n[[services]]\ncode = "water-pay"\nname = "水费缴纳"\ndepartment = "gaj"\nprefix = "Q"\n'
        '\n[[windows]]\nnumber = 2\nname = "综合窗口"\nservices = ["water-pay", "idcard"]\n'
    )
    config.write_text(text, encoding="utf-8")
    kiosk, _ = provision(tmp_path / "hall.db", [1, 2])
    proc = ServerProcess(tmp_path / "hall.db", config, tmp_path / "server.log")
    proc.kiosk = {"Authorization": f"Bearer {kiosk}"}
    await proc.start()
    yield proc
    proc.stop()


async def api(server, session, method, path, headers=None, body=None):
    async with session.request(method, server.url + path, json=body, headers=headers) as resp:
        assert resp.status < 300, await resp.text()
        return await resp.json() if resp.status != 204 else None


async def clerk(server, session, window: int) -> dict[str, str]:
    login = await api(
        server, session, "POST", "/api/login", body={"login": f"clerk{window}", "password": PASSWORD, "window": window}
    )
    return {"Authorization": f"Bearer {login['token']}"}


async def first_call(page) -> str:
    return await page.text_content("#calls li:first-child .number")


async def shows(page, selector: str, text: str) -> None:
    """Wait until ``selector``'s text is ``text``. A function, not an expression: the page's CSP
    forbids eval, which Playwright would use for an expression."""
    await page.wait_for_function("([s, t]) => document.querySelector(s)?.textContent === t", arg=[selector, text])


async def test_lobby_shows_calls_and_survives_a_server_restart(server):
    async with aiohttp.ClientSession() as session, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await page.goto(server.url + "/display")
        await page.wait_for_selector("#link.ok")
        assert await page.text_content("#hall") == "全天测试大厅"
        for service in ("hukou", "hukou", "water-pay"):
            await api(server, session, "POST", "/api/tickets", server.kiosk, {"service": service})
        h1 = await clerk(server, session, 1)
        await api(server, session, "POST", "/api/windows/1/call-next", h1)
        await shows(page, "#calls li .number", "A001")
        assert "1 号窗口" in await page.text_content("#calls li:first-child")
        assert await page.text_content("[data-window='1'] .now") == "A001"
        assert "1人" in await page.text_content("[data-service='hukou'] .count")
        assert "过号请重新取号" in await page.text_content("#notice-text")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "lobby-small-hall-1920x1080.png"))
        await page.set_viewport_size({"width": 1280, "height": 720})
        await page.screenshot(path=str(ARTIFACTS / "lobby-small-hall-1280x720.png"))

        server.kill()
        await page.wait_for_selector("#link.lost")
        assert await first_call(page) == "A001"  # the last known calls stay, marked as not live
        await page.screenshot(path=str(ARTIFACTS / "lobby-connection-lost.png"))
        await server.start()
        h2 = await clerk(server, session, 2)  # called while the page is still reconnecting
        await api(server, session, "POST", "/api/windows/2/call-next", h2)
        await page.wait_for_selector("#link.ok", timeout=15000)
        await shows(page, "#calls li .number", "Q001")
        assert "2 号窗口" in await page.text_content("#calls li:first-child")
        await api(server, session, "POST", "/api/windows/2/pause", h2)
        await shows(page, "[data-window='2'] .now", "暂停服务")


async def test_a_screen_for_part_of_the_hall(server):
    async with aiohttp.ClientSession() as session, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 720})
        await page.goto(server.url + "/display?services=water-pay")
        await page.wait_for_selector("#link.ok")
        await api(server, session, "POST", "/api/tickets", server.kiosk, {"service": "hukou"})
        await api(server, session, "POST", "/api/tickets", server.kiosk, {"service": "water-pay"})
        h1, h2 = await clerk(server, session, 1), await clerk(server, session, 2)
        await api(server, session, "POST", "/api/windows/1/call-next", h1)  # A001: not for this screen
        await api(server, session, "POST", "/api/windows/2/call-next", h2)
        await shows(page, "#calls li .number", "Q001")
        assert await page.locator("#calls li").count() == 1
        assert await page.locator("[data-window]").count() == 1  # window 1 serves none of it
        assert await page.locator("[data-service]").count() == 1


async def test_a_reloaded_config_and_a_long_wait_reach_the_screen(server):
    from .serverproc import hallqueue

    async with aiohttp.ClientSession() as session, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await page.goto(server.url + "/display")
        await page.wait_for_selector("#link.ok")
        await api(server, session, "POST", "/api/tickets", server.kiosk, {"service": "water-pay"})
        assert await page.locator("[data-window='3']").count() == 0
        # A new window, and the lobby's wait notice on with a target of a second or so.
        text = server.config.read_text(encoding="utf-8").replace(
            "\n[[departments]]", "\n[rules]\nlobby_wait_notice = true\nwait_alert_minutes = 0.02\n\n[[departments]]", 1
        )
        server.config.write_text(text + '\n[[windows]]\nnumber = 3\nname = "综合3"\nservices = ["water-pay"]\n')
        result = hallqueue(server.db, "reload")
        assert result.returncode == 0, result.stderr
        await shows(page, "[data-window='3'] .name", "综合3")  # a fresh snapshot, without a reload of the page
        await api(server, session, "GET", "/api/health")  # any command (or the engine's tick) sees the wait
        await page.wait_for_function(
            "() => document.querySelector('#notice-text').textContent.startsWith('水费缴纳 等候时间较长')"
        )
        assert "过号请重新取号" in await page.text_content("#notice-text")
        h2 = await clerk(server, session, 2)
        await api(server, session, "POST", "/api/windows/2/call-next", h2)
        await page.wait_for_function(
            "() => !document.querySelector('#notice-text').textContent.includes('等候时间较长')"
        )
