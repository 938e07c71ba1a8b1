"""The hall's vocabulary: configuration, tickets, windows and events.

Plain dataclasses and enums; nothing here reads a file, a clock or a socket.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any


class Status(enum.StrEnum):
    """Where a ticket is in its life."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"  # 过号
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # left unserved at the end of the business day

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({Status.DONE, Status.NO_SHOW, Status.CANCELLED, Status.EXPIRED})


class Priority(enum.StrEnum):
    """Priority classes, highest first in ``PRIORITY_RANK``."""

    NORMAL = "normal"
    APPOINTMENT = "appointment"  # 预约
    ELDERLY = "elderly"  # 特别通道: elderly and disabled visitors
    GREEN_CHANNEL = "green_channel"  # 重点项目绿色通道

    @property
    def rank(self) -> int:
        return PRIORITY_RANK[self]


PRIORITY_RANK = {
    Priority.NORMAL: 0,
    Priority.APPOINTMENT: 1,
    Priority.ELDERLY: 2,
    Priority.GREEN_CHANNEL: 3,
}

PRIORITY_LABELS = {
    Priority.NORMAL: "普通",
    Priority.APPOINTMENT: "预约",
    Priority.ELDERLY: "特别通道",
    Priority.GREEN_CHANNEL: "绿色通道",
}


class TicketAction(enum.StrEnum):
    """What staff do to a ticket (the last part of ``POST /api/tickets/{id}/ACTION``)."""

    RECALL = "recall"  # 重呼
    NO_SHOW = "no-show"  # 过号
    START = "start"  # 开始办理
    FINISH = "finish"  # 办结
    TRANSFER = "transfer"  # 转移
    CANCEL = "cancel"  # 取消


class EventKind(enum.StrEnum):
    """Every kind of event the hall records and pushes; the server and the clients share it."""

    ISSUED = "issued"
    CALLED = "called"
    RECALLED = "recalled"
    STARTED = "started"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    REQUEUED = "requeued"  # 过号 sent back to waiting (rules.no_show_requeues)
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"
    EXPIRED = "expired"
    WINDOW_OPENED = "window_opened"
    WINDOW_CLOSED = "window_closed"
    WINDOW_PAUSED = "window_paused"
    WINDOW_RESUMED = "window_resumed"
    DAY_STARTED = "day_started"
    DEVICE_FAULT = "device_fault"
    DEVICE_FAULT_CLEARED = "device_fault_cleared"
    RATING_REQUESTED = "rating_requested"
    RATED = "rated"
    FOLLOWUP_OPENED = "followup_opened"
    FOLLOWUP_CLOSED = "followup_closed"
    NOTICES_CHANGED = "notices_changed"
    WINDOW_SERVICES_CHANGED = "window_services_changed"  # 潮汐窗口: a window serves other services now
    CONFIG_RELOADED = "config_reloaded"  # hallqueue reload / SIGHUP: the hall config was read again
    ALERT_RAISED = "alert_raised"  # something the hall manager should act on began (staff only)
    ALERT_CLEARED = "alert_cleared"  # ... and ended
    WAIT_NOTICES_CHANGED = "wait_notices_changed"  # the lobby's 等候时间较长 notices ([rules] lobby_wait_notice)
    BOOKINGS_BLOCKED = "bookings_blocked"  # 预约: staff closed a day or a slot to bookings (staff only)
    BOOKINGS_UNBLOCKED = "bookings_unblocked"  # ... and opened it again
    PERSONAL_DATA_ERASED = "personal_data_erased"  # the keep_days rules applied: what, how many (no data)


# The events that change how a window stands for the waiting lines (open or not, which services):
# the wait estimates of its services move. A rating or an alert at a window leaves them as they were.
WINDOW_CHANGES = frozenset(
    {
        EventKind.WINDOW_OPENED,
        EventKind.WINDOW_CLOSED,
        EventKind.WINDOW_PAUSED,
        EventKind.WINDOW_RESUMED,
        EventKind.WINDOW_SERVICES_CHANGED,
    }
)


