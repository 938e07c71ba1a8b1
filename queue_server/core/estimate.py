"""Estimated waiting time: what the kiosk prints on a ticket, and the phone and lobby show.

The estimate plays the next calls forward with average times, the way the routing policy will
make them (``hall_estimate.py`` gathers the figures from the hall state):

- Each window serving the service turns to it once its visitor is done (the rest of that
  service's average, at least a third of it: a visitor past the average is not nearly done, the
  times at the window spread too far) and once it has called what it calls first: the
  waiting tickets of higher classes, and of the services it prefers, each costing its service's
  average. A window takes its part of each service's line: among the open windows serving it,
  one that ranks it a place lower takes ``PORTION_STEP`` as much (the windows that rank it
  first serve most of it; one ranking it last turns to it when they are busy).
- A window gives the service its time less the share that newcomers going ahead will take as
  they keep coming, and gets through its visitor's rest and the tickets it calls first at
  that pace too (the newcomers also come while they are served). Those newcomers
  are visitors of higher classes, and of the same class for the services the window prefers.
  They are expected at the rate the hall's day shape says: each service's visitors so far
  today, over the share of a usual day's visitors come by now, times the share coming in the
  next ``RATE_AHEAD_S`` (so a peak is expected before it shows, and its end too). The day
  shape is the share of the hall's visitors per half hour, a running average over the days
  (weight ``DAY_SHAPE_WEIGHT``), read back from the last ``EARLIER_DAYS`` business days by a
  starting server. Without one (a new hall), or before ``MIN_DAY_SO_FAR`` of a day has come,
  the recent rate: each ticket weighted by e^(-age / ``RATE_WINDOW_S``). Their share is at
  most ``MAX_CUT_IN``.
- The tickets ahead go to whichever window is free first, one by one (``next_call_s``); the
  newcomer is called when a window is free after them. An idle window calls at once: 0.
- Anti-starvation, both ways: a ticket that has waited ``rules.starvation_s`` goes first. The
  tickets of services a window ranks lower that will have waited that long by the time this one
  would be called go first (added, then the calls played again); and the services a window
  prefers hold this one back no longer than that, unless its own line (its windows serving it
  alone) takes longer still.
- With no window of the service open (before opening, at lunch) its configured windows count,
  idle; and whatever the wait, the closed hours it runs into are added (``over_closed_hours``):
  the estimate never promises a call while the hall is shut. Where the hall serves out its
  queue before closing (``rules.serve_out``, 延时办理, as the hall in the interview does), a
  wait that begins while the service is open is not cut by lunch: the windows stay until the
  tickets taken before 取号截止 are served.

Service times are each service's running average (weight ``rules.service_time_weight`` on the
newest finished ticket), starting from its configured ``avg_minutes`` and carried over from day
to day (a restarted server reads the last business day's finished tickets), so a morning does
not start from the first guess again.

``hallqueue simulate`` measures how far this is from the waits visitors really had (the note in
``docs/simulate.md`` gives the figures, and what is left).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from .model import Calendar, OpeningHours

# The share of a window's time that newcomers going ahead may take in the estimate, at most: at
# 1 the queue would never move, and the rates are only estimates.
MAX_CUT_IN = 0.7
MIN_RATE_SPAN_S = 1800.0
RATE_WINDOW_S = 1800.0  # seconds: how fast an arrival's weight in today's rates fades
DISCRETE_UP_TO = 40  # tickets ahead worked through one by one; a longer queue as a pool
# The part of a service's line each of its windows takes: a window that ranks it one place
# lower takes this much of what one ranking it a place higher does.
PORTION_STEP = 0.5
# The hall's day shape: the share of a usual day's visitors who come in each half hour.
SLOT_S = 1800
SLOTS = 48
DAY_SHAPE_WEIGHT = 0.2  # how far one day's arrivals move it (a running average over days)
EARLIER_DAYS = 7  # business days a starting server reads it from
MIN_DAY_SO_FAR = 0.05  # used once this share of a usual day's visitors has come
RATE_AHEAD_S = 900.0  # the newcomers going ahead: at the rate expected over this coming time


def updated_average(previous: float, sample: float, weight: float) -> float:
    """One step of the exponentially weighted average."""
    return (1.0 - weight) * previous + weight * sample


def _seconds(t: time) -> float:
    return 24 * 3600.0 if t == time.max else t.hour * 3600 + t.minute * 60 + t.second


def seconds_after_midnight(local: datetime) -> int:
    """Whole seconds of ``local`` after its midnight (the opening hours' and day shape's clock)."""
    return local.hour * 3600 + local.minute * 60 + local.second


Spans = tuple[tuple[float, float], ...]  # a day's opening ranges, in seconds after midnight


def open_spans(hours: OpeningHours, day: date, calendar: Calendar) -> Spans:
    return tuple((_seconds(r.start), _seconds(r.end)) for r in hours.ranges_on(day, calendar))


def over_closed_hours(
    wait_s: float, local: datetime, spans_on: Callable[[date], Spans], serve_out: bool = False, days_ahead: int = 7
) -> float:
    """``wait_s`` of open time from ``local`` on, as elapsed time: the closed spells it runs
    into (the lunch break, the night) are added. ``spans_on`` gives a day's opening ranges.
    With ``serve_out`` (延时办理) the windows serve who waits before they close, so a wait that
    has begun in a range ends in it, however late; only the wait for an opening is added.
    Unchanged when there is no opening within ``days_ahead``."""
    remaining = wait_s
    day: date = local.date()
    # Worked in seconds of wall-clock time after local midnight (as the opening hours are).
    now_s = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    at = float(seconds_after_midnight(local))
    for offset in range(days_ahead + 1):
        for start, end in spans_on(day):
            if end <= at:
                continue
            begin = max(start, at)
            if serve_out or begin + remaining <= end:
                return offset * 86400 + begin + remaining - now_s
            remaining -= end - begin
            at = end
        day += timedelta(days=1)
        at = 0.0
    return wait_s  # no opening within the week: say the plain figure


def folded_shape(shape: list[float] | None, counts: list[float], weight: float) -> list[float] | None:
    """The day shape with one more day's arrivals per half hour folded in."""
    total = sum(counts)
    if not total:
        return shape
    day = [c / total for c in counts]
    return day if shape is None else [(1 - weight) * a + weight * b for a, b in zip(shape, day, strict=True)]


