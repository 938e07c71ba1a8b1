"""Every page of the hall at every size halls use, on the full sample hall (37 windows, dozens of
services waiting): nothing spills past the viewport sideways, no text is cut inside its box, no
English leaks onto a Chinese screen, and a screenshot of each lands in test-artifacts/."""

from __future__ import annotations

import re

import pytest

from .browser import chromium
from .conftest import ARTIFACTS
from .fullhall import FullHall
from .test_staff_pages import sign_in

SIZES = {"tv": (1920, 1080), "clerk-pc": (1366, 768), "tv-4k": (3840, 2160)}

# Text elements whose content overflows their own box (cut, or spilling over a neighbour), and
# elements reaching past the viewport's sides. Scrolling down a long staff page is fine; a page
# wider than the screen is not.
PROBLEMS = """() => {
  const SKIPPED = ["SCRIPT", "TEXTAREA", "SELECT", "INPUT", "OPTION", "TBODY"];
  const out = [];
  const W = document.documentElement.clientWidth;
  if (document.scrollingElement.scrollWidth > W + 1) out.push(`page ${document.scrollingElement.scrollWidth}px wide`);
  for (const e of document.querySelectorAll("body *")) {
    const s = getComputedStyle(e);
    if (s.display === "none" || s.visibility === "hidden" || e.closest(".hidden")) continue;
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    if (SKIPPED.includes(e.tagName)) continue;
    if (r.left < -1 || r.right > W + 1) out.push(`${e.tagName}.${e.className}#${e.id} spans ${r.left}-${r.right}`);
    const ownText = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (ownText && s.overflowX !== "visible" && e.scrollWidth > e.clientWidth + 1) {
      out.push(`text cut in ${e.tagName}.${e.className}: "${e.textContent.trim().slice(0, 30)}"`);
    }
  }
  return out;
}"""
ALLOWED_LATIN = {"QJ", "kiosk"}  # 工号 prefixes and device names are data, not UI words


def english_words(text: str) -> set[str]:
    words = set(re.findall(r"[A-Za-z]{4,}", text))
    return {w for w in words if not any(w.startswith(a) for a in ALLOWED_LATIN)}


@pytest.fixture
async def hall(tmp_path):
    hall = FullHall(tmp_path)
    await hall.start()
    try:
        await hall.busy()
        yield hall
    finally:
        hall.stop()


async def test_every_page_at_every_size(hall):
    ARTIFACTS.mkdir(exist_ok=True)
    async with chromium() as browser:
        # Each size's clerk console takes over a window from busy()'s API session: 5, 6, 7.
        for window, (width, height) in zip((5, 6, 7), SIZES.values(), strict=True):
            context = await browser.new_context(viewport={"width": width, "height": height})
            pages = {}
            pages["lobby"] = await context.new_page()
            await pages["lobby"].goto(hall.url + "/display")
            await pages["lobby"].wait_for_selector("#link.ok")
            pages["clerk"] = await context.new_page()
            await hall.api("POST", "/api/logout", hall.clerks[window])
            await sign_in(pages["clerk"], hall, f"clerk{window}", window)
            await pages["clerk"].wait_for_selector("#console:not(.hidden)")
            pages["admin"] = await context.new_page()
            await sign_in(pages["admin"], hall, "manager")
            await pages["admin"].wait_for_selector("#view:not(.hidden)")
            pages["rate"] = await context.new_page()
            await pages["rate"].goto(f"{hall.url}/rate/1#token={hall.tablets[1]}")
            await pages["rate"].wait_for_selector("#idle:not(.hidden)")
            for name, page in pages.items():
                await page.wait_for_load_state("networkidle")
                await page.screenshot(path=str(ARTIFACTS / f"every-size-{name}-{width}x{height}.png"))
                problems = await page.evaluate(PROBLEMS)
                assert problems == [], f"{name} at {width}x{height}: {problems[:8]}"
                text = await page.evaluate("() => document.body.innerText")
                assert english_words(text) == set(), f"{name} at {width}x{height}"
            await context.close()
