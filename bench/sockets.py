"""Memory per idle event socket: the RSS of a real ``hallqueue serve`` process before and after
N idle WebSockets on ``/api/events``.

    .venv/bin/python bench/sockets.py [--sockets 500 2000] [--addresses 8]

Each N is measured twice: with aiohttp clients as the display PCs and kiosks use them, and with
clients that offer permessage-deflate as every browser does (lobby TVs, phones, staff pages).
Each run gets a fresh server process (log level warning, its limits raised above N so the caps do
not interfere). The sockets come from several loopback source addresses (127.0.0.2 ...), like
phones behind a few NAT addresses. RSS is VmRSS from /proc/PID/status, read after every socket
has received its snapshot and the server has settled; it includes what the kernel charges to
the process (not socket buffers, which are kernel memory). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queue_server.store import accounts
from queue_server.store.database import open_database
from tests.serverproc import ALL_DAY_HALL, ServerProcess

BATCH = 100  # handshakes in flight at once
WARM_UP = 20  # sockets opened and closed first, so one-time allocations are not counted


def rss_kib(pid: int) -> int:
    """The process's resident set (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def raise_nofile() -> int:
    """Raise this process's soft fd limit to the hard one (it holds the client ends)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


async def settle(pid: int, seconds: float = 1.5) -> int:
    """RSS once it stops moving (freed arenas and late allocations have landed)."""
    await asyncio.sleep(seconds)
    return rss_kib(pid)


async def open_sockets(url: str, n: int, sessions: list[aiohttp.ClientSession], deflate: bool) -> list:
    """Open ``n`` sockets round-robin over the sessions; each must receive its snapshot."""

    async def one(i: int):
        ws = await sessions[i % len(sessions)].ws_connect(url, compress=15 if deflate else 0)
        msg = await asyncio.wait_for(ws.receive(), 30)
        assert msg.type == aiohttp.WSMsgType.TEXT and '"snapshot"' in msg.data[:40], msg
        return ws

    sockets = []
    for start in range(0, n, BATCH):
        sockets += await asyncio.gather(*(one(i) for i in range(start, min(n, start + BATCH))))
    return sockets


async def measure(n: int, addresses: int, deflate: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="hallqueue-bench-") as tmp:
        folder = Path(tmp)
        cap = max(n * 2, 10)
        config = ALL_DAY_HALL + f"\n[limits]\nevent_sockets = {cap}\nevent_sockets_per_address = {cap}\n"
        (folder / "hall.toml").write_text(config, encoding="utf-8")
        db = open_database(folder / "hall.db")
        kiosk = accounts.add_device(db, "bench-kiosk", "kiosk", datetime.now().astimezone())
        db.close()
        server = ServerProcess(folder / "hall.db", folder / "hall.toml", folder / "server.log", "warning")
        await server.start()
        pid = server.proc.pid
        url = server.url.replace("http", "ws", 1) + "/api/events"
        sessions = [
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, local_addr=(f"127.0.0.{2 + i}", 0)))
            for i in range(addresses)
        ]
        try:
            async with aiohttp.ClientSession(server.url) as http:
                for _ in range(20):  # some state for the snapshot, as in a hall at mid-morning
                    async with http.post(
                        "/api/tickets", json={"service": "hukou"}, headers={"Authorization": f"Bearer {kiosk}"}
                    ) as resp:
                        resp.raise_for_status()
            for ws in await open_sockets(url, WARM_UP, sessions, deflate):
                await ws.close()
            before = await settle(pid)
            started = time.perf_counter()
            sockets = await open_sockets(url, n, sessions, deflate)
            opened_s = time.perf_counter() - started
            after = await settle(pid)
            for ws in sockets:
                await ws.close()
            closed = await settle(pid)
        finally:
            for s in sessions:
                await s.close()
            server.stop()
        return {
            "n": n,
            "client": "deflate offered" if deflate else "plain",
            "before_mib": before / 1024,
            "after_mib": after / 1024,
            "closed_mib": closed / 1024,
            "per_socket_kib": (after - before) / n,
            "open_s": opened_s,
        }


async def run(args: argparse.Namespace) -> None:
    hard = raise_nofile()
    print(f"RLIMIT_NOFILE of the bench: {hard}; sockets from {args.addresses} loopback addresses")
    print(
        f"{'sockets':>8} {'clients':>16} {'RSS before':>11} {'RSS open':>10} {'per socket':>11} "
        f"{'after close':>12} {'open time':>10}"
    )
    for n in args.sockets:
        for deflate in (False, True):
            r = await measure(n, args.addresses, deflate)
            print(
                f"{r['n']:>8} {r['client']:>16} {r['before_mib']:>9.1f}Mi {r['after_mib']:>8.1f}Mi "
                f"{r['per_socket_kib']:>8.1f}KiB {r['closed_mib']:>10.1f}Mi {r['open_s']:>9.2f}s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--addresses", type=int, default=8)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
