"""The hall-day simulator: the real hall core driven by simulated visitors and clerks, in
simulated time.

Nothing here sleeps or reads a clock: a heap of timed happenings (a visitor arrives, a window
opens, a clerk finishes) is worked through in time order, and each one is a command on the same
``HallState`` the server runs — numbering, routing policy, priorities, anti-starvation,
no-shows, transfers and the wait estimate printed on each ticket are the hall's own.

What visitors do comes from the arrival profile (``profile.py``); which windows are open from
the staffing plan (``staffing.py``). One ``random.Random(seed)`` draws everything, in an order
fixed by the inputs, so the same seed and inputs give the same day to the byte.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from queue_server.core.feedback import LOW, REASONS, add_working_days
from queue_server.core.hall import HallState
from queue_server.core.journal import Journal, Restored
from queue_server.core.model import HallConfig, Priority, Status, TicketAction
from queue_server.core.numbering import business_day
from queue_server.core.routing import RoutingPolicy

from .profile import SLOT_S, ArrivalProfile
from .staffing import StaffingPlan

WALK_S = 30.0  # from the call to the window: counted in the service time, as the hall's clock does
NO_SHOW_AFTER_S = 90.0  # a clerk waits this long (with recalls) before marking 过号
CLERK_GAP_S = 5.0  # between finishing one visitor and calling the next

# Happenings, in the order they are handled when they fall on the same second.
_OPEN, _FINISH, _NO_SHOW, _NEXT, _CLOSE, _ARRIVE, _SAMPLE = range(7)


@dataclass
class Visit:
    """One simulated visitor, and what became of their ticket."""

    service: str
    priority: Priority
    arrive_s: float  # seconds after the day's midnight
    patience_s: float  # leaves the hall this long after taking a ticket, if not called by then
    shows: bool  # comes to the window when called (unless gone by then)
    service_s: float  # time at the window once there
    transfer_to: str | None = None  # the clerk sends the visitor on to this service
    balked: bool = False  # saw the wait at the kiosk and went home
    refused: bool = False  # the service issued no tickets then (closed, cut-off, daily cap)
    ticket_id: int | None = None
    estimate_s: int | None = None  # the wait printed on the ticket
    called_s: float | None = None  # first called (the wait the ticket's estimate is about)
    window: int | None = None


@dataclass
class DayResult:
    day: date
    visits: list[Visit]
    tickets: dict[int, object]  # ticket id -> Ticket, as the day left them
    window_busy_s: dict[int, float]  # time each window spent with a visitor
    window_open_s: dict[int, float]  # time each window was open
    busy_by_hour: dict[tuple[int, int], float]  # (window, hour) -> seconds with a visitor
    open_by_hour: dict[tuple[int, int], float]
    queue_by_hour: dict[tuple[str, int], int]  # (service, hour) -> waiting at the top of the hour


@dataclass
class Simulation:
    config: HallConfig
    profile: ArrivalProfile
    plan: StaffingPlan
    seed: int
    policy: RoutingPolicy | None = None
    # Called with each journal the core hands over (the history writer stores them).
    on_journal: Callable[[Journal], None] | None = None
    state: HallState | None = field(default=None, init=False)
    followups_due: dict[int, date] = field(default_factory=dict, init=False)  # follow-up id -> closed that day
    windows_of: dict[str, tuple[int, ...]] = field(default_factory=dict, init=False)  # service -> its windows

    def __post_init__(self) -> None:
        for number, window in self.config.windows.items():
            for code in window.services:
                self.windows_of[code] = (*self.windows_of.get(code, ()), number)

    def run_day(self, day: date) -> DayResult:
        """Simulate one business day (from the day's start to its end), on the state the previous
        days left. Deterministic in (seed, day, inputs)."""
        rng = random.Random(f"{self.seed}:{day.isoformat()}")
        midnight = datetime.combine(day, time(), self.config.timezone)
        if self.state is None:
            restored = Restored.empty(
                business_day(midnight + timedelta(hours=12), self.config.timezone, self.config.day_start)
            )
            self.state = HallState(self.config, restored, **({"policy": self.policy} if self.policy else {}))
        return _Day(self, day, midnight, rng, random.Random(f"{self.seed}:{day.isoformat()}:ratings")).run()

    def finish(self, after: date) -> None:
        """Turn the last simulated day over: what still waits expires, as at a real day's end."""
        if self.state is None:
            return
        start = self.config.day_start
        turn = datetime.combine(after + timedelta(days=1), start, self.config.timezone) + timedelta(seconds=1)
        self.state.advance(turn)
        self._hand_over()

    def _hand_over(self) -> Journal:
        # The lobby's figures on the events only when someone reads the events.
        journal = self.state.take_journal(estimates=self.on_journal is not None)
        if self.on_journal is not None and journal:
            self.on_journal(journal)
        return journal


class _Day:
    """One day's heap of happenings, worked through in time order."""

    def __init__(
        self, sim: Simulation, day: date, midnight: datetime, rng: random.Random, rating_rng: random.Random
    ) -> None:
        self.sim, self.day, self.midnight, self.rng, self.rating_rng = sim, day, midnight, rng, rating_rng
        self.config, self.state = sim.config, sim.state
        self.heap: list[tuple[float, int, int, object]] = []
        self.order = 0
        self.visits: list[Visit] = []
        self.by_ticket: dict[int, Visit] = {}
        self.tickets: dict[int, object] = {}
        self.idle: set[int] = set()  # open windows with nothing to call
        self.closing: set[int] = set()  # windows to close once the visitor in front leaves
        self.closed_at: dict[int, datetime] = {}  # when each closing window's hours ended
        self.spans: dict[int, list[tuple[int, int]]] = {}  # each window's hours today, by the plan
        self.busy_since: dict[int, float] = {}
        self.open_since: dict[int, float] = {}
        self.busy: dict[int, float] = {}
        self.opened: dict[int, float] = {}
        self.busy_by_hour: dict[tuple[int, int], float] = {}
        self.open_by_hour: dict[tuple[int, int], float] = {}
        self.queue_by_hour: dict[tuple[str, int], int] = {}
        self._now_at, self._now = 0.0, midnight

    # ---------------------------------------------------------------- the heap

    def push(self, at: float, kind: int, payload: object) -> None:
        self.order += 1
        heapq.heappush(self.heap, (at, kind, self.order, payload))

    def now(self, at: float) -> datetime:
        if at != self._now_at:  # asked again for each happening's instant: made once
            self._now_at, self._now = at, self.midnight + timedelta(seconds=at)
        return self._now

    def run(self) -> DayResult:
        start = datetime.combine(self.day, self.config.day_start, self.config.timezone)
        self.state.advance(start)
        self._close_followups(start)
        self.sim._hand_over()
        self._plan_windows()
        self._plan_arrivals()
        for hour in range(24):
            self.push(hour * 3600.0, _SAMPLE, hour)
        handlers = {
            _OPEN: self._open,
            _CLOSE: self._close,
            _ARRIVE: self._arrive,
            _FINISH: self._finish,
            _NO_SHOW: self._no_show,
            _NEXT: self._next,
            _SAMPLE: self._sample,
        }
        while self.heap:
            at, kind, _, payload = heapq.heappop(self.heap)
            self.state.advance(self.now(at))  # as the server's engine does before each batch
            handlers[kind](at, payload)
            self._collect()
        return DayResult(
            self.day,
            self.visits,
            self.tickets,
            self.busy,
            self.opened,
            self.busy_by_hour,
            self.open_by_hour,
            self.queue_by_hour,
        )

    def _collect(self) -> None:
        journal = self.sim._hand_over()
        for ticket_id, ticket in journal.tickets.items():
            self.tickets[ticket_id] = ticket

    # ---------------------------------------------------------------- planning the day

    def _plan_windows(self) -> None:
        for number in self.config.windows:
            self.spans[number] = list(self.sim.plan.open_spans(self.config, number, self.day))
            for start, end in self.spans[number]:
                self.push(float(start), _OPEN, number)
                self.push(float(end), _CLOSE, number)

    def _plan_arrivals(self) -> None:
        profile, rng = self.sim.profile, self.rng
        weekday = self.config.calendar.weekday_of(self.day)
        if weekday is None:
            return  # a public holiday: nobody comes
        factor = profile.weekday_factor[weekday]
        month_start = self.day.day <= profile.month_start_days
        classes = list(profile.priority_shares.items())
        for code, demand in profile.demand.items():
            service = self.config.services[code]
            ranges = service.hours.ranges_on(self.day, self.config.calendar)
            if not ranges:
                continue
            open_slots = [i for i in range(48) if any(r.contains(time(i // 2, 30 * (i % 2))) for r in ranges)]
            share = sum(demand.shape[i] for i in open_slots)
            if not share:
                continue
            mean_day = demand.per_day * factor
            if month_start and service.department in profile.month_start_departments:
                mean_day *= profile.month_start_factor
            mu = math.log(demand.service_s) - demand.service_time_sigma**2 / 2
            for slot in open_slots:
                for _ in range(_poisson(rng, mean_day * demand.shape[slot] / share)):
                    arrive = slot * SLOT_S + rng.random() * SLOT_S
                    draw = rng.random()
                    priority = Priority.NORMAL
                    for cls, p in classes:
                        if draw < p:
                            priority = cls
                            break
                        draw -= p
                    visit = Visit(
                        code,
                        priority,
                        arrive,
                        patience_s=rng.expovariate(1 / profile.patience_s),
                        shows=rng.random() >= demand.no_show,
                        service_s=max(30.0, rng.lognormvariate(mu, demand.service_time_sigma)),
                    )
                    if rng.random() < profile.transfer_share:
                        visit.transfer_to = self._transfer_target(code, rng)
                    self.visits.append(visit)
        self.visits.sort(key=lambda v: (v.arrive_s, v.service))
        for visit in self.visits:
            self.push(visit.arrive_s, _ARRIVE, visit)

    def _transfer_target(self, code: str, rng: random.Random) -> str | None:
        department = self.config.services[code].department
        others = [c for c, s in self.config.services.items() if s.department == department and c != code]
        return rng.choice(others) if others else None

    # ---------------------------------------------------------------- happenings

    def _arrive(self, at: float, visit: Visit) -> None:
        state, now = self.state, self.now(at)
        if not state.is_open(visit.service, now) or _capped(state, visit.service):
            visit.refused = True
            return
        # Those who would go home at a long wait are drawn first, so the wait the lobby shows is
        # worked out for them alone: the same odds, a quarter of the estimates.
        profile = self.sim.profile
        if (
            self.rng.random() < profile.balk_share
            and state.estimate_s(visit.service, state.waiting_count(visit.service)) > profile.balk_over_s
        ):
            visit.balked = True
            return
        issued = state.issue(visit.service, visit.priority, "kiosk:sim", now)
        ticket = state.active[issued.ticket_id]
        visit.ticket_id, visit.estimate_s = ticket.id, ticket.estimated_wait_s
        self.by_ticket[ticket.id] = visit
        self._wake(visit.service, at)

    def _wake(self, service: str, at: float) -> None:
        """A ticket waits for ``service``: idle windows that serve it call, lowest number first."""
        for number in sorted(self.idle):
            if service in self.config.windows[number].services:
                self._call(number, at)
                if not self.state.waiting_count(service):
                    return

    def _open(self, at: float, number: int) -> None:
        w = self.state.windows[number]
        self.closing.discard(number)
        self.closed_at.pop(number, None)
        if w.status.value == "open":
            return
        self.state.open_window(number, f"sim{number}", self.now(at))
        self.open_since[number] = at
        self._call(number, at)

    def _close(self, at: float, number: int) -> None:
        self.closed_at[number] = self.now(at)
        if number in self.busy_since:
            self.closing.add(number)  # the visitor in front is served first
            return
        if self._serves_out(number, at):
            self.closing.add(number)
            self._call(number, at)
            return
        self._shut(number, at)

    def _serves_out(self, number: int, at: float) -> bool:
        """延时办理 (``rules.serve_out``): a closing window goes on calling while one of its
        services has people waiting who took their ticket before it closed, and no window
        staying open (by the plan) serves it."""
        if not self.config.rules.serve_out:
            return False
        closed_at = self.closed_at.get(number, self.now(at))
        for code in self.config.windows[number].services:
            oldest = self.state.queues[code].oldest()
            if (
                oldest is not None
                and oldest.queued_since <= closed_at
                and not any(
                    start <= at < end
                    for other in self.sim.windows_of[code]
                    if other != number
                    for start, end in self.spans.get(other, ())
                )
            ):
                return True
        return False

    def _shut(self, number: int, at: float) -> None:
        self.closing.discard(number)
        self.closed_at.pop(number, None)
        self.idle.discard(number)
        if self.state.windows[number].status.value == "closed":
            return
        self.state.close_window(number, f"clerk:sim{number}", self.now(at))
        since = self.open_since.pop(number, at)
        self.opened[number] = self.opened.get(number, 0.0) + at - since
        _spread(self.open_by_hour, number, since, at)

    def _call(self, number: int, at: float) -> None:
        if number in self.closing and not self._serves_out(number, at):
            self._shut(number, at)
            return
        ticket = self.state.call_next(number, f"clerk:sim{number}", self.now(at))
        if ticket is None:
            if number in self.closing:
                self._shut(number, at)
            else:
                self.idle.add(number)
            return
        self.idle.discard(number)
        self.busy_since[number] = at
        visit = self.by_ticket[ticket.id]
        if visit.called_s is None:
            visit.called_s, visit.window = at, number
        gone = at - visit.arrive_s > visit.patience_s
        if visit.shows and not gone:
            self.push(at + WALK_S + visit.service_s, _FINISH, (number, ticket.id))
        else:
            self.push(at + NO_SHOW_AFTER_S, _NO_SHOW, (number, ticket.id))

    def _leave(self, number: int, at: float) -> None:
        since = self.busy_since.pop(number)
        self.busy[number] = self.busy.get(number, 0.0) + at - since
        _spread(self.busy_by_hour, number, since, at)
        if number in self.closing and not self._serves_out(number, at):
            self._shut(number, at)
        else:
            self.idle.add(number)  # until the clerk calls, a moment later; an arrival may be first
            self.push(at + CLERK_GAP_S, _NEXT, number)

    def _next(self, at: float, number: int) -> None:
        if number in self.idle and number not in self.busy_since:
            self._call(number, at)

    def _finish(self, at: float, payload: tuple[int, int]) -> None:
        number, ticket_id = payload
        visit = self.by_ticket[ticket_id]
        now = self.now(at)
        if visit.transfer_to is not None and visit.transfer_to in self.config.services:
            target, visit.transfer_to = visit.transfer_to, None
            self.state.act(ticket_id, TicketAction.TRANSFER, f"clerk:sim{number}", now, service=target)
            visit.service = target
            self._leave(number, at)
            self._wake(target, at)
            return
        self.state.act(ticket_id, TicketAction.FINISH, f"clerk:sim{number}", now)
        self._rate(number, visit, now)
        self._leave(number, at)

    def _rate(self, number: int, visit: Visit, now: datetime) -> None:
        """Perhaps 好差评 on the window's tablet; a long wait makes a low one likelier."""
        profile = self.sim.profile
        if not profile.rating_share or self.rating_rng.random() >= profile.rating_share:
            return
        waited_long = (visit.called_s or visit.arrive_s) - visit.arrive_s > self.config.rules.wait_target_s
        boost = profile.low_rating_after_target if waited_long else 1.0
        levels = [level for level, _ in profile.rating_levels]
        weights = [w * (boost if level in LOW else 1.0) for level, w in profile.rating_levels]
        level = self.rating_rng.choices(levels, weights)[0]
        reasons: tuple[str, ...] = ()
        if level in LOW:
            reasons = ("等候时间",) if waited_long else (self.rating_rng.choice(REASONS),)
        self.state.rate(number, level, reasons, f"evaluator:sim{number}", now)
        if level in LOW:
            later = self.rating_rng.randint(1, profile.followup_max_working_days)
            closing = add_working_days(self.day, later, self.config.calendar)
            self.sim.followups_due[self.state.next_followup_id - 1] = closing

    def _close_followups(self, at: datetime) -> None:
        """The hall manager closes the follow-ups due to be closed today (some after their due day)."""
        due = self.sim.followups_due
        for followup_id in sorted(f for f, day in due.items() if day <= self.day):
            del due[followup_id]
            self.state.close_followup(followup_id, "已电话回访，说明情况并致歉", "manager:sim", at)

    def _no_show(self, at: float, payload: tuple[int, int]) -> None:
        number, ticket_id = payload
        ticket = self.state.act(ticket_id, TicketAction.NO_SHOW, f"clerk:sim{number}", self.now(at))
        self._leave(number, at)
        if ticket.status is Status.WAITING:  # requeued by the hall's rule: still gone, will be 过号 again
            self._wake(ticket.service, at)

    def _sample(self, at: float, hour: int) -> None:
        for code in self.config.services:
            waiting = self.state.waiting_count(code)
            if waiting:
                self.queue_by_hour[(code, hour)] = waiting


def _capped(state: HallState, code: str) -> bool:
    cap = state.config.services[code].daily_cap
    return cap is not None and state.issued_by_service.get(code, 0) >= cap


def _spread(into: dict[tuple[int, int], float], number: int, start: float, end: float) -> None:
    """Add the span ``start``–``end`` (seconds) to the per-hour totals of a window."""
    while start < end:
        hour = int(start // 3600)
        stop = min(end, (hour + 1) * 3600.0)
        into[(number, hour)] = into.get((number, hour), 0.0) + stop - start
        start = stop


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method in pieces, so a large mean never underflows)."""
    count = 0
    while mean > 0:
        step = min(mean, 500.0)
        mean -= step
        limit, product = math.exp(-step), rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
    return count
