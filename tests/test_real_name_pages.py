"""身份证取号 on the staff pages, in real headless Chromium against a real server process: the
reception desk types a visitor's ID number for a service that requires one (and sees the refusal of
a second ticket on its own line), and the window's clerk sees the ticket's age band, never the
number or the birth date."""

from __future__ import annotations

from .browser import chromium
from .conftest import PASSWORD, provision
from .ids import citizen_id
from .serverproc import ALL_DAY_HALL, ServerProcess
from .test_booking_staff_pages import sign_in, until_text

ELDER = citizen_id("19490305")  # 77 in 2026


def real_name_hall() -> str:
    text = ALL_DAY_HALL.replace(
        'hours = { daily = ["00:00-24:00"] }', 'hours = { daily = ["00:00-24:00"] }\nreception_printer = "dummy:"'
    )
    return text.replace('prefix = "A"\n', 'prefix = "A"\nreal_name = "required"\n', 1)


async def test_the_desk_types_an_id_and_the_clerk_sees_the_age_band(tmp_path):
    config = tmp_path / "hall.toml"
    config.write_text(real_name_hall(), encoding="utf-8")
    provision(tmp_path / "hall.db", [1])
    server = ServerProcess(tmp_path / "hall.db", config, tmp_path / "server.log")
    await server.start()
    try:
        async with chromium() as browser:
            desk = await browser.new_page(viewport={"width": 1366, "height": 768})
            await sign_in(desk, server, "reception", "/clerk")
            await desk.wait_for_selector("#reception:not(.hidden)")
            await desk.select_option("#reception-service", "hukou")
            await desk.click("#reception-form button[type=submit]")
            await until_text(desk, "#reception-result", "需要实名取号")
            await desk.fill("#reception-id", ELDER.lower())
            await desk.click("#reception-form button[type=submit]")
            await until_text(desk, "#reception-result", "已取号 A001")
            assert await desk.input_value("#reception-id") == ""  # gone from the screen once used
            await desk.fill("#reception-id", ELDER)
            await desk.click("#reception-form button[type=submit]")
            await until_text(desk, "#reception-result", "您今天已取过该业务的号：A001")
            assert "error" in (await desk.get_attribute("#reception-result", "class"))

            clerk = await browser.new_page(viewport={"width": 1366, "height": 768})
            await clerk.goto(server.url + "/clerk")
            await clerk.fill("#login-name", "clerk1")
            await clerk.fill("#login-password", PASSWORD)
            await clerk.wait_for_selector("#login-window option[value='1']", state="attached")
            await clerk.select_option("#login-window", "1")
            await clerk.click("#login button[type=submit]")
            await clerk.wait_for_selector("#act-call:not([disabled])")
            await clerk.click("#act-call")
            await until_text(clerk, "#ticket-number", "A001")
            await until_text(clerk, "#ticket-age", "实名取号 · 70-79岁")
            await until_text(clerk, "#ticket-priority", "特别通道")  # 77: the 特别通道 by itself
            page = await clerk.content()
            assert ELDER not in page and ELDER[6:14] not in page and "1949" not in page
    finally:
        server.stop()
    assert ELDER not in (tmp_path / "server.log").read_text(encoding="utf-8")