class WindowStatus(enum.StrEnum):
    CLOSED = "closed"  # nobody signed in
    OPEN = "open"
    PAUSED = "paused"  # 暂停服务


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class TimeRange:
    start: time
    end: time  # exclusive; time(23, 59, 59, 999999) stands for 24:00

    def contains(self, t: time) -> bool:
        return self.start <= t < self.end or (self.end == time.max and t == time.max)

    def __str__(self) -> str:
        end = "24:00" if self.end == time.max else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}-{end}"


WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class Calendar:
    """Public holidays and 调休 working days (the State Council's yearly notice), which override
    the weekday: a holiday is closed, a 调休 weekend day is worked with Monday's hours."""

    holidays: dict[date, str] = field(default_factory=dict)  # day -> the holiday's name
    workdays: frozenset[date] = frozenset()  # weekend days worked (调休上班)

    def weekday_of(self, day: date) -> int | None:
        """The weekday whose hours apply on ``day`` (0 = Monday), or None on a holiday."""
        if day in self.holidays:
            return None
        return 0 if day in self.workdays else day.weekday()

    def is_working_day(self, day: date) -> bool:
        weekday = self.weekday_of(day)
        return weekday is not None and weekday < 5


NO_CALENDAR = Calendar()


@dataclass(frozen=True)
class OpeningHours:
    """Opening hours per weekday (0 = Monday); a missing day is closed."""

    by_weekday: dict[int, tuple[TimeRange, ...]]

    def ranges_on(self, day: date, calendar: Calendar = NO_CALENDAR) -> tuple[TimeRange, ...]:
        weekday = calendar.weekday_of(day)
        return () if weekday is None else self.by_weekday.get(weekday, ())

    def is_open(self, local: datetime, calendar: Calendar = NO_CALENDAR) -> bool:
        t = local.time()
        return any(r.contains(t) for r in self.ranges_on(local.date(), calendar))

    def issues_at(self, local: datetime, last_ticket_s: float, calendar: Calendar = NO_CALENDAR) -> bool:
        """Open and not within ``last_ticket_s`` of the end of the current range (取号截止: the
        last tickets must be served before the window closes). A range running to 24:00 runs on
        past midnight, so it has no cut-off."""
        t = local.time()
        for r in self.ranges_on(local.date(), calendar):
            if r.contains(t):
                if r.end == time.max:
                    return True
                left = (datetime.combine(local.date(), r.end) - datetime.combine(local.date(), t)).total_seconds()
                return left > last_ticket_s
        return False

    def describe(self) -> str:
        """Chinese summary such as ``周一至周五 08:30-12:00, 14:00-17:30``."""
        groups: list[tuple[list[int], tuple[TimeRange, ...]]] = []
        for day in range(7):
            ranges = self.by_weekday.get(day)
            if not ranges:
                continue
            if groups and groups[-1][1] == ranges and groups[-1][0][-1] == day - 1:
                groups[-1][0].append(day)
            else:
                groups.append(([day], ranges))
        parts = []
        for days, ranges in groups:
            label = WEEKDAY_LABELS[days[0]]
            if len(days) > 1:
                label += "至" + WEEKDAY_LABELS[days[-1]]
            parts.append(label + " " + "、".join(str(r) for r in ranges))
        return "；".join(parts) if parts else "暂不开放"


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    short_name: str


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    prefix: str
    department: str
    hours: OpeningHours
    short_name: str = ""  # for screens with little room; the config defaults it to the name
    daily_cap: int | None = None
    avg_service_s: float = 600.0  # starting value of the service-time average
    booking: BookingPlan | None = None  # 预约: the slots it offers; None: no bookings
    real_name: str = "off"  # 身份证取号: "required", "optional" or "off" (an ID given is ignored)
    per_id_daily: int | None = None  # tickets per ID number per day (with real_name; None: no limit)


@dataclass(frozen=True)
class BookingPlan:
    """A service's 预约 slots (``booking = {…}`` in its config)."""

    slot_minutes: int = 30
    per_slot: int = 4  # places per slot
    days_ahead: int = 7  # today and this many days after it may be booked
    hours: OpeningHours | None = None  # None: the service's opening hours


