"""How far the wait printed on tickets is from the best any estimator could print from the same
hall state: the floor under the estimate's error.

    .venv/bin/python bench/estimate_floor.py                      # 2 sample weekdays, every 40th ticket
    .venv/bin/python bench/estimate_floor.py --days 5 --every 20 --replays 25

Simulates sample-hall weekdays (from 2026-11-16, seed 1) as ``hallqueue simulate`` does. At every
``--every``-th ticket it plays the rest of the day forward ``--replays`` times from the state at
issue, each time drawing afresh all that nobody can know yet: the time each visitor now at a
window still takes (given how long they have been there), the times, no-shows and patience of
those waiting, and the visitors still to come (the profile's rates from that instant on). The
median of the waits the ticket had in those replays is what the best estimator working from
the state would print (the median minimises the mean absolute error); its error against the
wait the ticket really had is the floor. Prints both MAEs over the mean wait, by tickets ahead.
Each day runs in its own process. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import copy
import heapq
import math
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queue_server.commands.simulate import SAMPLE_DIR
from queue_server.config import load_hall_config
from queue_server.sim import run as simrun
from queue_server.sim.profile import load_profile
from queue_server.sim.run import _ARRIVE, _FINISH, WALK_S, Simulation
from queue_server.sim.staffing import StaffingPlan

FIRST_DAY = date(2026, 11, 16)  # a Monday
NORMAL = statistics.NormalDist()


class Floor:
    """One simulated day whose sampled tickets are each replayed from the state at issue."""

    def __init__(self, day_index: int, every: int, replays: int) -> None:
        self.config = load_hall_config(None)
        self.profile = load_profile(SAMPLE_DIR / "arrivals.toml", self.config)
        self.day_index, self.every, self.replays = day_index, every, replays
        self.issued = 0
        self.replaying = False
        self.rows: list[tuple[int, float, float, int]] = []  # (printed, best, real wait, ahead)

    def run(self) -> list[tuple[int, float, float, int]]:
        floor, plain_arrive = self, simrun._Day._arrive

        def arrive(day, at, visit):
            ahead = day.state.waiting_count(visit.service)
            plain_arrive(day, at, visit)
            if not floor.replaying and visit.ticket_id is not None and day.day == floor.sampled_day:
                floor.issued += 1
                if floor.issued % floor.every == 0:
                    visit.best_s, visit.ahead = floor.best_estimate(day, at, visit), ahead

        simrun._Day._arrive = arrive
        self.sampled_day = FIRST_DAY + timedelta(days=self.day_index)
        sim = Simulation(self.config, self.profile, StaffingPlan(), 1)
        # The days before run too: the sampled day starts from the state they left.
        for i in range(self.day_index + 1):
            result = sim.run_day(FIRST_DAY + timedelta(days=i))
        for v in result.visits:
            if getattr(v, "best_s", None) is not None and v.called_s is not None:
                self.rows.append((v.estimate_s, v.best_s, v.called_s - v.arrive_s, v.ahead))
        return self.rows

    def best_estimate(self, day, at: float, visit) -> float | None:
        rng = random.Random(f"{self.day_index}:{self.issued}")
        self.replaying = True
        try:
            waits = [w for w in (self.replay(day, at, visit, rng) for _ in range(self.replays)) if w is not None]
        finally:
            self.replaying = False
        return statistics.median(waits) if waits else None

    def replay(self, day, at: float, visit, rng: random.Random) -> float | None:
        """The wait ``visit`` has in one replay of the rest of the day from ``at``."""
        copied = self.copy_day(day, rng)
        me = copied.by_ticket[visit.ticket_id]
        for v in copied.by_ticket.values():  # those waiting: everything about them redrawn
            if v.called_s is None and v is not me:
                v.service_s = self.service_time(rng, v.service)
                v.shows = rng.random() >= self.profile.demand[v.service].no_show
                v.patience_s = rng.expovariate(1 / self.profile.patience_s)
        heap = []
        for at_s, kind, order, payload in copied.heap:
            if kind == _FINISH:  # those at a window: the rest of a time longer than they have had
                number, ticket_id = payload
                since = copied.busy_since[number]
                rest = self.service_time(rng, copied.by_ticket[ticket_id].service, longer_than=at - since - WALK_S)
                at_s = max(at, since + WALK_S + rest)
            heap.append((at_s, kind, order, payload))
        for newcomer in self.newcomers(copied, rng, after=at):
            copied.order += 1
            heap.append((newcomer.arrive_s, _ARRIVE, copied.order, newcomer))
        heapq.heapify(heap)
        copied.heap = heap
        handlers = [copied._open, copied._finish, copied._no_show, copied._next, copied._close, copied._arrive]
        handlers.append(copied._sample)
        while copied.heap and me.called_s is None:
            at_s, kind, _, payload = heapq.heappop(copied.heap)
            copied.state.advance(copied.now(at_s))
            handlers[kind](at_s, payload)
            copied._collect()
        return me.called_s - me.arrive_s if me.called_s is not None else None

    def copy_day(self, day, rng: random.Random):
        """The day as it stands, without the visitors still to come (they are drawn again)."""
        kept = day.heap, day.visits, day.tickets
        day.heap, day.visits, day.tickets = [e for e in day.heap if e[1] != _ARRIVE], [], {}
        shared = (self.config, self.profile, day.sim, day.rng)
        try:
            copied = copy.deepcopy(day, {id(x): x for x in shared})
        finally:
            day.heap, day.visits, day.tickets = kept
        copied.sim = copy.copy(day.sim)
        copied.sim.state = copied.state
        copied.rng = rng
        return copied

    def newcomers(self, day, rng: random.Random, after: float) -> list:
        """Visitors drawn from the profile for the rest of the day (the simulator's own draw)."""
        drawn, plain_push = [], day.push
        day.rng, day.visits = rng, []
        day.push = lambda at, kind, payload: drawn.append(payload) if kind == _ARRIVE else None
        try:
            simrun._Day._plan_arrivals(day)
        finally:
            day.push = plain_push
        return [v for v in drawn if v.arrive_s > after]

    def service_time(self, rng: random.Random, code: str, longer_than: float = 0.0) -> float:
        demand = self.profile.demand[code]
        sigma = demand.service_time_sigma
        mu = math.log(demand.service_s) - sigma**2 / 2
        if longer_than <= 30.0:  # the simulator's floor
            return max(30.0, rng.lognormvariate(mu, sigma))
        low = NORMAL.cdf((math.log(longer_than) - mu) / sigma)
        u = min(low + (1 - low) * rng.random(), 1 - 1e-12)
        return math.exp(mu + sigma * NORMAL.inv_cdf(u))


def one_day(args: tuple[int, int, int]) -> list[tuple[int, float, float, int]]:
    return Floor(*args).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=2, help="Weekdays from 2026-11-16 (default 2).")
    parser.add_argument("--every", type=int, default=40, help="Replay every N-th ticket (default 40).")
    parser.add_argument("--replays", type=int, default=15, help="Replays per sampled ticket (default 15).")
    args = parser.parse_args()
    started = time.perf_counter()
    with ProcessPoolExecutor() as pool:
        rows = [r for day in pool.map(one_day, [(i, args.every, args.replays) for i in range(args.days)]) for r in day]
    print(
        f"{len(rows)} tickets replayed {args.replays} times each, {args.days} day(s), "
        f"{time.perf_counter() - started:.0f} s"
    )
    for label, low, high in (("all", 0, 10**9), ("0 ahead", 0, 1), ("1-4 ahead", 1, 5), ("5+ ahead", 5, 10**9)):
        group = [r for r in rows if low <= r[3] < high]
        if not group:
            continue
        mean_wait = statistics.fmean(r[2] for r in group)
        printed = statistics.fmean(abs(r[0] - r[2]) for r in group)
        best = statistics.fmean(abs(r[1] - r[2]) for r in group)
        print(
            f"{label:10s} {len(group):4d} tickets, mean wait {mean_wait:5.0f} s: "
            f"printed estimate MAE {printed:4.0f} s ({100 * printed / mean_wait:4.1f} %), "
            f"best from the state {best:4.0f} s ({100 * best / mean_wait:4.1f} %)"
        )


if __name__ == "__main__":
    main()
