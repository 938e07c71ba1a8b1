"""The lobby screen (综合屏) at full hall scale, in headless Chromium against a real server.

The sample hall of ``tests/fullhall.py``: 37 windows all signed in, dozens of services with
people waiting. At 1920x1080, 1366x768 and 3840x2160 every window and every waiting service is
on screen within one paging cycle, nothing is cut, the text is big enough to read from 5 m, and
the current call keeps its contrast while it rings. The screenshots go to test-artifacts/.
"""

from __future__ import annotations

import asyncio

import pytest

from .browser import chromium
from .conftest import ARTIFACTS
from .fullhall import FullHall

PAGE_SECONDS = 1.5
SIZES = ((1920, 1080), (1366, 768), (3840, 2160))
# The text of window numbers, tickets and waiting counts as a share of the screen height: 4 % up
# to 1080p; a 4K screen shows more tiles of the same physical size rather than bigger ones.
MIN_TEXT = {1080: 0.04, 768: 0.04, 2160: 0.029}
IDLE, PAUSED = "空闲", "暂停服务"

# What the screen shows now, read in one go so that the page numbers match the tiles. Functions,
# not expressions: the page's CSP forbids eval, which Playwright would use for an expression.
BOARD = """() => {
  const shown = (e) => e.getClientRects().length > 0;
  const board = (id) => {
    const box = document.getElementById(id);
    return { page: box.dataset.page, pages: Number(box.dataset.pages),
             indicator: document.getElementById(`${id}-pager`).textContent };
  };
  return {
    windows: { ...board("windows"), tiles: [...document.querySelectorAll("#windows .win")].filter(shown)
      .map((e) => [Number(e.dataset.window), e.querySelector(".now").textContent]) },
    queues: { ...board("queues"), rows: [...document.querySelectorAll("#queues .q[data-service]")].filter(shown)
      .map((e) => [e.dataset.service, e.querySelector(".name").textContent]) },
    calls: [...document.querySelectorAll("#calls li")].filter(shown).map((e) => e.dataset.number),
    fonts: [...document.querySelectorAll("#windows .no, #windows .now, #queues .count, #current .number")]
      .filter(shown).map((e) => [`${e.className} ${e.textContent}`, parseFloat(getComputedStyle(e).fontSize)]),
  };
}"""

# Every tile, row, call line and the current-call box: inside the screen and its panel, and no
# text wider or taller than its box (the text elements are blocks or flex items, so their
# client size is the room they have).
CLIPPED = """() => {
  const problems = [];
  const shown = (e) => e.getClientRects().length > 0;
  const inside = (r, o) => r.left >= o.left - 0.5 && r.top >= o.top - 0.5 && r.right <= o.right + 0.5
    && r.bottom <= o.bottom + 0.5;
  const screen = { left: 0, top: 0, right: innerWidth, bottom: innerHeight };
  const groups = [
    ["#windows .win", "#windows", ".no, .name, .now"],
    ["#queues .q", "#queues", ".name, .count, .eta"],
    ["#calls li", "#calls", ".number, .window, .note"],
    ["#current", "#left", ".label, .again, .number, .where, .win-name"],
  ];
  for (const [items, panel, texts] of groups) {
    const room = document.querySelector(panel).getBoundingClientRect();
    for (const e of [...document.querySelectorAll(items)].filter(shown)) {
      const name = `${items} ${e.dataset.window || e.dataset.service || e.dataset.number || ""}`;
      const r = e.getBoundingClientRect();
      if (!inside(r, screen)) problems.push(`${name}: outside the screen`);
      if (!inside(r, room)) problems.push(`${name}: outside ${panel}`);
      for (const t of [e, ...e.querySelectorAll(texts)].filter(shown)) {
        if (t.scrollWidth > t.clientWidth || t.scrollHeight > t.clientHeight) {
          problems.push(`${name} .${t.className}: "${t.textContent}" is ${t.scrollWidth}x${t.scrollHeight}`
            + ` in ${t.clientWidth}x${t.clientHeight}`);
        }
      }
    }
  }
  return problems;
}"""