@dataclass(frozen=True)
class Window:
    number: int
    name: str
    services: tuple[str, ...]  # in order of preference
    # Logins allowed to serve this window, and so to take it over from one another (force);
    # empty: any clerk may sign in while it is free, and only the hall manager frees a held one.
    clerks: tuple[str, ...] = ()
    zone: str = ""  # where in the building: 一楼A区


@dataclass(frozen=True)
class Tile:
    """A tile of the kiosk's home screen: a department or life event and its services."""

    name: str
    subtitle: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class BoardWiring:
    """An LED board of the hall: where it hangs on which serial line, and what it shows."""

    port: str  # serial:///dev/ttyUSB0?baudrate=57600 or tcp://HOST:PORT (an RS-485 line)
    address: int  # the controller's screen ID on that line
    window: int | None  # the window it names; None: a wide board with the latest calls
    width: int  # pixels
    height: int
    show_clerk: bool = False  # 亮牌: name who serves at the window while no call is shown

    @property
    def key(self) -> str:
        """How faults name the board: board-w3, or board-calls-12 for a wide board."""
        return f"board-w{self.window}" if self.window is not None else f"board-calls-{self.address}"


@dataclass(frozen=True)
class Rules:
    """The hall's queueing rules (``[rules]`` in the config)."""

    max_recalls: int = 3  # 重呼 at most this many times after the first call
    no_show_requeues: int = 0  # times a 过号 ticket goes back to waiting before it is final
    priority_streak: int = 3  # priority calls in a row before a waiting normal ticket gets its turn
    starvation_s: float = 3600.0  # a ticket waiting this long goes ahead of every class
    service_time_weight: float = 0.2  # weight of the newest service time in the running average
    no_show_recall_s: float = 1800.0  # a 过号 ticket may be called back (指定叫号) this long after
    last_ticket_s: float = 1800.0  # a service stops issuing this long before each of its ranges ends
    serve_out: bool = True  # 延时办理: tickets still waiting when a range ends are served before the windows close
    wait_alert_s: float = 1800.0  # the hall manager is alerted when someone waits longer
    idle_alert_s: float = 180.0  # ... and when an open window has been idle this long while people wait
    notify_ahead: int = 3  # 快到您了 on the visitor's phone (and by SMS) at this many or fewer ahead
    lobby_wait_notice: bool = False  # the lobby screen says 等候时间较长 for a service past wait_alert_s
    wait_target_s: float = 1200.0  # the hall's target: a visitor is called within this (statistics, simulator)
    elderly_age: int = 60  # an ID card this old or older gets the 特别通道 by itself


@dataclass(frozen=True)
class Limits:
    """What one caller may ask of the server (``[limits]`` in the config)."""

    kiosk_tickets_per_minute: int = 30  # per kiosk; 0: no limit
    login_failures: int = 5  # failed sign-ins per login, and per client address, in the window below
    login_failure_window_s: float = 900.0
    event_sockets: int = 2000  # open /api/events connections in total
    event_sockets_per_address: int = 500  # from one address (a hall's guest Wi-Fi is one NAT address)


@dataclass(frozen=True)
class WebhookConfig:
    """The hall's SMS gateway, reached by an HTTP POST per message (``[notify.webhook]``)."""

    url: str
    secret_file: str | None = None  # the HMAC key's file, relative to the data folder; or:
    secret_env: str | None = None  # the environment variable holding it (never in the config itself)
    timeout_s: float = 5.0  # per attempt
    max_attempts: int = 0  # 0: keep trying until the message's business day ends
    backoff_s: float = 2.0  # the first retry waits this long, each next one twice as long ...
    backoff_max_s: float = 300.0  # ... up to this


@dataclass(frozen=True)
class NotifyConfig:
    """SMS reminders to visitors who left a phone number (``[notify]``); off without a sink."""

    log_file: str | None = None  # one JSON line per message, relative to the data folder
    log_full_phone: bool = False  # the log file names the whole number (else 138****5678)
    webhook: WebhookConfig | None = None
    keep_phone_days: int = 0  # phone numbers are erased after the ticket's business day plus this
    signups_per_minute: int = 30  # numbers left (or withdrawn) per client address

    @property
    def enabled(self) -> bool:
        return self.log_file is not None or self.webhook is not None


