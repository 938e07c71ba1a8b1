"""The hall-day simulator's speed, a year of history through the real store, and a server started
on that history.

    .venv/bin/python bench/simulate.py                 # one sample-hall day, and a ~5,000-ticket day
    .venv/bin/python bench/simulate.py --days 30       # ... and 30 days of history, and a server on it
    .venv/bin/python bench/simulate.py --year --db year.db   # a year, kept in year.db
    .venv/bin/python bench/simulate.py --year --skip-day --demand 1.2    # a year of ~1.2 M tickets
    .venv/bin/python bench/simulate.py --history year.db     # only the server started on it

Runs on the sample hall (its config and arrival profile): (a) one weekday simulated, then the
same day with every service's demand scaled to about 5,000 tickets, with and without writing
it as history (in this process); (b) with ``--days``/``--year``, that many days up to yesterday
written as ``hallqueue simulate --write-history`` does, by a second process (``HistoryProcess``;
``--in-process``: ``HistoryWriter`` here), with every service's demand times ``--demand``:
seconds, tickets/s, the database's size; (c) then ``hallqueue serve`` started on the history (and on an
empty database): seconds from launch to the first ``/api/health`` answer, ``Store.restore`` in
milliseconds, and the server's RSS (VmRSS from /proc/PID/status) once started and after a ticket.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time
import tomllib
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queue_server.config import load_hall_config
from queue_server.core.model import HallConfig
from queue_server.core.numbering import business_day
from queue_server.sim.days import simulated_days
from queue_server.sim.history import HistoryWriter
from queue_server.sim.history_process import HistoryProcess
from queue_server.sim.profile import ArrivalProfile, profile_from_dict
from queue_server.sim.run import Simulation
from queue_server.sim.staffing import StaffingPlan
from queue_server.store import accounts
from queue_server.store.database import Store, open_database
from queue_server.store.rollup import closed_before, roll_up_missing
from tests.fullhall import all_day_sample
from tests.serverproc import ServerProcess

SAMPLE = resources.files("queue_server.config").joinpath("sample")
WEEKDAY = date(2026, 3, 10)  # an ordinary Tuesday: no holiday, not the start of a month
BIG_DAY_TICKETS = 5_000


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def scaled_profile(raw: dict, config: HallConfig, factor: float) -> ArrivalProfile:
    """The profile with every service's tickets per day multiplied by ``factor``."""
    services = {}
    for code, entry in raw["services"].items():
        if isinstance(entry, dict):
            services[code] = {**entry, "per_day": entry["per_day"] * factor}
        else:
            services[code] = entry * factor
    return profile_from_dict({**raw, "services": services}, config)


def one_day(config: HallConfig, profile: ArrivalProfile, history: Path | None = None) -> tuple[int, float]:
    """(tickets, seconds) of simulating ``WEEKDAY``, written as history into ``history`` if given."""
    writer = HistoryWriter.create(history) if history else None
    sim = Simulation(config, profile, StaffingPlan(), 1, on_journal=writer.add if writer else None)
    gc.collect()  # each day timed from a clean heap, not the garbage of the one before
    started = time.perf_counter()
    result = sim.run_day(WEEKDAY)
    sim.finish(WEEKDAY)
    if writer is not None:
        writer.close()
    elapsed = time.perf_counter() - started
    return sum(1 for v in result.visits if v.ticket_id is not None), elapsed


def bench_days(config: HallConfig, raw: dict, folder: Path) -> None:
    profile = profile_from_dict(raw, config)
    tickets, seconds = one_day(config, profile)
    print(f"(a) one sample-hall day ({WEEKDAY}, {WEEKDAY:%a}): {tickets} tickets in {seconds:.2f} s")
    # Balking and daily caps grow with the queues: a few steps to land near BIG_DAY_TICKETS.
    factor, big = 1.0, profile
    for _ in range(6):
        if abs(tickets - BIG_DAY_TICKETS) <= BIG_DAY_TICKETS * 0.03:
            break
        factor *= BIG_DAY_TICKETS / tickets
        big = scaled_profile(raw, config, factor)
        tickets, seconds = one_day(config, big)
    print(f"    the same day, demand x{factor:.2f}: {tickets} tickets in {seconds:.2f} s")
    history = folder / "one-day.db"
    tickets, seconds = one_day(config, big, history)
    size = history.stat().st_size / 2**20
    print(f"    ... and written as history: {tickets} tickets in {seconds:.2f} s ({size:.1f} MiB)")


