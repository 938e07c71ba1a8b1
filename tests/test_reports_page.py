"""统计分析 in real headless Chromium against a real server process: sign in, choose this month,
group by department, see the charts, download the CSV and the XLSX (which hold the JSON's
numbers); the printable 部门月报; and who may not see any of it."""

from __future__ import annotations

import csv
import io

import aiohttp
import openpyxl
import pytest

from queue_server.core.report_figures import FIGURES

from .browser import chromium
from .conftest import ARTIFACTS, PASSWORD, provision
from .serverproc import ALL_DAY_HALL, ServerProcess


@pytest.fixture
async def served(tmp_path):
    """A one-window all-day hall with five tickets today: three served, one 过号, one waiting."""
    config = tmp_path / "hall.toml"
    config.write_text(ALL_DAY_HALL, encoding="utf-8")
    kiosk, _ = provision(tmp_path / "hall.db", [1])
    proc = ServerProcess(tmp_path / "hall.db", config, tmp_path / "server.log")
    await proc.start()
    async with aiohttp.ClientSession(proc.url) as http:

        async def post(path: str, token: str, body=None) -> dict:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.post(path, json=body, headers=headers) as resp:
                assert resp.status in (200, 201), await resp.text()
                return await resp.json()

        clerk = (await post("/api/login", "", {"login": "clerk1", "password": PASSWORD, "window": 1}))["token"]
        for service in ("hukou", "idcard", "hukou", "idcard"):
            await post("/api/tickets", kiosk, {"service": service})
        for _ in range(3):
            called = await post("/api/windows/1/call-next", clerk)
            await post(f"/api/tickets/{called['id']}/finish", clerk)
        status = "waiting"
        while status == "waiting":  # 过号 until final (the hall's rules may send it back in line first)
            called = await post("/api/windows/1/call-next", clerk)
            status = (await post(f"/api/tickets/{called['id']}/no-show", clerk))["status"]
        await post("/api/tickets", kiosk, {"service": "hukou"})
        proc.manager = (await post("/api/login", "", {"login": "manager", "password": PASSWORD}))["token"]
        proc.clerk = clerk
        proc.kiosk = kiosk
    yield proc
    proc.stop()


async def api_report(proc, query: str) -> dict:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{proc.url}/api/reports?{query}", headers={"Authorization": f"Bearer {proc.manager}"}) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def test_the_manager_reads_the_month_by_department_and_downloads_it(served, tmp_path):
    async with chromium() as browser:
        viewport = {"width": 1366, "height": 768}
        context = await browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        # A failed load is caught by its response (the browser's own /favicon.ico 404 has none).
        page.on(
            "console",
            lambda m: problems.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None,
        )
        await page.goto(served.url + "/admin/reports")
        await page.fill("#login-name", "manager")
        await page.fill("#login-password", PASSWORD)
        await page.click("#login button[type=submit]")
        await page.wait_for_function("() => document.body.dataset.loaded")
        await page.select_option("#period", "month")
        await page.select_option("#by", "department")
        await page.click("#query button[type=submit]")
        await page.wait_for_function("() => (document.body.dataset.loaded || '').endsWith('/department')")
        first, last = await page.input_value("#from"), await page.input_value("#to")
        assert first.endswith("-01") and first[:7] == last[:7]
        report = await api_report(served, f"from={first}&to={last}&by=department")
        assert report["total"]["issued"] == 5 and report["total"]["served"] == 3

        # The figures on screen are the API's.
        assert await page.text_content("[data-figure='issued'] .value") == "5"
        assert await page.text_content("#rows tbody tr[data-key='gaj'] td") == "市公安局"
        footer = await page.locator("#rows tfoot td").all_text_contents()
        assert footer[:4] == ["合计", "5", "3", "1"]
        # Four charts drawn, each a canvas with pixels on it (ECharts from this server, no CDN).
        for chart in ("days", "heat", "ratings", "departments"):
            drawn = await page.evaluate(
                "(id) => { const c = document.querySelector(`#${id} canvas`);"
                " return c && c.width > 100 && c.toDataURL().length > 3000; }",
                f"chart-{chart}",
            )
            assert drawn, chart
        # Nothing runs off a clerk PC's screen sideways but the wide table, which scrolls in its card.
        assert await page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        await page.screenshot(path=str(ARTIFACTS / "reports-1366x768.png"), full_page=True)

        async with page.expect_download() as csv_download:
            await page.click("#csv")
        saved = tmp_path / "report.csv"
        await (await csv_download.value).save_as(saved)
        assert (await csv_download.value).suggested_filename == f"统计报表_{first}_{last}_按部门.csv"
        rows = list(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig"))))
        assert rows[1][:4] == ["市公安局", "5", "3", "1"] and rows[-1][0] == "合计"

        async with page.expect_download() as xlsx_download:
            await page.click("#xlsx")
        saved = tmp_path / "report.xlsx"
        await (await xlsx_download.value).save_as(saved)
        sheet = openpyxl.load_workbook(saved)["按部门"]
        values = list(sheet.iter_rows(min_row=3, values_only=True))
        for line, row in zip(values, [*report["rows"], report["total"]], strict=True):
            assert list(line) == [row["label"], *(row[name] for name, _ in FIGURES)]

        # The printable 部门月报 of the same month.
        await page.click("#monthly")
        await page.wait_for_function("() => document.body.dataset.loaded")
        assert first[:7] in page.url
        await page.select_option("#department", "gaj")
        await page.click("#controls button[type=submit]")
        await page.wait_for_function("() => (document.body.dataset.loaded || '').endsWith('/gaj')")
        title = await page.text_content("#title")
        assert title.startswith("市公安局 ") and title.endswith("政务服务月报")
        assert await page.locator("#services tbody tr").count() == 2  # 户口迁移, 居民身份证
        await page.emulate_media(media="print")
        assert not await page.locator("#controls").is_visible()  # paper shows the report only
        await page.screenshot(path=str(ARTIFACTS / "monthly-report-print.png"), full_page=True)
        assert problems == []


async def test_a_clerk_signing_in_on_the_reports_page_is_told_it_is_for_managers(served):
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await page.goto(served.url + "/admin/reports")
        await page.fill("#login-name", "clerk1")
        await page.fill("#login-password", PASSWORD)
        await page.click("#login button[type=submit]")
        await page.wait_for_selector("#login-error:not(.hidden)")
        assert "大厅管理人员" in await page.text_content("#login-error")
        assert await page.locator("#view").is_hidden()

    async with aiohttp.ClientSession() as http:
        for token, status in ((served.clerk, 403), (served.kiosk, 403), (None, 401)):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.get(f"{served.url}/api/reports?format=xlsx", headers=headers) as resp:
                assert resp.status == status
