"""The live hall: today's tickets, the waiting lines and the windows, in memory.

``HallState`` is the pure core the server drives. Each command takes ``now`` (it never reads
a clock) and either raises a :class:`~.errors.QueueError` having changed nothing, or changes
the state and records what it changed in the journal: the touched tickets and windows and
one :class:`~.model.Event` per change. The server persists a journal in one transaction and
only then answers; if the transaction fails it rebuilds the state from the store.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from . import lifecycle
from .errors import (
    DailyCapReached,
    IllegalTransition,
    NothingToRate,
    RecallLimit,
    ServiceClosed,
    UnknownFollowUp,
    UnknownService,
    UnknownTicket,
    UnknownWindow,
    WindowBusy,
    WindowClosed,
    WindowPaused,
    WrongWindow,
)
from .estimate import estimated_wait_s, updated_average
from .feedback import FOLLOW_UP_WORKING_DAYS, LOW, FollowUp, Rating, add_working_days
from .model import (
    Event,
    Fault,
    HallConfig,
    Priority,
    Status,
    Ticket,
    WindowState,
    WindowStatus,
)
from .numbering import business_day, format_number
from .queues import ServiceQueue
from .routing import Candidate, RoutingPolicy, choose_next

RECENT_CALLS_KEPT = 20


@dataclass
class Journal:
    """What a run of commands changed, for the store to write in one transaction."""

    tickets: dict[int, Ticket] = field(default_factory=dict)
    windows: dict[int, WindowState] = field(default_factory=dict)
    faults: dict[tuple[str, str], Fault] = field(default_factory=dict)
    ratings: list[Rating] = field(default_factory=list)
    followups: dict[int, FollowUp] = field(default_factory=dict)
    notices: tuple[str, ...] | None = None  # set when the hall manager changed them
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
            or self.events
        )


@dataclass(frozen=True)
class Issued:
    ticket_id: int
    created: bool


@dataclass(frozen=True)
class RecentCall:
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
    finished_today: list[Ticket]  # for the service-time averages, any order
    recent_calls: list[RecentCall]  # oldest first
    faults: list[Fault] = field(default_factory=list)  # not cleared yet
    rated_today: set[int] = field(default_factory=set)  # tickets of business_day already rated
    to_rate: list[Ticket] = field(default_factory=list)  # finished tickets windows await a rating for
    open_followups: list[FollowUp] = field(default_factory=list)
    next_followup_id: int = 1
    notices: tuple[str, ...] | None = None  # as the hall manager last set them

    @classmethod
    def empty(cls, day: date) -> Restored:
        """A hall that has never issued a ticket."""
        return cls(day, 1, 0, [], [], {}, {}, {}, [], [])


class HallState:
    """Today's queue. See the module docstring for the command contract."""

    def __init__(self, config: HallConfig, restored: Restored, policy: RoutingPolicy = choose_next):
        self.config = config
        self.policy = policy
        self.day = restored.business_day
        self.next_ticket_id = restored.next_ticket_id
        self.last_event_seq = restored.last_event_seq
        self.journal = Journal()
        self.queues: dict[str, ServiceQueue] = {code: ServiceQueue() for code in config.services}
        self.active: dict[int, Ticket] = {}
        self.windows: dict[int, WindowState] = {n: WindowState(n) for n in config.windows}
        for w in restored.windows:
            if w.number in self.windows:
                self.windows[w.number] = w
        self.last_seq_by_prefix = dict(restored.last_seq_by_prefix)
        self.issued_by_service = dict(restored.issued_by_service)
        self.requests = dict(restored.requests)
        self.avg_service_s = {code: s.avg_service_s for code, s in config.services.items()}
        for t in sorted(restored.finished_today, key=lambda t: t.finished_at):
            self._learn_service_time(t)
        self.recent_calls: deque[RecentCall] = deque(restored.recent_calls, maxlen=RECENT_CALLS_KEPT)
        self.faults: dict[tuple[str, str], Fault] = {(f.device, f.component): f for f in restored.faults}
        self.rated = set(restored.rated_today)
        self.to_rate: dict[int, Ticket] = {t.id: t for t in restored.to_rate}  # finished, awaiting 好差评
        self.followups: dict[int, FollowUp] = {f.id: f for f in restored.open_followups}
        self.next_followup_id = restored.next_followup_id
        self.notices = restored.notices if restored.notices is not None else config.notices
        for t in restored.active_tickets:
            if t.service not in config.services:
                self._expire_removed(t, restored.business_day)
                continue
            self.active[t.id] = t
            if t.status is Status.WAITING:
                self.queues[t.service].add(t)

    def _expire_removed(self, t: Ticket, day: date) -> None:
        """A ticket whose service left the config while it waited: recorded as expired."""
        before, t.status = t.status, Status.EXPIRED
        now = t.called_at or t.issued_at
        t.finished_at = now
        self._emit("expired", "system", now, t, before, None, reason="service_removed", day=day.isoformat())

    # ------------------------------------------------------------ bookkeeping

    def take_journal(self) -> Journal:
        journal, self.journal = self.journal, Journal()
        journal.day = self.day
        return journal

    def _emit(
        self,
        kind: str,
        actor: str,
        now: datetime,
        ticket: Ticket | None = None,
        from_status: Status | None = None,
        window: int | None = None,
        **data: Any,
    ) -> None:
        self.last_event_seq += 1
        if ticket is not None:
            self.journal.tickets[ticket.id] = ticket
            services = {ticket.service, *data.pop("also_services", ())}
            data["waiting"] = {s: len(self.queues[s]) for s in services if s in self.queues}
            # What a new ticket of each service would wait now, for the lobby screen.
            data["estimates"] = {s: self.estimate_s(s, n) for s, n in data["waiting"].items()}
        if window is not None:
            w = self.windows[window]
            self.journal.windows[window] = w
            data["window_status"] = w.status.value
            if ticket is None:  # a window opened, paused or closed: its services' estimates moved
                served = self.config.windows[window].services
                data["estimates"] = {s: self.estimate_s(s, len(self.queues[s])) for s in served}
        self.journal.events.append(
            Event(
                seq=self.last_event_seq,
                at=now,
                kind=kind,
                actor=actor,
                ticket=ticket.as_dict() if ticket else None,
                from_status=from_status.value if from_status else None,
                to_status=ticket.status.value if ticket else None,
                window=window,
                data=data,
            )
        )

    def _learn_service_time(self, t: Ticket) -> None:
        if t.called_at and t.finished_at and t.service in self.avg_service_s:
            sample = (t.finished_at - t.called_at).total_seconds()
            self.avg_service_s[t.service] = updated_average(
                self.avg_service_s[t.service], sample, self.config.rules.service_time_weight
            )

    # ------------------------------------------------------------ reading

    def service(self, code: str):
        try:
            return self.config.services[code]
        except KeyError:
            raise UnknownService(f"没有这项业务：{code}", service=code) from None

    def window(self, number: int) -> WindowState:
        try:
            return self.windows[number]
        except KeyError:
            raise UnknownWindow(f"没有 {number} 号窗口", window=number) from None

    def ticket(self, ticket_id: int) -> Ticket:
        """An unfinished ticket of today; finished ones live only in the store."""
        try:
            return self.active[ticket_id]
        except KeyError:
            raise UnknownTicket(f"没有进行中的号票 {ticket_id}", ticket=ticket_id) from None

    def is_open(self, service_code: str, now: datetime) -> bool:
        return self.service(service_code).hours.is_open(now.astimezone(self.config.timezone))

    def serving_windows(self, service_code: str) -> tuple[int, int]:
        """(open windows serving the service, windows configured for it)."""
        configured = [w for w in self.config.windows.values() if service_code in w.services]
        open_ = [w for w in configured if self.windows[w.number].status is WindowStatus.OPEN]
        return len(open_), len(configured)

    def ahead_of(self, ticket: Ticket) -> int:
        if ticket.status is not Status.WAITING:
            return 0
        return self.queues[ticket.service].ahead_of(ticket)

    def estimate_s(self, service_code: str, ahead: int) -> int:
        open_, configured = self.serving_windows(service_code)
        return estimated_wait_s(ahead, self.avg_service_s[service_code], open_ or configured)

    def waiting_count(self, service_code: str) -> int:
        return len(self.queues[service_code])

    # ------------------------------------------------------------ the day

    def advance(self, now: datetime) -> None:
        """Turn the business day over if ``now`` is past the configured day start.

        Every unfinished ticket of the old day expires (recorded as an event, kept in the
        store), every window closes, and numbering starts again at 001.
        """
        today = business_day(now, self.config.timezone, self.config.day_start)
        if today <= self.day:
            return
        for t in sorted(self.active.values(), key=lambda t: t.id):
            before = t.status
            if before is Status.WAITING:
                self.queues[t.service].remove(t)
            t.status = Status.EXPIRED
            t.finished_at = now
            self._emit("expired", "system", now, t, before, t.window, day=self.day.isoformat())
        self.active.clear()
        for w in self.windows.values():
            if w.status is not WindowStatus.CLOSED or w.ticket_id is not None or w.rating_ticket is not None:
                w.status, w.ticket_id, w.clerk, w.since = WindowStatus.CLOSED, None, None, now
                w.rating_ticket = None
                w.priority_streak = 0
                self._emit("window_closed", "system", now, window=w.number, reason="day_end")
        self.day = today
        self.last_seq_by_prefix.clear()
        self.issued_by_service.clear()
        self.requests.clear()
        self.recent_calls.clear()
        self.rated.clear()
        self.to_rate.clear()
        self.avg_service_s = {code: s.avg_service_s for code, s in self.config.services.items()}
        self._emit("day_started", "system", now, day=today.isoformat())

    # ------------------------------------------------------------ issuing

    def issue(
        self,
        service_code: str,
        priority: Priority,
        actor: str,
        now: datetime,
        request_id: str | None = None,
        public_code: str | None = None,
    ) -> Issued:
        """Take a ticket (取号).

        The same ``request_id`` from the same ``actor`` on the same day returns the first
        ticket's id again with ``created`` false, so a kiosk retrying never gets two tickets;
        the caller reads that ticket back (it may be finished already, and so only in the store).
        """
        if request_id is not None:
            existing = self.requests.get((actor, request_id))
            if existing is not None:
                return Issued(existing, False)
        service = self.service(service_code)
        local = now.astimezone(self.config.timezone)
        if not service.hours.is_open(local):
            raise ServiceClosed(
                f"{service.name}现在不办理，办理时间：{service.hours.describe()}",
                service=service.code,
                hours=service.hours.describe(),
            )
        issued = self.issued_by_service.get(service.code, 0)
        if service.daily_cap is not None and issued >= service.daily_cap:
            raise DailyCapReached(
                f"{service.name}今日号已取完（每日 {service.daily_cap} 个），请改日再来",
                service=service.code,
                daily_cap=service.daily_cap,
            )
        seq = self.last_seq_by_prefix.get(service.prefix, 0) + 1
        ticket = Ticket(
            id=self.next_ticket_id,
            business_day=self.day,
            number=format_number(service.prefix, seq),
            prefix=service.prefix,
            seq=seq,
            service=service.code,
            priority=priority,
            status=Status.WAITING,
            issued_at=now,
            queued_since=now,
            issued_by=actor,
            request_id=request_id,
            public_code=public_code,
        )
        queue = self.queues[service.code]
        queue.add(ticket)
        ticket.waiting_ahead = queue.ahead_of(ticket)
        ticket.estimated_wait_s = self.estimate_s(service.code, ticket.waiting_ahead)
        self.next_ticket_id += 1
        self.last_seq_by_prefix[service.prefix] = seq
        self.issued_by_service[service.code] = issued + 1
        if request_id is not None:
            self.requests[(actor, request_id)] = ticket.id
        self.active[ticket.id] = ticket
        self._emit("issued", actor, now, ticket, None)
        return Issued(ticket.id, True)

    # ------------------------------------------------------------ windows

    def open_window(self, number: int, clerk: str, now: datetime) -> None:
        """A clerk signs in at the window (开窗)."""
        w = self.window(number)
        if w.status is WindowStatus.OPEN and w.clerk == clerk:
            return
        w.status, w.clerk, w.since = WindowStatus.OPEN, clerk, now
        self._emit("window_opened", clerk, now, window=number)

    def close_window(self, number: int, actor: str, now: datetime) -> None:
        """The clerk signs out (关窗). A ticket still in hand stays with the window."""
        w = self.window(number)
        if w.status is WindowStatus.CLOSED:
            return
        w.status, w.clerk, w.since = WindowStatus.CLOSED, None, now
        self._emit("window_closed", actor, now, window=number, reason="signed_out")

    def pause(self, number: int, actor: str, now: datetime) -> None:
        """暂停服务: the window takes no calls until resumed."""
        w = self.window(number)
        if w.status is WindowStatus.PAUSED:
            return
        self._require_open(w)
        w.status, w.since = WindowStatus.PAUSED, now
        self._emit("window_paused", actor, now, window=number)

    def resume(self, number: int, actor: str, now: datetime) -> None:
        w = self.window(number)
        if w.status is WindowStatus.OPEN:
            return
        if w.status is WindowStatus.CLOSED:
            raise WindowClosed(f"{number} 号窗口未开窗，请先登录", window=number)
        w.status, w.since = WindowStatus.OPEN, now
        self._emit("window_resumed", actor, now, window=number)

    def _require_open(self, w: WindowState) -> None:
        if w.status is WindowStatus.CLOSED:
            raise WindowClosed(f"{w.number} 号窗口未开窗，请先登录", window=w.number)
        if w.status is WindowStatus.PAUSED:
            raise WindowPaused(f"{w.number} 号窗口已暂停服务，请先恢复", window=w.number)

    def _require_free(self, w: WindowState) -> None:
        if w.ticket_id is not None:
            held = self.active.get(w.ticket_id)
            if held is not None:
                raise WindowBusy(
                    f"{w.number} 号窗口的 {held.number} 号尚未办结，请先办结、过号或转移",
                    window=w.number,
                    ticket=held.id,
                    number=held.number,
                )
            w.ticket_id = None

    # ------------------------------------------------------------ device faults

    def report_fault(self, device: str, component: str, state: str, message: str, now: datetime) -> bool:
        """A device says how one of its parts is (``state`` "ok" clears a fault).

        Returns whether anything changed; a repeated report of the same state changes nothing.
        """
        key = (device, component)
        current = self.faults.get(key)
        if state == "ok":
            if current is None:
                return False
            current.cleared_at = now
            del self.faults[key]
            self.journal.faults[key] = current
            self._emit("device_fault_cleared", device, now, **{**current.as_dict(), "state": current.state})
            return True
        if current is not None and current.state == state:
            return False
        fault = Fault(device, component, state, message, current.since if current else now)
        self.faults[key] = fault
        self.journal.faults[key] = fault
        self._emit("device_fault", device, now, **fault.as_dict())
        return True

    # ------------------------------------------------------------ 好差评 and notices

    def request_rating(self, number: int, actor: str, now: datetime) -> int:
        """评价: the clerk asks the visitor in front of the window to rate (the ticket in hand,
        else the one just finished). Returns the ticket to be rated."""
        w = self.window(number)
        ticket_id = w.ticket_id if w.ticket_id in self.active else w.rating_ticket
        if ticket_id is None or ticket_id in self.rated:
            raise NothingToRate(f"{number} 号窗口没有待评价的办件", window=number)
        w.rating_ticket = ticket_id
        ticket = self.active.get(ticket_id)
        self._emit(
            "rating_requested",
            actor,
            now,
            window=number,
            rating_ticket=ticket_id,
            number=ticket.number if ticket else None,
        )
        return ticket_id

    def pending_rating(self, number: int) -> Ticket | None:
        """The ticket window ``number``'s evaluator tablet may rate now, if any."""
        w = self.window(number)
        if w.rating_ticket is None or w.rating_ticket in self.rated:
            return None
        return self.active.get(w.rating_ticket) or self.to_rate.get(w.rating_ticket)

    def rate(self, number: int, level: int, reasons: tuple[str, ...], actor: str, now: datetime) -> Rating:
        """The evaluator tablet of window ``number`` rates the ticket the window just served.

        One rating per ticket; no other ticket can be rated from that window.
        """
        ticket = self.pending_rating(number)
        if ticket is None:
            raise NothingToRate(f"{number} 号窗口没有待评价的办件", window=number)
        if level not in (1, 2, 3, 4, 5):
            raise ValueError(f"rating level {level}")
        w = self.windows[number]
        rating = Rating(ticket.id, ticket.number, ticket.service, number, w.clerk, level, reasons, now, self.day)
        self.rated.add(ticket.id)
        self.to_rate.pop(ticket.id, None)
        w.rating_ticket = None
        self.journal.ratings.append(rating)
        self._emit(
            "rated", actor, now, window=number, rating_ticket=rating.ticket_id, number=rating.number, level=level
        )
        if level in LOW:
            followup = FollowUp(
                self.next_followup_id,
                rating.ticket_id,
                rating.number,
                number,
                w.clerk,
                level,
                reasons,
                now,
                add_working_days(now.astimezone(self.config.timezone).date(), FOLLOW_UP_WORKING_DAYS),
            )
            self.next_followup_id += 1
            self.followups[followup.id] = followup
            self.journal.followups[followup.id] = followup
            self._emit("followup_opened", actor, now, followup=followup.id, number=rating.number, window=number)
        return rating

    def close_followup(self, followup_id: int, resolution: str, actor: str, now: datetime) -> FollowUp:
        followup = self.followups.get(followup_id)
        if followup is None:
            raise UnknownFollowUp(f"没有未办结的跟进事项 {followup_id}", followup=followup_id)
        followup.closed_at, followup.resolution, followup.closed_by = now, resolution, actor
        del self.followups[followup_id]
        self.journal.followups[followup_id] = followup
        self._emit("followup_closed", actor, now, followup=followup_id, number=followup.number)
        return followup

    def set_notices(self, notices: tuple[str, ...], actor: str, now: datetime) -> None:
        """The hall manager changes the notices the lobby screens scroll."""
        self.notices = notices
        self.journal.notices = notices
        self._emit("notices_changed", actor, now, notices=list(notices))

    # ------------------------------------------------------------ calling

    def call_next(self, number: int, actor: str, now: datetime) -> Ticket | None:
        """叫号: the window takes the best waiting ticket by the routing policy."""
        w = self.window(number)
        self._require_open(w)
        self._require_free(w)
        config_window = self.config.windows[number]
        candidates = [
            Candidate(t, preference)
            for preference, code in enumerate(config_window.services)
            for t in self.queues[code].heads()
        ]
        chosen = self.policy(candidates, w.priority_streak, now, self.config.rules)
        if chosen is None:
            return None
        ticket = chosen.ticket
        w.priority_streak = 0 if ticket.priority is Priority.NORMAL else w.priority_streak + 1
        self._call(ticket, w, actor, now)
        return ticket

    def call_number(self, number: int, ticket_number: str, actor: str, now: datetime) -> Ticket:
        """指定叫号: call a given waiting number of a service this window serves."""
        w = self.window(number)
        self._require_open(w)
        self._require_free(w)
        served = self.config.windows[number].services
        for t in self.active.values():
            if t.number == ticket_number and t.service in served:
                lifecycle.check("call", t.number, t.status)
                w.priority_streak = 0 if t.priority is Priority.NORMAL else w.priority_streak + 1
                self._call(t, w, actor, now)
                return t
        raise UnknownTicket(f"{number} 号窗口的业务中没有 {ticket_number} 号", number=ticket_number)

    def _call(self, ticket: Ticket, w: WindowState, actor: str, now: datetime) -> None:
        self.queues[ticket.service].remove(ticket)
        ticket.status, ticket.window, ticket.called_at = Status.CALLED, w.number, now
        ticket.call_count = 1
        w.ticket_id = ticket.id
        self.recent_calls.append(RecentCall(now, ticket.number, ticket.service, w.number, 1))
        self._emit("called", actor, now, ticket, Status.WAITING, w.number)

    # ------------------------------------------------------------ ticket actions

    def act(
        self,
        ticket_id: int,
        action: str,
        actor: str,
        now: datetime,
        window: int | None = None,
        service: str | None = None,
    ) -> Ticket:
        """Apply ``action`` (recall, no-show, start, finish, transfer, cancel) to a ticket.

        ``window`` is the window acting; a ticket called to another window is refused with
        ``WrongWindow``. ``None`` acts for the hall (an admin or the reception desk).
        ``service`` is the target of a transfer.
        """
        ticket = self.ticket(ticket_id)
        lifecycle.check(action, ticket.number, ticket.status)
        if window is not None and ticket.window != window:
            where = f"在 {ticket.window} 号窗口" if ticket.window else "尚未叫到任何窗口"
            raise WrongWindow(f"{ticket.number} 号{where}，{window} 号窗口不能操作", ticket=ticket.id, window=window)
        before, at_window = ticket.status, ticket.window
        if action == "recall":
            kind, extra = self._recall(ticket, now), {}
        elif action == "start":
            ticket.status, ticket.started_at = Status.SERVING, now
            kind, extra = "started", {}
        elif action == "finish":
            kind, extra = self._finish(ticket, now), {}
        elif action == "no-show":
            kind, extra = self._no_show(ticket, now), {}
        elif action == "cancel":
            kind, extra = self._cancel(ticket, now), {}
        elif action == "transfer":
            kind, extra = self._transfer(ticket, now, service)
        else:
            raise ValueError(f"unknown action {action!r}")
        self._emit(kind, actor, now, ticket, before, at_window, **extra)
        return ticket

    def _leave_window(self, ticket: Ticket) -> None:
        if ticket.window is not None:
            w = self.windows[ticket.window]
            if w.ticket_id == ticket.id:
                w.ticket_id = None
                self.journal.windows[w.number] = w

    def _end(self, ticket: Ticket, status: Status, now: datetime) -> None:
        ticket.status, ticket.finished_at = status, now
        del self.active[ticket.id]

    def _recall(self, ticket: Ticket, now: datetime) -> str:
        limit = self.config.rules.max_recalls
        if ticket.call_count > limit:
            raise RecallLimit(f"{ticket.number} 号已重呼 {limit} 次，请按过号处理", ticket=ticket.id, max_recalls=limit)
        ticket.call_count += 1
        self.recent_calls.append(RecentCall(now, ticket.number, ticket.service, ticket.window, ticket.call_count))
        return "recalled"

    def _finish(self, ticket: Ticket, now: datetime) -> str:
        if ticket.window is not None and ticket.id not in self.rated:
            # Its visitor may rate the service on the window's evaluator tablet now.
            w = self.windows[ticket.window]
            self.to_rate.pop(w.rating_ticket, None)
            w.rating_ticket = ticket.id
            self.to_rate[ticket.id] = ticket
        self._leave_window(ticket)
        self._end(ticket, Status.DONE, now)
        self._learn_service_time(ticket)
        return "finished"

    def _no_show(self, ticket: Ticket, now: datetime) -> str:
        self._leave_window(ticket)
        ticket.no_show_count += 1
        if ticket.no_show_count > self.config.rules.no_show_requeues:
            self._end(ticket, Status.NO_SHOW, now)
            return "no_show"
        # Back to the end of its class: the late visitor waits behind those who are present.
        ticket.status, ticket.window, ticket.queued_since = Status.WAITING, None, now
        ticket.called_at, ticket.call_count = None, 0
        self.queues[ticket.service].add(ticket)
        return "requeued"

    def _cancel(self, ticket: Ticket, now: datetime) -> str:
        if ticket.status is Status.WAITING:
            self.queues[ticket.service].remove(ticket)
        self._leave_window(ticket)
        self._end(ticket, Status.CANCELLED, now)
        return "cancelled"

    def _transfer(self, ticket: Ticket, now: datetime, service: str | None) -> tuple[str, dict]:
        if service is None:
            raise UnknownService("转移需要指定目标业务", service=None)
        target = self.service(service)
        if target.code == ticket.service:
            raise IllegalTransition(f"{ticket.number} 号已在{target.name}，无需转移", action="transfer")
        if ticket.status is Status.WAITING:
            self.queues[ticket.service].remove(ticket)
        self._leave_window(ticket)
        from_service = ticket.service
        if ticket.original_service is None:
            ticket.original_service = from_service
        # queued_since is kept: the ticket goes ahead of everyone who came after it.
        ticket.service, ticket.status, ticket.window = target.code, Status.WAITING, None
        ticket.called_at = ticket.started_at = None
        ticket.call_count = 0
        ticket.transfer_count += 1
        self.queues[target.code].add(ticket)
        return "transferred", {"from_service": from_service, "also_services": (from_service,)}