# The worst contrast of the current-call box's text, every 50 ms for 2 s (WCAG 2 contrast ratio;
# the background is the first opaque one up the tree, with translucent layers blended over it).
CONTRAST_WHILE_RINGING = """() => new Promise((resolve) => {
  const rgba = (c) => {
    const p = c.match(/[\\d.]+/g).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => top.slice(0, 3).map((v, i) => v * top[3] + under[i] * (1 - top[3]));
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (e) => {
    const layers = [];
    for (let n = e; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255]);
  };
  const box = document.getElementById("current");
  const texts = [...box.querySelectorAll(".label, .again, .number, .pre, .win-no, .post, .win-name")]
    .filter((e) => e.getClientRects().length > 0 && e.textContent.trim());
  const worst = () => Math.min(...texts.map((e) => {
    const bg = background(e);
    const fg = over(rgba(getComputedStyle(e).color), bg);
    const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  }));
  const ringing = document.getAnimations().some((a) => a.effect && a.effect.target === box);
  const samples = [];
  const started = performance.now();
  const sample = () => {
    samples.push(worst());
    if (performance.now() - started < 2000) setTimeout(sample, 50);
    else resolve({ ringing, samples, texts: texts.length });
  };
  sample();
})"""


async def _ready(hall: FullHall) -> None:
    await hall.start()
    await hall.busy()


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """The busy sample hall, shared by the tests of this module; each test that calls leaves
    windows 12, 19 and 37 as busy() left them (paused, idle, idle)."""
    hall = FullHall(tmp_path_factory.mktemp("lobby-hall"))
    try:
        asyncio.run(_ready(hall))
        yield hall
    finally:
        hall.stop()


async def open_lobby(browser, hall: FullHall, size: tuple[int, int], query: str = ""):
    page = await browser.new_page(viewport={"width": size[0], "height": size[1]})
    await page.goto(f"{hall.url}/display?page_seconds={PAGE_SECONDS}{query}")
    await page.wait_for_selector("#link.ok")
    await laid_out(page, size)
    return page


async def laid_out(page, size: tuple[int, int]) -> None:
    """Wait until the page has measured its boards at this size, in the hall's font."""
    await page.wait_for_function("(s) => document.body.dataset.laidOut === s", arg=f"{size[0]}x{size[1]}")


async def one_cycle(page, shots: str) -> list[dict]:
    """What the screen showed on each page of one paging cycle, starting from the page shown
    now: one reading per page change (both boards turn together), with a screenshot of each."""
    readings = []
    while True:
        reading = await page.evaluate(BOARD)
        reading["clipped"] = await page.evaluate(CLIPPED)
        readings.append(reading)
        suffix = f"-{len(readings)}" if len(readings) > 1 else ""
        await page.screenshot(path=str(ARTIFACTS / f"{shots}{suffix}.png"))
        turns = max(reading["windows"]["pages"], reading["queues"]["pages"])
        if len(readings) >= turns:
            return readings
        await page.wait_for_function(
            "([w, q]) => document.getElementById('windows-pager').textContent !== w"
            " || document.getElementById('queues-pager').textContent !== q",
            arg=[reading["windows"]["indicator"], reading["queues"]["indicator"]],
            timeout=PAGE_SECONDS * 3000,
        )


async def test_every_window_and_waiting_service_is_shown_whole_and_readable(hall):
    state = await hall.api("GET", "/api/state")
    waiting = {s["code"]: s["short_name"] for s in state["services"] if s["waiting"] > 0}
    assert len(waiting) > 40 and len(state["windows"]) == 37
    ARTIFACTS.mkdir(exist_ok=True)
    async with chromium() as browser:
        page = await open_lobby(browser, hall, SIZES[0])
        for width, height in SIZES:
            # One page for all sizes: a resize must measure and page the boards again.
            await page.set_viewport_size({"width": width, "height": height})
            await laid_out(page, (width, height))
            readings = await one_cycle(page, f"lobby-{width}x{height}")
            where = f"at {width}x{height}"

            for board in ("windows", "queues"):
                pages = readings[0][board]["pages"]
                assert {r[board]["page"] for r in readings} == {str(p) for p in range(1, pages + 1)}, where
                if pages > 1:
                    assert readings[0][board]["indicator"] == f"{readings[0][board]['page']}/{pages}"
            windows = {n: now for r in readings for n, now in r["windows"]["tiles"]}
            assert sorted(windows) == list(range(1, 38)), where
            assert windows[19] == IDLE and windows[37] == IDLE and windows[12] == PAUSED, where
            assert all(now for now in windows.values()), where
            services = {code: name for r in readings for code, name in r["queues"]["rows"]}
            assert services == waiting, where  # each by its short name, none left out
            assert readings[0]["calls"], where

            for r in readings:
                assert r["clipped"] == [], where
                smallest = MIN_TEXT[height] * height
                too_small = [(what, size) for what, size in r["fonts"] if size < smallest]
                assert too_small == [], f"{where}: below {smallest:.1f} px"
            if height == 2160:
                # A 4K screen shows more on a page than 1080p, not the same scaled up.
                assert len(readings[0]["windows"]["tiles"]) > 15 and len(readings[0]["queues"]["rows"]) > 15


