"""The wait estimate on the hall state: what a new ticket would wait now (see ``estimate.py``
for the method). A part of ``HallState`` (see :mod:`.hall_base`)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from .estimate import (
    DAY_SHAPE_WEIGHT,
    MAX_CUT_IN,
    MIN_DAY_SO_FAR,
    MIN_RATE_SPAN_S,
    PORTION_STEP,
    RATE_AHEAD_S,
    RATE_WINDOW_S,
    SLOT_S,
    SLOTS,
    Spans,
    folded_shape,
    next_call_s,
    open_spans,
    over_closed_hours,
    seconds_after_midnight,
    share_by,
)
from .hall_base import HallBase
from .model import HallConfig, Priority, Window, WindowStatus

TOP_CLASS = max(Priority, key=lambda p: p.rank)
# Per window serving a service: its number, its services' (code, part of their line, preferred
# to this one), and the (code, part) of those it ranks lower.
Layout = tuple[tuple[int, tuple[tuple[str, float, bool], ...], tuple[tuple[str, float], ...]], ...]


class HallEstimate(HallBase):
    """Today's arrivals by class, and the estimate worked out from the queues and windows."""

    def __init__(self, config: HallConfig, restored) -> None:
        super().__init__(config, restored)
        # Today's tickets per service and class since this process started, each weighing less
        # as it ages (``RATE_WINDOW_S``), and the first one's time: how fast visitors come now
        # who will go ahead of a waiting ticket.
        self.issued_by_class: dict[str, list[float]] = {}  # per service: weighted tickets per class rank
        # Per service: when its counts were last brought up to date, in seconds after the first ticket.
        self._counted_at: dict[str, float] = {}
        self.first_issue_at = None
        # The hall's day shape (``estimate.DAY_SHAPE_WEIGHT``), learned over the days before,
        # and today's tickets per half hour and per service and class: with them the newcomers
        # still to come are counted at the rate today's level and the usual day say.
        self.day_shape: list[float] | None = None
        self._slots_today = [0.0] * SLOTS
        self.issued_today: dict[str, list[float]] = {}
        for issued in restored.earlier_arrivals:
            counts = [0.0] * SLOTS
            for at, tickets in issued:
                counts[self._slot(at)] += tickets
            self.day_shape = folded_shape(self.day_shape, counts, DAY_SHAPE_WEIGHT)
        for t in (*restored.active_tickets, *restored.finished_today, *restored.ended_today):
            if t.business_day == restored.business_day:
                self._count_today(t.original_service or t.service, t.priority, t.issued_at)
        # Kept between estimates (there are several per change): the windows serving each
        # service for this config, which are open and each one's part of a service's line
        # (until a window opens, closes or pauses: ``window_epoch``), and each service's
        # opening ranges per day.
        self._windows_of: dict[str, tuple[int, ...]] = {}
        self._windows_of_config: HallConfig | None = None
        self._serving_cache: dict[str, tuple[Layout, bool]] = {}
        self._portions: dict[str, dict[int, float]] = {}
        self._windows_key: tuple[int, int] = (-1, -1)  # what the two above were worked out for
        self._spans: dict[tuple[str, date], Spans] = {}
        self._local_for: datetime | None = None  # the hall's local time, worked out once per now
        self._local: datetime | None = None
        self._local_s = 0
        self._per_ticket_for: datetime | None = None  # ``_expected_per_ticket``, once per now
        self._per_ticket: float | None = None

    def count_arrival(self, service_code: str, priority: Priority, now) -> None:
        self.first_issue_at = self.first_issue_at or now
        at = (now - self.first_issue_at).total_seconds()
        by_class = self.issued_by_class.get(service_code)
        if by_class is None:
            by_class = self.issued_by_class[service_code] = [0.0] * len(Priority)
        else:
            decay = math.exp((self._counted_at[service_code] - at) / RATE_WINDOW_S)
            for i, count in enumerate(by_class):
                by_class[i] = count * decay
        self._counted_at[service_code] = at
        by_class[priority.rank] += 1.0
        self._count_today(service_code, priority, now)

    def _count_today(self, service_code: str, priority: Priority, at: datetime) -> None:
        self._slots_today[self._slot(at)] += 1
        counts = self.issued_today.get(service_code)
        if counts is None:
            counts = self.issued_today[service_code] = [0.0] * len(Priority)
        counts[priority.rank] += 1.0

    def _slot(self, at: datetime) -> int:
        local = at.astimezone(self.config.timezone)
        return min(SLOTS - 1, seconds_after_midnight(local) // SLOT_S)

    def forget_arrivals(self) -> None:
        """The day is over: its arrivals go into the day shape, and today's counts start afresh."""
        self.day_shape = folded_shape(self.day_shape, self._slots_today, DAY_SHAPE_WEIGHT)
        self._slots_today = [0.0] * SLOTS
        self.issued_today.clear()
        self.issued_by_class.clear()
        self._counted_at.clear()
        self.first_issue_at = None
        self._spans.clear()
        self._per_ticket_for = None  # the day shape changed

    def estimate_s(self, service_code: str, ahead: int, priority: Priority = Priority.NORMAL) -> int:
        """Seconds a ticket of ``priority`` with ``ahead`` tickets of its service before it would
        wait (see ``estimate.py``)."""
        serving, is_open = self._serving(service_code)
        live, avg, queues, by_class_of = self.windows, self.avg_service_s, self.queues, self.issued_by_class
        above = priority.rank + 1
        # The newcomers still to come, per second: with a day shape learned, each service's
        # count today over the share of a usual day come by now, times the share coming next
        # (``RATE_AHEAD_S``); without one, the recent rate (below).
        per_ticket = self._expected_per_ticket() if priority is not TOP_CLASS else None
        span = self._rate_span_s(priority) if per_ticket is None else 0.0
        # A service's weighted count, aged to now, over the weight the span since the first
        # ticket holds (its integral), is its recent rate; just after opening, the plain one.
        counted_at = self._counted_at
        norm = RATE_WINDOW_S * -math.expm1(-span / RATE_WINDOW_S) if span else 0.0
        # Per service, worked out once for all its windows: the share of a window's time its
        # newcomers of higher classes take, what of its queue is called before this ticket
        # (without, then with, its own class), each at its time at the window, and the share
        # its newcomers of this ticket's class take (they go first where the window prefers
        # that service). A window takes its part of each (``_parts``).
        per_code: dict[str, tuple[float, float, float, float]] = {}
        # When each window can first turn to this service (its visitor done, and the tickets it
        # calls first: higher classes, services it prefers), and the share of its time left
        # for it then (newcomers who go ahead keep coming, also while the visitor at the window
        # is served, so the rest of that visit and the tickets called first both take longer:
        # their sum over that share).
        free_at = []
        turns = []  # per window: the services it ranks lower, the work before it turns to this one, its share
        residuals = []  # each window's visitor: when it is done
        now, active = self.now, self.active
        for number, entries, lower in serving:
            start = 0.0
            # The visitor at the window still takes the rest of its service's average, and at
            # least a third of it (one past the average may well take as long again).
            held_id = live[number].ticket_id if is_open else None
            if held_id is not None and (held := active.get(held_id)) is not None:
                average = avg.get(held.service, 0.0)
                started = held.called_at or now
                elapsed = (now - started).total_seconds() if now is not None and started is not None else 0.0
                start = max(average - elapsed, average / 3)
            residuals.append(start)
            cut_in = first = 0.0
            for code, part, preferred in entries:
                figures = per_code.get(code)
                if figures is None:
                    share = avg[code]
                    by_class = by_class_of.get(code) if span else None
                    if per_ticket is not None:
                        counts = self.issued_today.get(code)
                        weight = share * per_ticket
                        taken = weight * sum(counts[above:]) if counts else 0.0
                        taken_same = weight * counts[priority.rank] if counts else 0.0
                    elif by_class:
                        weight = share * math.exp((counted_at[code] - span) / RATE_WINDOW_S) / norm
                        taken, taken_same = weight * sum(by_class[above:]), weight * by_class[priority.rank]
                    else:
                        taken = taken_same = 0.0
                    queue = queues[code]
                    if code == service_code or not queue:
                        figures = per_code[code] = (taken, 0.0, 0.0, taken_same)
                    else:
                        higher, same = queue.split_before(priority)
                        figures = per_code[code] = (taken, higher * share, (higher + same) * share, taken_same)
                if preferred:  # a service this window prefers: all of its line, and its newcomers
                    cut_in += part * (figures[0] + figures[3])
                    first += part * figures[2]
                else:
                    cut_in += part * figures[0]
                    first += part * figures[1]
            left = 1.0 - min(cut_in, MAX_CUT_IN)
            free_at.append(((start + first) / left, left))
            turns.append((lower, start + first, left))
        wait = next_call_s(free_at, ahead, avg[service_code])
        starving = self.config.rules.starvation_s
        if wait > 0 and now is not None:
            # Anti-starvation for the services a window ranks lower: their tickets that will
            # have waited ``starvation_s`` by the time this one would be called go first.
            due = now + timedelta(seconds=wait - starving)
            later, more = [], False
            for lower, work, left in turns:
                for code, part in lower:
                    if queues[code] and (n := queues[code].queued_by(due, priority)):
                        work += part * n * avg[code]
                        more = True
                later.append((work / left, left))
            if more:
                wait = next_call_s(later, ahead, avg[service_code])
        # Anti-starvation: a ticket that has waited ``starvation_s`` goes first at its windows.
        # The services a window prefers hold this one back until then at most, unless its own
        # line (served as if nothing else came) takes longer still.
        if wait > starving:
            wait = max(starving, next_call_s([(r, 1.0) for r in residuals], ahead, avg[service_code]))
        if wait <= 0 or self.now is None:
            return round(wait)
        return round(self._over_closed_hours(service_code, wait, is_open))

    def _serving(self, service_code: str) -> tuple[Layout, bool]:
        """The windows the estimate counts for a service (``_counted_windows``) and whether they
        are open. Each comes with its services' parts of their lines (``_parts``) and whether it
        prefers them to this one, and the parts of those it ranks lower. Kept until a window
        changes (``window_epoch``)."""
        self._check_windows_key()
        found = self._serving_cache.get(service_code)
        if found is None:
            windows, is_open = self._counted_windows(service_code)
            layout = []
            for w in windows:
                mine = w.services.index(service_code)
                # A window outside a service's serving windows takes none of its line: left out.
                parts = [(code, self._parts(code).get(w.number, 0.0)) for code in w.services]
                entries = tuple((code, part, i < mine) for i, (code, part) in enumerate(parts) if part)
                lower = tuple((code, part) for code, part in parts[mine + 1 :] if part)
                layout.append((w.number, entries, lower))
            found = self._serving_cache[service_code] = (tuple(layout), is_open)
        return found

    def _counted_windows(self, code: str) -> tuple[list[Window], bool]:
        """The windows serving ``code`` that the estimate counts: the open ones, or with none
        open all of them (taken as idle); and whether they are open."""
        configured = [self.config.windows[n] for n in self._windows_by_service()[code]]
        open_ = [w for w in configured if self.windows[w.number].status is WindowStatus.OPEN]
        return open_ or configured, bool(open_)

    def _expected_per_ticket(self) -> float | None:
        """What one of today's tickets of a service says of its newcomers per second over the
        coming ``RATE_AHEAD_S``: the share of a usual day coming then, over the share come by
        now, over that time. None without a day shape, or too early in the day to tell."""
        shape = self.day_shape
        if shape is None or self.now is None:
            return None
        if self._per_ticket_for is not self.now:  # several estimates per change, one now
            now_s = self._local_seconds()
            so_far = share_by(shape, now_s)
            self._per_ticket_for = self.now
            self._per_ticket = (
                None
                if so_far < MIN_DAY_SO_FAR
                else (share_by(shape, now_s + RATE_AHEAD_S) - so_far) / so_far / RATE_AHEAD_S
            )
        return self._per_ticket

    def _parts(self, code: str) -> dict[int, float]:
        """The part of ``code``'s line (and of its newcomers) each window takes: among the
        windows serving it (the open ones, or with none open all), each place lower in a
        window's order takes ``PORTION_STEP`` times as much. A window that ranks a service last
        turns to it when the windows ranking it first are busy with it: they take most. Kept
        until a window changes (``_serving``, called first, checks)."""
        parts = self._portions.get(code)
        if parts is None:
            weights = {w.number: PORTION_STEP ** w.services.index(code) for w in self._counted_windows(code)[0]}
            total = sum(weights.values())
            parts = self._portions[code] = {n: weight / total for n, weight in weights.items()}
        return parts

    def _local_seconds(self) -> int:
        """Now in the hall's local time, as seconds after midnight (worked out once per now)."""
        if self._local_for is not self.now:
            local = self.now.astimezone(self.config.timezone)
            self._local_for, self._local = self.now, local
            self._local_s = seconds_after_midnight(local)
        return self._local_s

    def _over_closed_hours(self, service_code: str, wait: float, serving_now: bool) -> float:
        """The wait with the closed hours it runs into added; at once when it ends within the
        service's current opening range (nearly always). Where the windows serve out their
        queue (``rules.serve_out``), also at once when it begins in that range, or while the
        service's windows are open past its end serving out (the lobby and the phone at 12:05)."""
        serve_out = self.config.rules.serve_out
        if serve_out and serving_now:
            return wait
        at = self._local_seconds()
        for start, end in self._spans_on(service_code, self._local.date()):
            if start <= at and (at + wait <= end or (serve_out and at < end)):
                return wait
        return over_closed_hours(wait, self._local, lambda day: self._spans_on(service_code, day), serve_out)

    def _rate_span_s(self, priority: Priority) -> float:
        """The seconds today's arrival counts cover, or 0 when they do not count (less than
        ``MIN_RATE_SPAN_S`` of tickets yet, or no class above ``priority``)."""
        if self.first_issue_at is None or self.now is None or priority is TOP_CLASS:
            return 0.0
        span = (self.now - self.first_issue_at).total_seconds()
        return span if span >= MIN_RATE_SPAN_S else 0.0

    def _spans_on(self, service_code: str, day: date) -> Spans:
        key = (service_code, day)
        spans = self._spans.get(key)
        if spans is None:
            hours = self.config.services[service_code].hours
            spans = self._spans[key] = open_spans(hours, day, self.config.calendar)
        return spans

    def _check_windows_key(self) -> None:
        """Forget the figures worked out from the windows once one opened, closed or paused
        (``window_epoch``), or the config changed."""
        key = (self.window_epoch, id(self.config))
        if key != self._windows_key:
            self._serving_cache.clear()
            self._portions.clear()
            self._windows_key = key

    def _windows_by_service(self) -> dict[str, tuple[int, ...]]:
        """The windows serving each service, for the config as it stands (潮汐窗口 replace it)."""
        if self._windows_of_config is not self.config:
            windows: dict[str, list[int]] = {code: [] for code in self.config.services}
            for number, w in self.config.windows.items():
                for code in w.services:
                    windows.setdefault(code, []).append(number)
            self._windows_of = {code: tuple(numbers) for code, numbers in windows.items()}
            self._windows_of_config = self.config
        return self._windows_of
