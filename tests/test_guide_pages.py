"""The public 服务指南 pages (网上事项公示) on a phone: headless Chromium at 390×844 against a real
server on the sample hall and its guide file."""

from __future__ import annotations

import pytest

from .browser import chromium
from .conftest import ARTIFACTS
from .fullhall import FullHall

PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def hall(tmp_path):
    hall = FullHall(tmp_path)
    await hall.start()
    try:
        yield hall
    finally:
        hall.stop()


async def results(page) -> list[str]:
    return [t.strip() for t in await page.locator("#results li .name").all_text_contents()]


async def wide(page) -> bool:
    return await page.evaluate("() => document.scrollingElement.scrollWidth > window.innerWidth")


async def test_search_browse_and_read_an_item_on_a_phone(hall):
    ARTIFACTS.mkdir(exist_ok=True)
    async with chromium() as browser:
        page = await browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
        await page.goto(hall.url + "/guides")
        await page.wait_for_selector("#results li")
        total = await page.locator("#results li").count()
        assert total >= 100 and "共" in await page.text_content("#summary")
        assert await page.text_content("#hall") == "潜江市政务服务中心"
        await page.screenshot(path=str(ARTIFACTS / "guides-390x844.png"))

        await page.fill("#query", "户口")
        assert "户口迁入登记（市外迁入）" in await results(page)
        await page.fill("#query", "hkqr")  # pinyin initials, as at the kiosk
        assert (await results(page))[0].startswith("户口迁入登记")
        await page.fill("#query", "没有这种事")
        assert await page.text_content("#summary") == "没有找到相关事项，请换个词试试，或到大厅咨询台询问"

        await page.fill("#query", "")
        await page.click("#departments button[data-department='gjj']")
        names = await results(page)
        assert names and all("公积金" in n for n in names)
        assert await page.get_attribute("#departments button[data-department='gjj']", "aria-pressed") == "true"
        await page.screenshot(path=str(ARTIFACTS / "guides-390x844-department.png"))

        await page.click("#departments button[data-department='']")  # 全部部门 again
        await page.fill("#query", "hkqr")
        await page.click("#results li a")
        await page.wait_for_selector("#item:not(.hidden) dd[data-field='materials'] li")
        assert page.url.endswith("/guides/hz-hukou-in")
        fields = await page.locator("#item dt").all_text_contents()
        assert fields == [
            "取号业务",
            "法定依据",
            "申请条件",
            "申请材料",
            "办理流程",
            "法定时限",
            "承诺时限",
            "收费标准",
            "投诉电话",
        ]
        assert "0728-12345" in await page.text_content("dd[data-field='complaint_phone']")
        assert not await wide(page)
        await page.screenshot(path=str(ARTIFACTS / "guides-390x844-item.png"), full_page=True)

        # An item with fees shows each standard and its basis.
        await page.goto(hall.url + "/guides/crj-passport-first")
        await page.wait_for_selector("dd[data-field='fees'] .fee")
        fee = await page.text_content("dd[data-field='fees']")
        assert "120" in fee and "依据" in fee

        await page.goto(hall.url + "/guides/no-such-item")
        await page.wait_for_selector("#error:not(.hidden)")
        assert await page.text_content("#error") == "没有这项服务指南，请返回事项列表查找"


async def test_the_guide_pages_switch_to_english_and_back(hall):
    async with chromium() as browser:
        page = await browser.new_page(viewport=PHONE, is_mobile=True)
        await page.goto(hall.url + "/guides")
        await page.wait_for_selector("#results li")
        await page.click("#language")
        await page.wait_for_function("() => document.documentElement.lang === 'en'")
        await page.wait_for_selector("#results li")
        assert (await page.text_content("#summary")).endswith("items")
        assert await page.text_content("#language") == "中文"
        await page.goto(hall.url + "/guides/hz-hukou-in")
        await page.wait_for_selector("dd[data-field='materials'] li")
        assert "Documents to bring" in await page.locator("#item dt").all_text_contents()
        await page.screenshot(path=str(ARTIFACTS / "guides-390x844-english.png"), full_page=True)
        await page.click("#language")
        await page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
        await page.wait_for_selector("dd[data-field='materials'] li")
        assert "申请材料" in await page.locator("#item dt").all_text_contents()


def test_where_to_go_names_windows_zone_by_zone():
    from queue_server.config.hall_file import parse_hall_config
    from queue_server.core.places import where_to_go

    from .conftest import hall_data

    data = hall_data()
    for window, zone in zip(data["windows"], ("一楼A区", "一楼A区", "二楼", ""), strict=True):
        window["zone"] = zone
    config = parse_hall_config(data, "hall.toml")
    assert where_to_go(config, "hukou") == "1、2 号窗口（一楼A区）"
    assert where_to_go(config, "idcard") == "1、2 号窗口（一楼A区）、4 号窗口"
    assert where_to_go(config, "tax") == "3 号窗口（二楼）、4 号窗口"


async def test_the_ticket_and_its_status_page_say_where_to_go_and_link_the_guide(hall):
    [ticket] = await hall.issue("hz-hukou")
    assert ticket["where"] == "1、2、3 号窗口（一楼A区）"
    state = await hall.api("GET", "/api/state")
    assert {w["number"]: w["zone"] for w in state["windows"]}[31] == "一楼C区"
    async with chromium() as browser:
        page = await browser.new_page(viewport=PHONE, is_mobile=True)
        await page.goto(hall.url + ticket["status_path"])
        assert await page.text_content("#detail") == "办理窗口：1、2、3 号窗口（一楼A区）"
        await page.click(".guide a")
        await page.wait_for_selector("#results li")
        assert await page.input_value("#query") == "户口迁移登记"
        assert "户口迁入登记（市外迁入）" in await results(page)
