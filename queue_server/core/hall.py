"""The live hall: today's tickets, the waiting lines and the windows, in memory.

``HallState`` is the pure core the server drives. Each command takes ``now`` (it never reads
a clock) and either raises a :class:`~.errors.QueueError` having changed nothing, or changes
the state and records what it changed in the journal: the touched tickets and windows and
one :class:`~.model.Event` per change. The server persists a journal in one transaction and
only then answers; if the transaction fails it rebuilds the state from the store.

This module holds the queue: issuing, the windows, calling, ticket actions and the day
turnover. 好差评, device faults and notices are parts it inherits (``hall_*.py``), all writing
into the same journal through the same ``_emit`` (:mod:`.hall_base`).
"""

from __future__ import annotations

from collections import deque
from datetime import date, datetime, timedelta
from typing import Any

from . import lifecycle
from .errors import (
    DailyCapReached,
    IllegalTransition,
    RecallLimit,
    ServiceClosed,
    UnknownService,
    UnknownTicket,
    WindowBusy,
    WindowClosed,
    WindowPaused,
    WrongWindow,
)
from .estimate import updated_average
from .hall_estimate import HallEstimate
from .hall_faults import HallFaults
from .hall_feedback import HallFeedback
from .hall_notices import HallNotices
from .hall_watch import HallWatch
from .hall_window_services import HallWindowServices
from .journal import Issued, Journal, RecentCall, Restored
from .model import (
    EventKind,
    HallConfig,
    Priority,
    Service,
    Status,
    Ticket,
    TicketAction,
    WindowState,
    WindowStatus,
)
from .numbering import business_day, day_start_instant, format_number
from .routing import Candidate, RoutingPolicy, choose_next

# The store and the server import these from here.
__all__ = ["RECENT_CALLS_KEPT", "HallState", "Issued", "Journal", "RecentCall", "Restored"]

RECENT_CALLS_KEPT = 20


