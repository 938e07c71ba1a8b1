"""What the hall state hands the store and gets back from it.

A :class:`Journal` collects what a run of commands changed, for the store to write in one
transaction; :class:`Restored` is what the store reads back to rebuild the state after a start
or a failed write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from .feedback import FollowUp, Rating
from .model import Event, Fault, Ticket, WindowState


@dataclass
class Journal:
    """What a run of commands changed, for the store to write in one transaction."""

    tickets: dict[int, Ticket] = field(default_factory=dict)
    windows: dict[int, WindowState] = field(default_factory=dict)
    faults: dict[tuple[str, str], Fault] = field(default_factory=dict)
    ratings: list[Rating] = field(default_factory=list)
    followups: dict[int, FollowUp] = field(default_factory=dict)
    notices: tuple[str, ...] | None = None  # set when the hall manager changed them
    window_services: dict[int, tuple[str, ...]] = field(default_factory=dict)  # 潮汐窗口 changes
    alerts: dict[str, dict] | None = None  # the raised alerts, set when they changed (hall_watch.py)
    events: list[Event] = field(default_factory=list)
    day: date | None = None  # the business day the journal was taken in

    def __bool__(self) -> bool:
        return bool(
            self.tickets
            or self.windows
            or self.faults
            or self.ratings
            or self.followups
            or self.notices is not None
            or self.window_services
            or self.alerts is not None
            or self.events
        )


@dataclass(frozen=True)
class Issued:
    """The ticket ``HallState.issue`` gave, and whether it is new (false: a repeated request)."""

    ticket_id: int
    created: bool


@dataclass(frozen=True)
class RecentCall:
    """One line of the lobby's latest calls."""

    at: datetime
    number: str
    service: str
    window: int
    call_count: int


@dataclass
class Restored:
    """What the store hands back to rebuild the state after a start or a failed write."""

    business_day: date
    next_ticket_id: int
    last_event_seq: int
    active_tickets: list[Ticket]  # unfinished, of any day (older ones expire at once)
    windows: list[WindowState]
    last_seq_by_prefix: dict[str, int]  # for business_day
    issued_by_service: dict[str, int]  # for business_day
    requests: dict[tuple[str, str], int]  # (issued_by, request_id) -> ticket id, business_day
    finished_today: list[Ticket]  # done today: for the service-time averages, any order
    recent_calls: list[RecentCall]  # oldest first
    faults: list[Fault] = field(default_factory=list)  # not cleared yet
    rated_today: set[int] = field(default_factory=set)  # tickets of business_day already rated
    to_rate: list[Ticket] = field(default_factory=list)  # finished tickets windows await a rating for
    open_followups: list[FollowUp] = field(default_factory=list)
    next_followup_id: int = 1
    notices: tuple[str, ...] | None = None  # as the hall manager last set them
    ended_today: list[Ticket] = field(default_factory=list)  # 过号 or cancelled today (done: finished_today)
    window_services: dict[int, list[str]] = field(default_factory=dict)  # 潮汐窗口, as last set
    alerts: dict[str, dict] = field(default_factory=dict)  # raised and not cleared yet (hall_watch.py)
    # Per service, the seconds at the window of the last earlier business day's finished
    # tickets, in the order they finished: where the service-time averages stood when today began.
    earlier_service_times: dict[str, Sequence[float]] = field(default_factory=dict)
    # The tickets issued on each of the last few business days before it, oldest day first, as
    # (the start of a ten-minute spell, tickets issued in it): the hall's day shape, by which
    # the wait estimate expects newcomers.
    earlier_arrivals: list[list[tuple[datetime, int]]] = field(default_factory=list)

    @classmethod
    def empty(cls, day: date) -> Restored:
        """A hall that has never issued a ticket."""
        return cls(day, 1, 0, [], [], {}, {}, {}, [], [])
