"""预约 under load: N clients booking at once, over HTTP on loopback.

    .venv/bin/python bench/bookings.py --clients 50 --seconds 20

Starts its own `hallqueue serve` (a fresh database in a temporary folder, durable commits, the
SMS confirmation stored and written to the log sink as in production). Each client books slot
after slot with phone numbers of its own; prints bookings/s and latency percentiles. Then 50
clients race for one slot of 4 places and the count booked is printed (it must be 4).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import percentile
from tests.serverproc import ServerProcess

ZONE = ZoneInfo("Asia/Shanghai")
HALL = """
[hall]
name = "压测大厅"
hours = { daily = ["00:00-24:00"] }

[booking]
requests_per_minute = 100000   # every client comes from 127.0.0.1

[notify]
log_file = "notify.log"

[[departments]]
code = "crj"
name = "出入境"

[[services]]
code = "passport"
name = "普通护照办理"
department = "crj"
prefix = "B"
booking = { slot_minutes = 5, per_slot = 1000, days_ahead = 60 }

[[services]]
code = "race"
name = "抢约测试"
department = "crj"
prefix = "C"
booking = { slot_minutes = 60, per_slot = 4, days_ahead = 1 }

[[windows]]
number = 1
name = "出入境"
services = ["passport", "race"]
"""


def slot_starts(days: int) -> list[str]:
    """Every 5-minute slot of the next ``days`` days from tomorrow (none of them begun)."""
    first = datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return [(first + timedelta(minutes=5 * n)).isoformat() for n in range(days * 24 * 12)]


async def measure(url: str, args: argparse.Namespace) -> None:
    slots = slot_starts(50)
    latencies: list[float] = []
    refused: dict[str, int] = {}
    booked = 0
    deadline = time.perf_counter() + args.seconds
    async with aiohttp.ClientSession(url, connector=aiohttp.TCPConnector(limit=0)) as session:

        async def client(c: int) -> None:
            nonlocal booked
            n = 0
            while time.perf_counter() < deadline:
                # A phone per client and day: the one-per-phone-per-day rule never refuses here.
                body = {
                    "service": "passport",
                    "slot_start": slots[(n * 97 + c) % len(slots)],
                    "name": "压测",
                    "phone": f"13{c:03d}{n:06d}",
                }
                started = time.perf_counter()
                async with session.post("/api/bookings", json=body) as resp:
                    data = await resp.json()
                latencies.append(time.perf_counter() - started)
                if resp.status == 201:
                    booked += 1
                else:
                    code = data["error"]["code"]
                    refused[code] = refused.get(code, 0) + 1
                n += 1

        started = time.perf_counter()
        await asyncio.gather(*(client(c) for c in range(args.clients)))
        elapsed = time.perf_counter() - started
        ms = [x * 1000 for x in latencies]
        print(f"{args.clients} clients, {elapsed:.1f} s: {booked} bookings, {booked / elapsed:.0f} bookings/s")
        print(f"latency ms: p50 {percentile(ms, 50):.1f}  p90 {percentile(ms, 90):.1f}  p99 {percentile(ms, 99):.1f}")
        if refused:
            print("refused:", refused)

        race = (datetime.now(ZONE).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)).replace(hour=10)
        bodies = [
            {"service": "race", "slot_start": race.isoformat(), "name": "抢约", "phone": f"139{n:08d}"}
            for n in range(50)
        ]

        async def one(body: dict) -> int:
            async with session.post("/api/bookings", json=body) as resp:
                return resp.status

        statuses = await asyncio.gather(*(one(b) for b in bodies))
        print(
            f"50 clients racing for a slot of 4 places: {statuses.count(201)} booked, "
            f"{statuses.count(409)} told it is full"
        )


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="hallqueue-bench-") as tmp:
        folder = Path(tmp)
        (folder / "hall.toml").write_text(HALL, encoding="utf-8")
        server = ServerProcess(folder / "hall.db", folder / "hall.toml", folder / "server.log", "warning")
        await server.start()
        try:
            await measure(server.url, args)
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