class HallState(HallFeedback, HallFaults, HallNotices, HallWindowServices, HallWatch, HallEstimate):
    """Today's queue. See the module docstring for the command contract."""

    def __init__(self, config: HallConfig, restored: Restored, policy: RoutingPolicy = choose_next):
        super().__init__(config, restored)
        self.policy = policy
        self._day_ends_at: datetime | None = None  # when the state's business day turns over
        self.next_ticket_id = restored.next_ticket_id
        self.last_seq_by_prefix = dict(restored.last_seq_by_prefix)
        self.issued_by_service = dict(restored.issued_by_service)
        self.requests = dict(restored.requests)
        # The averages go on from the last business day's (a restart forgets nothing), then today's.
        for service, times in restored.earlier_service_times.items():
            for seconds in times:
                self._learn_sample(service, seconds)
        for t in sorted(restored.finished_today, key=lambda t: t.finished_at):
            self._learn_service_time(t)
        self.recent_calls: deque[RecentCall] = deque(restored.recent_calls, maxlen=RECENT_CALLS_KEPT)
        # Today's ended tickets by number: a 过号 visitor may be called back (``call_number``),
        # and 指定叫号 of an ended number says what became of it.
        self.ended_today: dict[str, Ticket] = {t.number: t for t in (*restored.finished_today, *restored.ended_today)}
        self.expired_removed: list[str] = []  # numbers expired here because their service left the config
        for t in restored.active_tickets:
            if t.service not in config.services:
                self._expire_removed(t, restored.business_day)
                continue
            self.active[t.id] = t
            if t.status is Status.WAITING:
                self.queues[t.service].add(t)

    def ticket_by_code(self, public_code: str) -> Ticket | None:
        """Today's ticket behind a status-page link (in play or ended), or ``None``."""
        for t in self.active.values():
            if t.public_code == public_code:
                return t
        for t in self.ended_today.values():
            if t.public_code == public_code:
                return t
        return None

    def _expire_removed(self, t: Ticket, day: date) -> None:
        """A ticket whose service left the config while it waited: recorded as expired."""
        before, t.status = t.status, Status.EXPIRED
        now = t.called_at or t.issued_at
        t.finished_at = now
        self.expired_removed.append(t.number)
        self._emit(EventKind.EXPIRED, "system", now, t, before, None, reason="service_removed", day=day.isoformat())

    def _learn_service_time(self, t: Ticket) -> None:
        """Fold a finished ticket's time at the window into its service's running average."""
        if t.called_at and t.finished_at:
            self._learn_sample(t.service, (t.finished_at - t.called_at).total_seconds())

    def _learn_sample(self, service: str, seconds: float) -> None:
        if service in self.avg_service_s:
            self.avg_service_s[service] = updated_average(
                self.avg_service_s[service], seconds, self.config.rules.service_time_weight
            )

    def record_booking_block(self, blocked: bool, actor: str, now: datetime, **data: Any) -> None:
        """预约: staff closed (or opened again) a day or a slot to bookings: one event for the audit
        log. The block itself is the store's (``store/bookings.py``), written in the same batch."""
        self._emit(EventKind.BOOKINGS_BLOCKED if blocked else EventKind.BOOKINGS_UNBLOCKED, actor, now, **data)

    def record_erasure(self, actor: str, now: datetime, **data: Any) -> None:
        """Personal data past its keep_days was erased (``runtime/privacy.py``): the rule, the
        cut-off and how many, for the audit log; never the data."""
        self._emit(EventKind.PERSONAL_DATA_ERASED, actor, now, **data)

    def record_reload(self, actor: str, now: datetime, **data: Any) -> None:
        """The hall config was read again and this state rebuilt with it (``hallqueue reload``):
        one event for the audit log and the screens, saying what the rebuild expired (the
        waiting tickets of removed services, as a restart does) and which 潮汐窗口 changes no
        longer apply."""
        self._emit(
            EventKind.CONFIG_RELOADED,
            actor,
            now,
            expired=list(self.expired_removed),
            window_services_dropped=sorted(self.window_services_dropped),
            **data,
        )

    # ------------------------------------------------------------ the day

    def advance(self, now: datetime) -> None:
        """Turn the business day over if ``now`` is past the configured day start.

        Every unfinished ticket of the old day expires (recorded as an event, kept in the
        store), every window closes, and numbering starts again at 001.
        """
        self.now = now
        if self._day_ends_at is not None and now < self._day_ends_at:
            return  # nearly always: the simulator and the engine advance before every step
        today = business_day(now, self.config.timezone, self.config.day_start)
        if today <= self.day:
            tomorrow = self.day + timedelta(days=1)
            self._day_ends_at = day_start_instant(tomorrow, self.config.timezone, self.config.day_start)
            return
        for t in sorted(self.active.values(), key=lambda t: t.id):
            before = t.status
            if before is Status.WAITING:
                self.queues[t.service].remove(t)
            t.status = Status.EXPIRED
            t.finished_at = now
            self._emit(EventKind.EXPIRED, "system", now, t, before, t.window, day=self.day.isoformat())
        self.active.clear()
        for w in self.windows.values():
            if w.status is not WindowStatus.CLOSED or w.ticket_id is not None or w.rating_ticket is not None:
                w.status, w.ticket_id, w.clerk, w.since = WindowStatus.CLOSED, None, None, now
                w.rating_ticket = None
                w.priority_streak = 0
                self._emit(EventKind.WINDOW_CLOSED, "system", now, window=w.number, reason="day_end")
        self.day = today
        self.last_seq_by_prefix.clear()
        self.issued_by_service.clear()
        self.forget_arrivals()
        self.requests.clear()
        self.recent_calls.clear()
        self.ended_today.clear()
        self._forget_ratings()
        self._emit(EventKind.DAY_STARTED, "system", now, day=today.isoformat())

    # ------------------------------------------------------------ issuing

    def issue(
        self,
        service_code: str,
        priority: Priority,
        actor: str,
        now: datetime,
        request_id: str | None = None,
        public_code: str | None = None,
        booked: bool = False,
    ) -> Issued:
        """Take a ticket (取号) for one service: ``issue_visit`` with one service."""
        return self.issue_visit((service_code,), priority, actor, now, request_id, (public_code,), booked)[0]

    def issue_visit(
        self,
        services: tuple[str, ...],
        priority: Priority,
        actor: str,
        now: datetime,
        request_id: str | None = None,
        public_codes: tuple[str | None, ...] | None = None,
        booked: bool = False,
    ) -> list[Issued]:
        """Take tickets for a visit of one or more services (取号), each checked for its hours
        and daily cap (and counted against it), all or nothing.

        When one window serves every chosen service, the visitor gets **one** number that carries
        them all (``also_services``) and is served in one sitting. Otherwise each service gets a
        ticket of its own, linked by ``group_id``, in the order to go: the shortest estimated
        wait first. ``public_codes`` gives each possible ticket its status-page code.

        The same ``request_id`` from the same ``actor`` on the same day returns the visit's first
        ticket again with ``created`` false, so a kiosk retrying never gets two visits; the
        caller reads the tickets back (they may be finished, and so only in the store).

        ``booked``: a 预约 check-in, whose place the booking holds: neither the hours (a visitor
        may check in before opening for the first slot), nor 取号截止, nor the daily cap refuse it.
        """
        if request_id is not None:
            existing = self.requests.get((actor, request_id))
            if existing is not None:
                return [Issued(existing, False)]
        if not services or len(set(services)) != len(services):
            raise ValueError(f"a visit names each of its services once: {services}")
        chosen = [self.service(code) for code in services]
        for service in chosen:
            if not booked:
                self._check_issuable(service, now)
        codes = list(public_codes or (None,) * len(chosen))
        if len(chosen) == 1 or self._one_window_serves(services):
            plan = [(chosen[0], tuple(s.code for s in chosen[1:]))]
        else:
            # Linked tickets, printed on one slip in the order to go: the shortest wait first
            # (and of equal waits, the shorter line: before opening every wait is "at opening").
            by_wait = sorted(
                chosen,
                key=lambda s: (self.estimate_s(s.code, self.waiting_count(s.code)), self.waiting_count(s.code)),
            )
            plan = [(s, ()) for s in by_wait]
        group = self.next_ticket_id if len(plan) > 1 else None
        issued = []
        for i, (service, carried) in enumerate(plan):
            ticket = self._new_ticket(service, carried, priority, actor, now, request_id if i == 0 else None, codes[i])
            ticket.group_id = group
            self._emit(EventKind.ISSUED, actor, now, ticket, None)
            issued.append(Issued(ticket.id, True))
        if request_id is not None:
            self.requests[(actor, request_id)] = issued[0].ticket_id
        return issued

    def _one_window_serves(self, services: tuple[str, ...]) -> bool:
        return any(set(services) <= set(w.services) for w in self.config.windows.values())

    def _check_issuable(self, service: Service, now: datetime) -> None:
        local = now.astimezone(self.config.timezone)
        holiday = self.config.calendar.holidays.get(local.date())
        if holiday:
            raise ServiceClosed(
                f"今天是{holiday}假期，{service.name}暂停办理，办理时间：{service.hours.describe()}",
                service=service.code,
                hours=service.hours.describe(),
                holiday=holiday,
            )
        if not service.hours.is_open(local, self.config.calendar):
            raise ServiceClosed(
                f"{service.name}现在不办理，办理时间：{service.hours.describe()}",
                service=service.code,
                hours=service.hours.describe(),
            )
        cutoff = self.config.rules.last_ticket_s
        if not service.hours.issues_at(local, cutoff, self.config.calendar):
            raise ServiceClosed(
                f"{service.name}已停止取号（每段办理时间结束前 {round(cutoff / 60)} 分钟截止取号），"
                f"办理时间：{service.hours.describe()}",
                service=service.code,
                hours=service.hours.describe(),
                last_ticket_minutes=round(cutoff / 60),
            )
        issued = self.issued_by_service.get(service.code, 0)
        if service.daily_cap is not None and issued >= service.daily_cap:
            raise DailyCapReached(
                f"{service.name}今日号已取完（每日 {service.daily_cap} 个），请改日再来",
                service=service.code,
                daily_cap=service.daily_cap,
            )

    def _new_ticket(
        self,
        service: Service,
        carried: tuple[str, ...],
        priority: Priority,
        actor: str,
        now: datetime,
        request_id: str | None,
        public_code: str | None,
    ) -> Ticket:
        """A numbered ticket in ``service``'s line; every service it is for counts against its cap."""
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
            also_services=carried,
        )
        queue = self.queues[service.code]
        queue.add(ticket)
        ticket.waiting_ahead = queue.ahead_of(ticket)
        ticket.estimated_wait_s = self.estimate_s(service.code, ticket.waiting_ahead, priority)
        self.next_ticket_id += 1
        self.last_seq_by_prefix[service.prefix] = seq
        for code in ticket.services:
            self.issued_by_service[code] = self.issued_by_service.get(code, 0) + 1
        self.count_arrival(service.code, priority, now)
        self.active[ticket.id] = ticket
        return ticket

    # ------------------------------------------------------------ windows

    def open_window(self, number: int, clerk: str, now: datetime) -> None:
        """A clerk signs in at the window (开窗)."""
        w = self.window(number)
        if w.status is WindowStatus.OPEN and w.clerk == clerk:
            return
        w.status, w.clerk, w.since = WindowStatus.OPEN, clerk, now
        self._emit(EventKind.WINDOW_OPENED, clerk, now, window=number)

    def close_window(self, number: int, actor: str, now: datetime) -> None:
        """The clerk signs out (关窗). A ticket still in hand stays with the window."""
        w = self.window(number)
        if w.status is WindowStatus.CLOSED:
            return
        w.status, w.clerk, w.since = WindowStatus.CLOSED, None, now
        self._emit(EventKind.WINDOW_CLOSED, actor, now, window=number, reason="signed_out")

    def pause(self, number: int, actor: str, now: datetime) -> None:
        """暂停服务: the window takes no calls until resumed."""
        w = self.window(number)
        if w.status is WindowStatus.PAUSED:
            return
        self._require_open(w)
        w.status, w.since = WindowStatus.PAUSED, now
        self._emit(EventKind.WINDOW_PAUSED, actor, now, window=number)

    def resume(self, number: int, actor: str, now: datetime) -> None:
        w = self.window(number)
        if w.status is WindowStatus.OPEN:
            return
        if w.status is WindowStatus.CLOSED:
            raise WindowClosed(f"{number} 号窗口未开窗，请先登录", window=number)
        w.status, w.since = WindowStatus.OPEN, now
        self._emit(EventKind.WINDOW_RESUMED, actor, now, window=number)

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

    # ------------------------------------------------------------ calling

    def call_next(self, number: int, actor: str, now: datetime) -> Ticket | None:
        """叫号: the window takes the best waiting ticket by the routing policy."""
        w = self.window(number)
        self._require_open(w)
        self._require_free(w)
        config_window = self.config.windows[number]
        served = set(config_window.services)

        def servable(t: Ticket) -> bool:  # a ticket carrying several services needs all of them
            return not t.also_services or served.issuperset(t.also_services)

        candidates = [
            Candidate(t, preference)
            for preference, code in enumerate(config_window.services)
            for t in self.queues[code].heads(servable)
        ]
        chosen = self.policy(candidates, w.priority_streak, now, self.config.rules)
        if chosen is None:
            return None
        ticket = chosen.ticket
        w.priority_streak = 0 if ticket.priority is Priority.NORMAL else w.priority_streak + 1
        self._call(ticket, w, actor, now)
        return ticket

    def call_number(self, number: int, ticket_number: str, actor: str, now: datetime) -> Ticket:
        """指定叫号: call a given number of a service this window serves.

        A waiting ticket is called as by 叫号. A 过号 ticket whose visitor came back is called
        again within ``rules.no_show_recall_s`` of its 过号 (``called`` event with
        ``after_no_show``). Any other number is refused saying what became of it.
        """
        w = self.window(number)
        self._require_open(w)
        self._require_free(w)
        served = self.config.windows[number].services
        ticket = next((t for t in self.active.values() if t.number == ticket_number), None)
        ticket = ticket or self.ended_today.get(ticket_number)
        if ticket is None:
            raise UnknownTicket(f"今天没有发出 {ticket_number} 号", number=ticket_number)
        if any(code not in served for code in ticket.services):
            names = "、".join(self.config.services[c].name for c in ticket.services if c in self.config.services)
            raise UnknownTicket(
                f"{ticket_number} 号办理的是{names}，不在 {number} 号窗口的业务中", number=ticket_number
            )
        if ticket.status is Status.NO_SHOW:
            self._call_back(ticket, w, actor, now)
            return ticket
        lifecycle.check(lifecycle.CALL, ticket.number, ticket.status)
        w.priority_streak = 0 if ticket.priority is Priority.NORMAL else w.priority_streak + 1
        self._call(ticket, w, actor, now)
        return ticket

    def _call(self, ticket: Ticket, w: WindowState, actor: str, now: datetime) -> None:
        self.queues[ticket.service].remove(ticket)
        ticket.status, ticket.window, ticket.called_at = Status.CALLED, w.number, now
        ticket.call_count, ticket.clerk = 1, w.clerk
        w.ticket_id = ticket.id
        self.recent_calls.append(RecentCall(now, ticket.number, ticket.service, w.number, 1))
        self._emit(EventKind.CALLED, actor, now, ticket, Status.WAITING, w.number)

    def _call_back(self, ticket: Ticket, w: WindowState, actor: str, now: datetime) -> None:
        """A 过号 visitor came back: called again, within the hall's time limit."""
        limit = self.config.rules.no_show_recall_s
        ended = ticket.finished_at
        if ended is None or (now - ended).total_seconds() > limit:
            at = ended.astimezone(self.config.timezone).strftime("%H:%M") if ended else "早些时候"
            why = f"超过 {round(limit / 60)} 分钟的重新叫号时限" if limit else "本大厅过号后不再叫回"
            raise IllegalTransition(
                f"{ticket.number} 号已于 {at} 过号，{why}，请办事人重新取号",
                action=lifecycle.CALL,
                status=ticket.status.value,
            )
        del self.ended_today[ticket.number]
        ticket.status, ticket.window, ticket.called_at, ticket.finished_at = Status.CALLED, w.number, now, None
        ticket.call_count, ticket.clerk = 1, w.clerk
        self.active[ticket.id] = ticket
        w.ticket_id = ticket.id
        self.recent_calls.append(RecentCall(now, ticket.number, ticket.service, w.number, 1))
        self._emit(EventKind.CALLED, actor, now, ticket, Status.NO_SHOW, w.number, after_no_show=True)

    # ------------------------------------------------------------ ticket actions

    def act(
        self,
        ticket_id: int,
        action: TicketAction | str,
        actor: str,
        now: datetime,
        window: int | None = None,
        service: str | None = None,
    ) -> Ticket:
        """Apply ``action`` (recall, no-show, start, finish, transfer, cancel) to a ticket.

        ``window`` is the window acting; a ticket called to another window is refused with
        ``WrongWindow``. ``None`` acts for the hall (an admin or the reception desk).
        ``service`` is the target of a transfer. An action that is no ``TicketAction`` (its
        string value is accepted too) raises ``ValueError``.
        """
        ticket = self.ticket(ticket_id)
        action = TicketAction(action)
        lifecycle.check(action, ticket.number, ticket.status)
        if window is not None and ticket.window != window:
            where = f"在 {ticket.window} 号窗口" if ticket.window else "尚未叫到任何窗口"
            raise WrongWindow(f"{ticket.number} 号{where}，{window} 号窗口不能操作", ticket=ticket.id, window=window)
        # The event names the window the ticket was at, even when the action takes it away (not
        # one the config has since removed: the event's window is one screens know).
        before, at_window = ticket.status, ticket.window if ticket.window in self.windows else None
        extra: dict = {}
        match action:
            case TicketAction.RECALL:
                kind = self._recall(ticket, now)
            case TicketAction.START:
                ticket.status, ticket.started_at = Status.SERVING, now
                kind = EventKind.STARTED
            case TicketAction.FINISH:
                kind = self._finish(ticket, now)
            case TicketAction.NO_SHOW:
                kind = self._no_show(ticket, now)
            case TicketAction.CANCEL:
                kind = self._cancel(ticket, now)
            case TicketAction.TRANSFER:
                kind, extra = self._transfer(ticket, now, service)
        self._emit(kind, actor, now, ticket, before, at_window, **extra)
        return ticket

    def _leave_window(self, ticket: Ticket, now: datetime) -> None:
        # A window the config no longer has (removed by a restart or a reload while the ticket
        # stood there) has nothing to free: the ticket still leaves it.
        w = self.windows.get(ticket.window) if ticket.window is not None else None
        if w is not None and w.ticket_id == ticket.id:
            w.ticket_id, w.free_since = None, now
            self.journal.windows[w.number] = w

    def _end(self, ticket: Ticket, status: Status, now: datetime) -> None:
        ticket.status, ticket.finished_at = status, now
        del self.active[ticket.id]
        self.ended_today[ticket.number] = ticket

    def _recall(self, ticket: Ticket, now: datetime) -> EventKind:
        limit = self.config.rules.max_recalls
        if ticket.call_count > limit:
            raise RecallLimit(f"{ticket.number} 号已重呼 {limit} 次，请按过号处理", ticket=ticket.id, max_recalls=limit)
        ticket.call_count += 1
        self.recent_calls.append(RecentCall(now, ticket.number, ticket.service, ticket.window, ticket.call_count))
        return EventKind.RECALLED

    def _finish(self, ticket: Ticket, now: datetime) -> EventKind:
        self._offer_rating(ticket)  # before it leaves the window it was served at
        self._leave_window(ticket, now)
        self._end(ticket, Status.DONE, now)
        self._learn_service_time(ticket)
        return EventKind.FINISHED

    def _no_show(self, ticket: Ticket, now: datetime) -> EventKind:
        self._leave_window(ticket, now)
        ticket.no_show_count += 1
        if ticket.no_show_count > self.config.rules.no_show_requeues:
            self._end(ticket, Status.NO_SHOW, now)
            return EventKind.NO_SHOW
        # Back to the end of its class: the late visitor waits behind those who are present.
        ticket.status, ticket.window, ticket.queued_since = Status.WAITING, None, now
        ticket.called_at, ticket.call_count = None, 0
        self.queues[ticket.service].add(ticket)
        return EventKind.REQUEUED

    def _cancel(self, ticket: Ticket, now: datetime) -> EventKind:
        if ticket.status is Status.WAITING:
            self.queues[ticket.service].remove(ticket)
        self._leave_window(ticket, now)
        self._end(ticket, Status.CANCELLED, now)
        return EventKind.CANCELLED

    def _transfer(self, ticket: Ticket, now: datetime, service: str | None) -> tuple[EventKind, dict]:
        if service is None:
            raise UnknownService("转移需要指定目标业务", service=None)
        target = self.service(service)
        if target.code == ticket.service:
            raise IllegalTransition(f"{ticket.number} 号已在{target.name}，无需转移", action=TicketAction.TRANSFER)
        if ticket.status is Status.WAITING:
            self.queues[ticket.service].remove(ticket)
        self._leave_window(ticket, now)
        from_service = ticket.service
        ticket.also_services = tuple(code for code in ticket.also_services if code != target.code)
        if ticket.original_service is None:
            ticket.original_service = from_service
        # queued_since is kept: the ticket goes ahead of everyone who came after it.
        ticket.service, ticket.status, ticket.window = target.code, Status.WAITING, None
        ticket.called_at = ticket.started_at = None
        ticket.call_count = 0
        ticket.transfer_count += 1
        self.queues[target.code].add(ticket)
        return EventKind.TRANSFERRED, {"from_service": from_service, "also_services": (from_service,)}
