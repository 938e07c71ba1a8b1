"""Running the simulator over a span of days, one after the other on the same hall state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta

from queue_server.core.journal import Journal
from queue_server.core.model import HallConfig

from .metrics import day_figures
from .policies import POLICIES
from .profile import ArrivalProfile
from .run import DayResult, Simulation
from .staffing import StaffingPlan


def simulated_days(
    config: HallConfig,
    profile: ArrivalProfile,
    plan: StaffingPlan,
    seed: int,
    start: date,
    days: int,
    policy: str = "hall",
    on_journal: Callable[[Journal], None] | None = None,
) -> Iterator[DayResult]:
    """Each simulated day's result in turn (consumed one at a time: a year never sits in memory);
    after the last, that day is turned over so what still waits expires."""
    sim = Simulation(config, profile, plan, seed, POLICIES[policy], on_journal)
    for i in range(days):
        yield sim.run_day(start + timedelta(days=i))
    sim.finish(start + timedelta(days=days - 1))


def simulate(
    config: HallConfig,
    profile: ArrivalProfile,
    plan: StaffingPlan,
    seed: int,
    start: date,
    days: int,
    target_s: float,
    policy: str = "hall",
    on_journal: Callable[[Journal], None] | None = None,
) -> dict:
    """The figures of ``days`` simulated days (see ``metrics.day_figures``)."""
    results = simulated_days(config, profile, plan, seed, start, days, policy, on_journal)
    figures = day_figures(config, results, target_s)
    return {"seed": seed, "start": start.isoformat(), "policy": policy, **figures}
