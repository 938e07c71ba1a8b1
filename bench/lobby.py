"""Call-to-screen latency: from the clerk's call-next request to the number painted on the lobby
page in headless Chromium, while other WebSocket clients follow the same stream.

    .venv/bin/python bench/lobby.py [--calls 200] [--clients 200]

Starts its own server process (durable commits). The page notes when it painted each number
(requestAnimationFrame after rendering); both clocks are this machine's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queue_server.store import accounts
from queue_server.store.database import open_database
from tests.browser import chromium
from tests.serverproc import ALL_DAY_HALL, ServerProcess

PASSWORD = "benchmark password"


async def follower(url: str, received: list[int], stop: asyncio.Event) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        while not stop.is_set():
            try:
                msg = await asyncio.wait_for(ws.receive(), 0.5)
            except TimeoutError:
                continue
            if msg.type != aiohttp.WSMsgType.TEXT:
                return
            received[0] += 1


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="hallqueue-bench-") as tmp:
        folder = Path(tmp)
        # No kiosk rate limit: the benchmark issues hundreds of tickets from one kiosk.
        config = ALL_DAY_HALL + "\n[limits]\nkiosk_tickets_per_minute = 0\n"
        (folder / "hall.toml").write_text(config, encoding="utf-8")
        db = open_database(folder / "hall.db")
        now = datetime.now().astimezone()
        kiosk = accounts.add_device(db, "bench-kiosk", "kiosk", now)
        accounts.add_user(db, "clerk1", "clerk", PASSWORD, now)
        db.close()
        server = ServerProcess(folder / "hall.db", folder / "hall.toml", folder / "server.log", "warning")
        await server.start()
        stop = asyncio.Event()
        received = [0]
        try:
            async with aiohttp.ClientSession(server.url) as http:
                for _ in range(args.calls):
                    async with http.post(
                        "/api/tickets", json={"service": "hukou"}, headers={"Authorization": f"Bearer {kiosk}"}
                    ) as resp:
                        resp.raise_for_status()
                async with http.post("/api/login", json={"login": "clerk1", "password": PASSWORD, "window": 1}) as resp:
                    clerk = {"Authorization": f"Bearer {(await resp.json())['token']}"}
                events_url = server.url.replace("http", "ws", 1) + "/api/events"
                followers = [asyncio.create_task(follower(events_url, received, stop)) for _ in range(args.clients)]
                async with chromium() as browser:
                    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
                    await page.goto(server.url + "/display")
                    await page.wait_for_selector("#link.ok")
                    latencies = []
                    for _ in range(args.calls):
                        started = time.time() * 1000
                        async with http.post("/api/windows/1/call-next", headers=clerk) as resp:
                            ticket = await resp.json()
                        number = ticket["number"]
                        # A function, not an expression: the page's CSP forbids eval.
                        handle = await page.wait_for_function("(n) => window.__painted[n]", arg=number)
                        latencies.append(await handle.json_value() - started)
                        async with http.post(f"/api/tickets/{ticket['id']}/finish", headers=clerk) as resp:
                            resp.raise_for_status()
                stop.set()
                await asyncio.gather(*followers, return_exceptions=True)
        finally:
            server.stop()
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(
        f"lobby call-to-screen, {args.calls} calls, {args.clients} other WebSocket clients "
        f"({received[0]} messages delivered to them):"
    )
    print(f"  p50 {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--clients", type=int, default=200)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
