"""Call-to-phone latency: from the clerk's call-next request to the ticket page on a phone
(/t/CODE, headless Chromium at 390×844) showing 请到 N 号窗口办理.

    .venv/bin/python bench/phone.py [--calls 20]

Starts the sample hall's server (its own process, durable commits). Each call goes to a fresh
ticket whose page is open and connected; the page notes when its headline changed (a
MutationObserver); both clocks are this machine's. Prints each latency, the median and the p95.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser import chromium
from tests.fullhall import FullHall

PHONE = {"width": 390, "height": 844}
WATCH_HEADLINE = """
() => {
  window.__changedAt = null;
  new MutationObserver(() => {
    if (document.getElementById('headline').textContent.indexOf('请到') === 0 && window.__changedAt === null) {
      window.__changedAt = Date.now();
    }
  }).observe(document.getElementById('headline'), { childList: true, characterData: true, subtree: true });
}
"""


async def run(calls: int) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="hallqueue-bench-") as tmp:
        hall = FullHall(Path(tmp))
        await hall.start()
        try:
            service, window = hall.one_window_service()
            clerk = await hall.clerk_at(window)
            latencies = []
            async with chromium() as browser:
                context = await browser.new_context(viewport=PHONE, is_mobile=True)
                for _ in range(calls):
                    [ticket] = await hall.issue(service)
                    page = await context.new_page()
                    async with page.expect_response(lambda r: r.url.endswith("/events")):
                        await page.goto(hall.url + ticket["status_path"])
                    await page.evaluate(WATCH_HEADLINE)
                    started = time.time() * 1000
                    await hall.api("POST", f"/api/windows/{window}/call-next", clerk)
                    await page.wait_for_function("() => window.__changedAt !== null", timeout=10_000)
                    latencies.append(await page.evaluate("() => window.__changedAt") - started)
                    await hall.api("POST", f"/api/tickets/{ticket['id']}/finish", clerk)
                    await page.close()
                await context.close()
            return latencies
        finally:
            hall.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    latencies = asyncio.run(run(args.calls))
    print("call → phone page, ms:", " ".join(f"{x:.0f}" for x in latencies))
    ordered = sorted(latencies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(
        f"calls {len(latencies)}  median {statistics.median(latencies):.0f} ms  "
        f"p95 {p95:.0f} ms  max {ordered[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
