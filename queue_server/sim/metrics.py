"""The figures of simulated days: waits, the share over target, utilisation, no-shows, queue
lengths, and how far the wait printed on each ticket was from the wait it really had.

All durations in seconds. A visitor's *wait* runs from taking the ticket to its first call; the
*estimate error* is the printed estimate minus that wait (positive: the ticket promised too long).
Tickets that were never called (expired at the day's end) have no wait and are counted apart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from queue_server.core.model import HallConfig, Priority, Status

from .run import DayResult, Visit


def _round(value: float) -> float:
    return round(value, 1)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile, nearest rank (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Tally:
    """What a group of visits (a service, an hour, the day) adds up to."""

    arrivals: int = 0
    tickets: int = 0
    served: int = 0
    no_show: int = 0
    expired: int = 0
    balked: int = 0
    refused: int = 0
    transferred: int = 0

    def __post_init__(self) -> None:
        self.waits: list[float] = []
        self.errors: list[float] = []

    def add(self, visit: Visit, status: Status | None, transferred: bool) -> None:
        self.arrivals += 1
        if visit.refused:
            self.refused += 1
            return
        if visit.balked:
            self.balked += 1
            return
        self.tickets += 1
        self.transferred += transferred
        if status is Status.DONE:
            self.served += 1
        elif status is Status.NO_SHOW:
            self.no_show += 1
        elif visit.called_s is None:
            self.expired += 1
        if visit.called_s is not None:
            wait = visit.called_s - visit.arrive_s
            self.waits.append(wait)
            self.errors.append((visit.estimate_s or 0) - wait)

    def figures(self, target_s: float) -> dict[str, float | int]:
        waits, errors = self.waits, self.errors
        mean = sum(waits) / len(waits) if waits else 0.0
        mae = sum(abs(e) for e in errors) / len(errors) if errors else 0.0
        return {
            "arrivals": self.arrivals,
            "tickets": self.tickets,
            "served": self.served,
            "no_show": self.no_show,
            "expired": self.expired,
            "balked": self.balked,
            "refused": self.refused,
            "transferred": self.transferred,
            "wait_mean_s": _round(mean),
            "wait_p90_s": _round(percentile(waits, 90)),
            "wait_max_s": _round(max(waits, default=0.0)),
            "over_target_share": round(sum(w > target_s for w in waits) / len(waits), 4) if waits else 0.0,
            "estimate_mae_s": _round(mae),
            "estimate_p90_abs_error_s": _round(percentile([abs(e) for e in errors], 90)),
            "estimate_bias_s": _round(sum(errors) / len(errors)) if errors else 0.0,
            "estimate_mae_share": round(mae / mean, 4) if mean else 0.0,
        }


def day_figures(config: HallConfig, days: Iterable[DayResult], target_s: float) -> dict:
    """The report of one or more simulated days: totals first, then the breakdowns."""
    total, normal, priority = Tally(), Tally(), Tally()
    by_service: dict[str, Tally] = {code: Tally() for code in config.services}
    by_hour: dict[int, Tally] = {}
    busy_hour: dict[int, float] = {}
    open_hour: dict[int, float] = {}
    queue_hour: dict[int, int] = {}
    busy_window: dict[int, float] = {}
    open_window: dict[int, float] = {}
    count = 0
    for result in days:
        count += 1
        for visit in result.visits:
            ticket = result.tickets.get(visit.ticket_id) if visit.ticket_id is not None else None
            status = ticket.status if ticket is not None else None
            transferred = bool(ticket is not None and ticket.transfer_count)
            service = ticket.original_service or ticket.service if ticket is not None else visit.service
            for tally in (total, by_service[service], by_hour.setdefault(int(visit.arrive_s // 3600), Tally())):
                tally.add(visit, status, transferred)
            (normal if visit.priority is Priority.NORMAL else priority).add(visit, status, transferred)
        for (_, hour), seconds in result.busy_by_hour.items():
            busy_hour[hour] = busy_hour.get(hour, 0.0) + seconds
        for (_, hour), seconds in result.open_by_hour.items():
            open_hour[hour] = open_hour.get(hour, 0.0) + seconds
        for (_, hour), waiting in result.queue_by_hour.items():
            queue_hour[hour] = queue_hour.get(hour, 0) + waiting
        for number, seconds in result.window_busy_s.items():
            busy_window[number] = busy_window.get(number, 0.0) + seconds
        for number, seconds in result.window_open_s.items():
            open_window[number] = open_window.get(number, 0.0) + seconds
    busy_all, open_all = sum(busy_window.values()), sum(open_window.values())
    days_n = max(count, 1)
    hours = sorted(set(by_hour) | set(open_hour))
    return {
        "days": count,
        "wait_target_s": target_s,
        **total.figures(target_s),
        "utilisation": round(busy_all / open_all, 4) if open_all else 0.0,
        "longest_wait_s": _round(max(total.waits, default=0.0)),
        "normal": normal.figures(target_s),
        "priority": priority.figures(target_s),
        "services": [
            {"service": code, "name": config.services[code].name, **tally.figures(target_s)}
            for code, tally in by_service.items()
            if tally.arrivals
        ],
        "hours": [
            {
                "hour": hour,
                **by_hour.get(hour, Tally()).figures(target_s),
                "utilisation": round(busy_hour.get(hour, 0.0) / open_hour[hour], 4) if open_hour.get(hour) else 0.0,
                "open_windows": round(open_hour.get(hour, 0.0) / 3600 / days_n, 1),
                "queue": round(queue_hour.get(hour, 0) / days_n, 1),
            }
            for hour in hours
        ],
        "windows": [
            {
                "window": number,
                "open_s": _round(open_window[number] / days_n),
                "utilisation": round(busy_window.get(number, 0.0) / open_window[number], 4),
            }
            for number in sorted(open_window)
            if open_window[number]
        ],
    }