@dataclass(frozen=True)
class BookingRules:
    """The hall's 预约 rules (``[booking]``); see docs/bookings.md."""

    check_in_early_s: float = 1800.0  # a check-in is taken this long before the slot starts ...
    check_in_late_s: float = 900.0  # ... until this long after it started (then: ``late``)
    late: str = "normal"  # later the same day: "normal" (a normal ticket, said plainly) or "refuse"
    no_show_limit: int = 0  # missed bookings per phone in ``no_show_days`` that block booking; 0: off
    no_show_days: int = 30
    block_days: int = 14  # ... for this many days after the last miss
    keep_days: int = 30  # name, phone and ID hash are erased this long after the slot
    remind_at: time = time(18, 0)  # the reminder of tomorrow's booking goes out from this time
    requests_per_minute: int = 30  # public booking requests per client address


@dataclass(frozen=True)
class HallConfig:
    name: str
    timezone: tzinfo
    day_start: time
    departments: dict[str, Department]
    services: dict[str, Service]  # in config order
    windows: dict[int, Window]  # in config order
    rules: Rules = field(default_factory=Rules)
    notices: tuple[str, ...] = ()
    complaint_phone: str = ""
    session_hours: float = 12.0
    tiles: tuple[Tile, ...] = ()
    public_url: str | None = None  # how visitors' phones reach the server (ticket QR codes)
    guides_file: str | None = None  # as written in the config: relative to the config file
    boards: tuple[BoardWiring, ...] = ()
    reception_printer: str | None = None  # printer URI of the reception desk (咨询台)
    session_idle_s: float = 1800.0  # a staff session ends after this long without a request; 0: never
    limits: Limits = field(default_factory=Limits)
    calendar: Calendar = NO_CALENDAR  # public holidays and 调休 working days
    calendar_file: str | None = None  # as written in the config: relative to the config file
    notify: NotifyConfig = field(default_factory=NotifyConfig)  # SMS reminders (runtime/notifier.py)
    booking: BookingRules = field(default_factory=BookingRules)  # 预约 (runtime/bookings.py)
    privacy_keep_days: int = 30  # ID hashes of tickets are erased this many days after their day


# ---------------------------------------------------------------- state