async def serving(hall: FullHall, window: int) -> dict:
    """Finish what ``window`` has in hand and call its next ticket."""
    queue = await hall.api("GET", f"/api/windows/{window}/queue", hall.clerks[window])
    if queue["ticket"]:
        await hall.api("POST", f"/api/tickets/{queue['ticket']['id']}/finish", hall.clerks[window])
    ticket = await hall.api("POST", f"/api/windows/{window}/call-next", hall.clerks[window])
    assert ticket, f"nobody waits for window {window}"
    return ticket


async def test_the_current_call_keeps_its_contrast_while_it_rings(hall):
    async with chromium() as browser:
        page = await open_lobby(browser, hall, (1920, 1080))
        ticket = await serving(hall, 3)
        await page.wait_for_function(
            "(n) => document.getElementById('current-number').textContent === n", arg=ticket["number"]
        )
        result = await page.evaluate(CONTRAST_WHILE_RINGING)
        assert result["ringing"], "a new call rings the box"
        assert result["texts"] >= 5 and len(result["samples"]) >= 30
        assert min(result["samples"]) >= 4.5, result["samples"]
        assert "3 号窗口" in await page.text_content("#calls li:first-child")


async def test_a_recall_moves_its_line_to_the_top(hall):
    async with chromium() as browser:
        page = await open_lobby(browser, hall, (1366, 768))
        first = await serving(hall, 1)
        second = await serving(hall, 2)
        await page.wait_for_function(
            "(n) => document.querySelector('#calls li')?.dataset.number === n", arg=second["number"]
        )
        await hall.api("POST", f"/api/tickets/{first['id']}/recall", hall.clerks[1])  # 重呼
        await page.wait_for_function(
            "(n) => document.querySelector('#calls li')?.dataset.number === n", arg=first["number"]
        )
        top = page.locator("#calls li").first
        assert "再次呼叫" in await top.text_content()
        assert await top.locator(".again").is_visible()
        assert await page.locator(f"#calls li[data-number='{first['number']}']").count() == 1
        assert await page.locator("#calls li").nth(1).get_attribute("data-number") == second["number"]
        assert await page.locator("#current .again").is_visible()
        assert await page.text_content("#current-number") == first["number"]
        assert await page.evaluate(CLIPPED) == []
        await page.screenshot(path=str(ARTIFACTS / "lobby-recall-1366x768.png"))


async def test_a_screen_for_some_windows(hall):
    state = await hall.api("GET", "/api/state")
    served = {s for w in state["windows"] if 31 <= w["number"] <= 35 for s in w["services"]}
    async with chromium() as browser:
        page = await open_lobby(browser, hall, (1920, 1080), "&windows=31-35")
        board = await page.evaluate(BOARD)
        assert [n for n, _ in board["windows"]["tiles"]] == [31, 32, 33, 34, 35]
        assert await page.locator("[data-window]").count() == 5
        assert board["windows"]["indicator"] == ""  # all on one page
        rows = await page.eval_on_selector_all("[data-service]", "(rows) => rows.map((r) => r.dataset.service)")
        assert rows and set(rows) <= served
        calls = await page.eval_on_selector_all("#calls .window", "(lines) => lines.map((l) => l.textContent)")
        assert calls and set(calls) <= {f"{n} 号窗口" for n in range(31, 36)}
        assert await page.evaluate(CLIPPED) == []
        await page.screenshot(path=str(ARTIFACTS / "lobby-windows-31-35.png"))

        await page.goto(f"{hall.url}/display?windows=1-3,31")
        await page.wait_for_selector("#link.ok")
        await laid_out(page, (1920, 1080))
        shown = await page.eval_on_selector_all("[data-window]", "(tiles) => tiles.map((t) => t.dataset.window)")
        assert shown == ["1", "2", "3", "31"]
