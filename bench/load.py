"""Load generator: N kiosks issuing tickets and M clerks calling next, over HTTP on loopback.

    .venv/bin/python bench/load.py --kiosks 50 --clerks 10 --seconds 20

Starts its own `hallqueue serve` (a fresh database in a temporary folder, durable
commits as in production) unless --url points at a running server. Prints tickets/s and
issue latency percentiles, and the same for call-next.
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
from tests.serverproc import ServerProcess

PASSWORD = "benchmark password"


def hall_toml(windows: int) -> str:
    lines = [
        '[hall]\nname = "压测大厅"\nhours = { daily = ["00:00-24:00"] }\n',
        '[[departments]]\ncode = "gaj"\nname = "市公安局"\n',
        # One token stands in for every kiosk of a hall: the per-kiosk rate limit is off here.
        "[limits]\nkiosk_tickets_per_minute = 0\n",
    ]
    for code, prefix in (("hukou", "A"), ("idcard", "A"), ("tax", "E"), ("water", "Q")):
        lines.append(f'[[services]]\ncode = "{code}"\nname = "{code}"\ndepartment = "gaj"\nprefix = "{prefix}"\n')
    for n in range(1, windows + 1):
        lines.append(f'[[windows]]\nnumber = {n}\nname = "窗口{n}"\nservices = ["hukou", "idcard", "tax", "water"]\n')
    return "\n".join(lines)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def run(args: argparse.Namespace) -> None:
    server = None
    with tempfile.TemporaryDirectory(prefix="hallqueue-bench-") as tmp:
        if args.url:
            url, kiosk_token = args.url, args.kiosk_token
        else:
            folder = Path(tmp)
            (folder / "hall.toml").write_text(hall_toml(max(args.clerks, 1)), encoding="utf-8")
            db = open_database(folder / "hall.db")
            now = datetime.now().astimezone()
            kiosk_token = accounts.add_device(db, "bench-kiosk", "kiosk", now)
            for n in range(1, args.clerks + 1):
                accounts.add_user(db, f"clerk{n}", "clerk", PASSWORD, now)
            db.close()
            # warning: the one-line-per-change log would measure the disk, not the queue
            server = ServerProcess(folder / "hall.db", folder / "hall.toml", folder / "server.log", "warning")
            await server.start()
            url = server.url
        try:
            await measure(url, kiosk_token, args)
        finally:
            if server:
                server.stop()


async def measure(url: str, kiosk_token: str, args: argparse.Namespace) -> None:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(url, connector=connector) as session:
        clerk_headers = []
        for n in range(1, args.clerks + 1):
            async with session.post(
                "/api/login", json={"login": f"clerk{n}", "password": PASSWORD, "window": n}
            ) as resp:
                resp.raise_for_status()
                clerk_headers.append((n, {"Authorization": f"Bearer {(await resp.json())['token']}"}))
        kiosk = {"Authorization": f"Bearer {kiosk_token}"}
        issue_latency: list[float] = []
        call_latency: list[float] = []
        errors = 0
        deadline = time.perf_counter() + args.seconds

        async def kiosk_loop(k: int) -> None:
            nonlocal errors
            i = 0
            while time.perf_counter() < deadline:
                i += 1
                body = {"service": "hukou" if i % 3 else "tax", "request_id": f"k{k}-{i}"}
                t0 = time.perf_counter()
                async with session.post("/api/tickets", json=body, headers=kiosk) as resp:
                    await resp.read()
                    if resp.status == 201:
                        issue_latency.append(time.perf_counter() - t0)
                    else:
                        errors += 1

        async def clerk_loop(n: int, headers: dict[str, str]) -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                async with session.post(f"/api/windows/{n}/call-next", headers=headers) as resp:
                    body = await resp.json() if resp.status == 200 else None
                    if resp.status not in (200, 204):
                        errors += 1
                if body is None:
                    await asyncio.sleep(0.01)
                    continue
                call_latency.append(time.perf_counter() - t0)
                async with session.post(f"/api/tickets/{body['id']}/finish", headers=headers) as resp:
                    await resp.read()

        async with session.get("/api/health") as resp:
            commits_before = (await resp.json()).get("commits", 0)
        started = time.perf_counter()
        await asyncio.gather(
            *(kiosk_loop(k) for k in range(args.kiosks)), *(clerk_loop(n, h) for n, h in clerk_headers)
        )
        elapsed = time.perf_counter() - started
        async with session.get("/api/health") as resp:
            commits = (await resp.json()).get("commits", 0) - commits_before

    ms = 1000
    print(
        f"hallqueue load: {args.kiosks} kiosks, {args.clerks} clerks, {elapsed:.1f} s, loopback HTTP, "
        "durable commits (WAL, synchronous=FULL)"
    )
    print(f"  tickets issued: {len(issue_latency)}  -> {len(issue_latency) / elapsed:.0f} tickets/s")
    print(
        f"  issue latency:  p50 {percentile(issue_latency, 50) * ms:.1f} ms  "
        f"p99 {percentile(issue_latency, 99) * ms:.1f} ms  max {max(issue_latency, default=0) * ms:.1f} ms"
    )
    if call_latency:
        print(
            f"  calls:          {len(call_latency)} -> {len(call_latency) / elapsed:.0f} calls/s, "
            f"p50 {percentile(call_latency, 50) * ms:.1f} ms  p99 {percentile(call_latency, 99) * ms:.1f} ms"
        )
    writes = len(issue_latency) + 2 * len(call_latency)
    print(
        f"  commits (fsync): {commits} -> {commits / elapsed:.0f}/s, {writes / max(commits, 1):.1f} changes per commit"
    )
    print(f"  errors:         {errors}")
    if issue_latency:
        print(f"  mean issue latency {statistics.fmean(issue_latency) * ms:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--clerks", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--url", help="a running server (then also --kiosk-token)")
    parser.add_argument("--kiosk-token")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(run(args))
    except ImportError:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