def bench_history(config: HallConfig, raw: dict, days: int, path: Path, demand: float, in_process: bool) -> None:
    profile = scaled_profile(raw, config, demand) if demand != 1.0 else profile_from_dict(raw, config)
    today = business_day(datetime.now(config.timezone), config.timezone, config.day_start)
    first = today - timedelta(days=days)
    writer = HistoryWriter.create(path) if in_process else HistoryProcess.create(path)
    handing = [0.0]

    def add(journal) -> None:
        t0 = time.perf_counter()
        writer.add(journal)
        handing[0] += time.perf_counter() - t0

    started = time.perf_counter()
    for result in simulated_days(config, profile, StaffingPlan(), 1, first, days, on_journal=add):
        del result  # what the figures would use; a year never sits in memory
    simulated = time.perf_counter()
    writer.close()
    elapsed = time.perf_counter() - started
    size = path.stat().st_size / 2**20
    how = "written in this process (HistoryWriter)" if in_process else "written by a second process (HistoryProcess)"
    print(
        f"(b) {days} days of history ({first} to {today - timedelta(days=1)}, demand x{demand:g}) into {path}, "
        f"{how}: {elapsed:.1f} s, {writer.tickets} tickets ({writer.tickets / elapsed:.0f}/s), "
        f"{writer.events} events, {size:.0f} MiB"
    )
    print(
        f"    of which handing journals to the writer {handing[0]:.1f} s, "
        f"waiting for it to finish after the last day {elapsed - (simulated - started):.1f} s"
    )
    # As `hallqueue simulate --write-history` does: folded for 统计分析, so the server started on it
    # below measures a hall in its steady state, not one folding a year in the background.
    folding = time.perf_counter()
    db = open_database(path)
    try:
        now = datetime.now(config.timezone)
        folded = sum(n for _, n, _ in roll_up_missing(db, closed_before(db, now, config), config, now))
    finally:
        db.close()
    print(f"    then folded for the reports: {folded} days in {time.perf_counter() - folding:.1f} s")


def restore_ms(config: HallConfig, path: Path) -> float:
    store = Store(path)
    store.open()
    try:
        started = time.perf_counter()
        store.restore(config, datetime.now(config.timezone))
        return (time.perf_counter() - started) * 1000
    finally:
        store.close()


async def serve(config_path: Path, db: Path, folder: Path) -> tuple[float, int, int]:
    """(seconds to the first health answer, RSS KiB once started, RSS KiB after one ticket)."""
    kiosk = accounts.add_device(
        conn := open_database(db), f"bench-kiosk-{time.time_ns()}", "kiosk", datetime.now().astimezone()
    )
    conn.close()
    server = ServerProcess(db, config_path, folder / f"{db.stem}.log", "warning")
    started = time.perf_counter()
    await server.start()
    up = time.perf_counter() - started
    try:
        assert server.proc is not None
        await asyncio.sleep(1.0)
        at_start = rss_kib(server.proc.pid)
        async with aiohttp.ClientSession(server.url) as http:
            body = {"service": "hz-idcard"}
            async with http.post("/api/tickets", json=body, headers={"Authorization": f"Bearer {kiosk}"}) as resp:
                ticket = await resp.json()
                if resp.status != 201:
                    raise RuntimeError(f"no ticket: {resp.status} {ticket}")
        await asyncio.sleep(0.5)
        after = rss_kib(server.proc.pid)
        print(f"    ticket on {db.name}: {ticket['number']} ({ticket['business_day']})")
    finally:
        server.stop()
    return up, at_start, after


def bench_server(history: Path, folder: Path) -> None:
    config_path = all_day_sample(folder)  # open now, whatever the time: a ticket can be taken
    config = load_hall_config(config_path)
    empty = folder / "empty.db"
    open_database(empty).close()
    for name, db in (("empty database", empty), ("history", history)):
        ms = restore_ms(config, db)
        up, at_start, after = asyncio.run(serve(config_path, db, folder))
        print(
            f"(c) server on the {name} ({db.stat().st_size / 2**20:.0f} MiB): health after {up:.2f} s, "
            f"Store.restore {ms:.0f} ms, RSS {at_start / 1024:.1f} MiB started, {after / 1024:.1f} MiB after a ticket"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=0, help="Days of history to write (0: only the single days).")
    parser.add_argument("--year", action="store_true", help="365 days of history.")
    parser.add_argument("--db", type=Path, help="Write the history here and keep it (a new file).")
    parser.add_argument("--skip-day", action="store_true", help="Skip (a), the single days.")
    parser.add_argument(
        "--demand", type=float, default=1.0, help="Scale every service's tickets for (b) (1.2: about 1.2 M a year)."
    )
    parser.add_argument("--in-process", action="store_true", help="(b) written by this process, not a second one.")
    parser.add_argument(
        "--history", type=Path, help="Only (c), on this history database (it gets a kiosk and a ticket)."
    )
    args = parser.parse_args()
    days = 365 if args.year else args.days
    config = load_hall_config(None)
    raw = tomllib.loads(SAMPLE.joinpath("arrivals.toml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="hallqueue-bench-") as tmp:
        folder = Path(tmp)
        if args.history:
            bench_server(args.history, folder)
            return
        if not args.skip_day:
            bench_days(config, raw, folder)
        if days:
            history = args.db or folder / "history.db"
            bench_history(config, raw, days, history, args.demand, args.in_process)
            bench_server(history, folder)
    print(f"(cpu count {os.cpu_count()}; python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