@dataclass
class Ticket:
    """A numbered ticket (号票). Mutable: the hall state updates it in place."""

    id: int
    business_day: date
    number: str
    prefix: str
    seq: int
    service: str
    priority: Priority
    status: Status
    issued_at: datetime
    queued_since: datetime  # ordering key in the queue; kept on transfer
    issued_by: str
    request_id: str | None = None
    waiting_ahead: int = 0  # at issue
    estimated_wait_s: int = 0  # at issue
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    window: int | None = None
    call_count: int = 0
    no_show_count: int = 0
    transfer_count: int = 0
    original_service: str | None = None
    public_code: str | None = None  # the ticket's status-page link (/t/CODE), unguessable
    # Several services in one visit: served with ``service`` in the same sitting (one window
    # serves them all), or, when no window does, each on a ticket of its own linked by ``group_id``
    # (the id of the visit's first ticket).
    also_services: tuple[str, ...] = ()
    group_id: int | None = None
    clerk: str | None = None  # who called it (the window's clerk): the clerk a later 好差评 is about
    # Each time field's last ISO text with the datetime it was written from: every event carries
    # the ticket, and formatting an aware datetime is most of the cost of ``as_dict``.
    _iso: dict[str, tuple[datetime, str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_iso": {}}  # a pickled ticket (history's second process) travels light

    @property
    def services(self) -> tuple[str, ...]:
        """Every service this ticket is for, its own first."""
        return (self.service, *self.also_services)

    def as_dict(self) -> dict[str, Any]:
        written = self._iso

        def iso(name: str, value: datetime | None) -> str | None:
            if value is None:
                return None
            last = written.get(name)
            if last is None or last[0] is not value:
                last = written[name] = (value, value.isoformat())
            return last[1]

        return {
            "id": self.id,
            "business_day": self.business_day.isoformat(),
            "number": self.number,
            "prefix": self.prefix,
            "seq": self.seq,
            "service": self.service,
            "priority": self.priority.value,
            "status": self.status.value,
            "issued_at": iso("issued_at", self.issued_at),
            "queued_since": iso("queued_since", self.queued_since),
            "issued_by": self.issued_by,
            "request_id": self.request_id,
            "waiting_ahead": self.waiting_ahead,
            "estimated_wait_s": self.estimated_wait_s,
            "called_at": iso("called_at", self.called_at),
            "started_at": iso("started_at", self.started_at),
            "finished_at": iso("finished_at", self.finished_at),
            "window": self.window,
            "call_count": self.call_count,
            "no_show_count": self.no_show_count,
            "transfer_count": self.transfer_count,
            "original_service": self.original_service,
            "public_code": self.public_code,
            "also_services": list(self.also_services),
            "group_id": self.group_id,
            "clerk": self.clerk,
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Ticket:
        def dt(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            id=row["id"],
            business_day=date.fromisoformat(row["business_day"]),
            number=row["number"],
            prefix=row["prefix"],
            seq=row["seq"],
            service=row["service"],
            priority=Priority(row["priority"]),
            status=Status(row["status"]),
            issued_at=datetime.fromisoformat(row["issued_at"]),
            queued_since=datetime.fromisoformat(row["queued_since"]),
            issued_by=row["issued_by"],
            request_id=row["request_id"],
            waiting_ahead=row["waiting_ahead"],
            estimated_wait_s=row["estimated_wait_s"],
            called_at=dt(row["called_at"]),
            started_at=dt(row["started_at"]),
            finished_at=dt(row["finished_at"]),
            window=row["window"],
            call_count=row["call_count"],
            no_show_count=row["no_show_count"],
            transfer_count=row["transfer_count"],
            original_service=row["original_service"],
            public_code=row.get("public_code"),
            also_services=tuple(_json_list(row.get("also_services"))),
            group_id=row.get("group_id"),
            clerk=row.get("clerk"),
        )


def _json_list(value: Any) -> list[Any]:
    """A list as events carry it, or as the store keeps it (JSON text); None: empty."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else list(value)


@dataclass
class WindowState:
    number: int
    status: WindowStatus = WindowStatus.CLOSED
    ticket_id: int | None = None  # the ticket called to or served at this window
    clerk: str | None = None
    since: datetime | None = None  # when the status last changed
    priority_streak: int = 0  # priority tickets called in a row (anti-starvation)
    rating_ticket: int | None = None  # the ticket its evaluator tablet may rate now (好差评)
    # When its last ticket left (not stored: after a restart ``since`` stands in). For the
    # manager's "open but idle while people wait" alert.
    free_since: datetime | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rating_ticket": self.rating_ticket,
            "number": self.number,
            "status": self.status.value,
            "ticket_id": self.ticket_id,
            "clerk": self.clerk,
            "since": self.since.isoformat() if self.since else None,
            "priority_streak": self.priority_streak,
        }


@dataclass
class Fault:
    """A device problem a kiosk or display PC reported (打印机缺纸, 屏幕无应答 ...)."""

    device: str
    component: str  # e.g. "printer", "board-3"
    state: str  # e.g. "paper_out", "silent"
    message: str
    since: datetime
    cleared_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "component": self.component,
            "state": self.state,
            "message": self.message,
            "since": self.since.isoformat(),
            "cleared_at": self.cleared_at.isoformat() if self.cleared_at else None,
        }


@dataclass(frozen=True)
class Event:
    """One committed change, as stored in the append-only event log and pushed to screens.

    ``seq`` orders every event of the hall; ``ticket`` is the ticket as it stands after
    the change, so folding a day's events reproduces its tickets (replay).
    """

    seq: int
    at: datetime
    kind: EventKind  # a StrEnum: stored and sent as its string
    actor: str
    ticket: dict[str, Any] | None = None  # Ticket.as_dict() after the change
    from_status: str | None = None
    to_status: str | None = None
    window: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