def share_by(shape: list[float], seconds: float) -> float:
    """The share of a usual day's visitors who have come ``seconds`` after midnight."""
    slot = min(int(seconds // SLOT_S), len(shape))
    done = sum(shape[:slot])
    if slot < len(shape):
        done += shape[slot] * (seconds - slot * SLOT_S) / SLOT_S
    return done


def water_level(free_at: list[tuple[float, float]], work_s: float) -> float:
    """When ``work_s`` of work ahead is done by windows that each start on it at a time and then
    give it a share of their time ((start, share), sorted): the time t at which the windows free
    by then have done it all between them."""
    weighted = shares = 0.0
    level = free_at[0][0] if free_at else 0.0
    for k, (start, share) in enumerate(free_at, 1):
        weighted += start * share
        shares += share
        level = (weighted + work_s) / shares
        if k == len(free_at) or level <= free_at[k][0]:
            return level
    return level


def next_call_s(free_at: list[tuple[float, float]], ahead: int, service_s: float) -> float:
    """When the ticket behind ``ahead`` others of its service is called: each of the service's
    windows turns to it at a time and then gives it a share of its time ((start, share)); the
    tickets ahead go to whichever window is free first, one by one. Past ``DISCRETE_UP_TO``
    tickets ahead the windows are taken as one pool (``water_level``), which a long queue
    averages out to anyway."""
    if not free_at:
        return 0.0
    if len(free_at) == 1:  # one window: the tickets ahead one after another
        start, share = free_at[0]
        return start + ahead * service_s / share
    if ahead > DISCRETE_UP_TO:
        return water_level(sorted(free_at), ahead * service_s)
    heap = [(start, service_s / share) for start, share in free_at]
    heapq.heapify(heap)
    for _ in range(ahead):
        start, step = heap[0]  # the window free first takes the next ticket ahead
        heapq.heapreplace(heap, (start + step, step))
    return heap[0][0]
