"""The API's bodies and answers as pydantic models: the route table names them, the request
wrapper validates bodies with them, and ``openapi.py`` turns them into the document's schemas.

Answers are built as plain dicts by ``views.py`` and the handlers; the models say what those dicts
hold (``extra="forbid"``: a key the model does not name breaks the contract test, so the two
cannot drift apart unnoticed).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from queue_server.core.feedback import COMMENT_MAX_CHARS, REASONS
from queue_server.core.model import Priority, Status, WindowStatus

# ---------------------------------------------------------------- bodies


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


SERVICE_CODE = r"^[a-z0-9][a-z0-9_-]*$"
ServiceCode = Field(min_length=1, max_length=40, pattern=SERVICE_CODE)


class IssueRequest(_Body):
    """取号 for one service (``service``) or several in one visit (``services``: one number when a
    window serves them all, else linked tickets). Kiosks may ask for ``normal`` or ``elderly``
    (特别通道) only."""

    service: str | None = Field(None, min_length=1, max_length=40, pattern=SERVICE_CODE)
    services: list[Annotated[str, ServiceCode]] | None = Field(None, min_length=1, max_length=5)
    priority: Priority = Priority.NORMAL
    request_id: str | None = Field(None, min_length=1, max_length=100)
    id_number: str | None = Field(
        None,
        max_length=24,
        description="身份证取号: the 18-character ID number (read from the card, or typed). Checked "
        "(GB 11643), kept only as a keyed hash; required by services with real_name = required.",
    )


class TransferRequest(_Body):
    service: str = ServiceCode


class LoginRequest(_Body):
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    window: int | None = Field(None, ge=1, le=9999)
    force: bool = False  # take over a window another clerk holds (only where the hall's rules allow)


class FaultReport(_Body):
    component: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    state: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")  # "ok" clears it
    message: str = Field("", max_length=200)


class CallNumber(_Body):
    number: str = Field(pattern=r"^[A-Z]{1,2}\d{3,5}$")


# A mainland mobile number (11 digits) or a landline with its area code (0728-1234567).
PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"


class RatingBody(_Body):
    """好差评. A low rating (1 or 2) names at least one reason, and may leave a comment and a
    number for the call-back; the number is kept only with the follow-up."""

    level: int = Field(ge=1, le=5)
    reasons: list[Literal[REASONS]] = Field(default_factory=list, max_length=len(REASONS))  # type: ignore[valid-type]
    comment: str = Field("", max_length=COMMENT_MAX_CHARS)
    phone: str | None = Field(None, pattern=PHONE_PATTERN)


class SmsSignup(_Body):
    """短信提醒: the mobile number the ticket's reminders go to, as the visitor typed it (spaces,
    dashes and +86 are fine); the server checks it is a mainland mobile (``invalid_phone``)."""

    phone: str = Field(min_length=1, max_length=24, examples=["13812345678"])


class WindowServicesBody(_Body):
    """潮汐窗口: the services the window serves from the next call on, in order of preference."""

    services: list[Annotated[str, ServiceCode]] = Field(min_length=1, max_length=100)


class CloseFollowUp(_Body):
    resolution: str = Field(min_length=2, max_length=500)


class NoticesBody(_Body):
    notices: list[str] = Field(max_length=20)


class ReceptionTicket(_Body):
    service: str = ServiceCode
    priority: Priority = Priority.NORMAL
    id_number: str | None = Field(None, max_length=24, description="As for 取号 (the desk types it).")


# ---------------------------------------------------------------- answers


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceRef(_Out):
    code: str
    name: str


class LinkedTicket(_Out):
    id: int
    number: str
    service: str
    service_name: str
    status: Status
    waiting_ahead: int
    estimated_wait_s: int
    where: str


class Ticket(_Out):
    id: int
    number: str = Field(examples=["A001"])
    service: str
    service_name: str
    department: str | None
    department_name: str | None
    priority: Priority
    priority_label: str
    status: Status
    status_label: str
    window: int | None
    window_name: str | None
    business_day: date
    issued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    call_count: int
    transfer_count: int
    original_service: str | None
    waiting_ahead: int = Field(ge=0, description="Live for a waiting ticket.")
    estimated_wait_s: int = Field(ge=0)
    where: str = Field(description="The windows serving its service and where they are: 4、5 号窗口（一楼B区）.")
    services: list[ServiceRef] = Field(description="Every service this number is for, its own first.")
    group_id: int | None = Field(description="A visit's linked tickets share the id of its first.")
    linked: list[LinkedTicket] = Field(description="The visit's other tickets still in play, in the order to go.")
    status_path: str | None = Field(description="The ticket's status page, /t/CODE.")
    status_url: str | None = Field(description="status_path on the hall's public_url.")


class ServiceInfo(_Out):
    code: str
    name: str
    short_name: str = Field(description="For screens with little room (lobby TV, LED boards).")
    initials: str = Field(description="Pinyin initials of the name, for search (水费缴纳: sfjn).")
    prefix: str
    department: str
    department_name: str
    waiting: int
    estimated_wait_s: int
    open: bool
    hours: str
    daily_cap: int | None
    issued_today: int
    real_name: Literal["required", "optional", "off"] = Field(description="身份证取号: required, optional or off.")
    per_id_daily: int | None = Field(description="Tickets per ID number per day (with real_name); null: no limit.")


class DepartmentInfo(_Out):
    code: str
    name: str
    short_name: str


class TileInfo(_Out):
    name: str
    subtitle: str
    services: list[str]


class HallBrief(_Out):
    name: str
    complaint_phone: str
    bookings: bool = Field(description="Some service takes 预约: the kiosk offers 预约取号.")
    elderly_age: int = Field(description="An ID card this old or older gets the 特别通道 by itself.")


class Services(_Out):
    hall: HallBrief
    services: list[ServiceInfo]
    departments: list[DepartmentInfo]
    tiles: list[TileInfo]


class WindowView(_Out):
    number: int
    name: str
    zone: str
    status: WindowStatus
    services: list[str]
    ticket: str | None
    ticket_status: Status | None
    since: datetime | None


class CallView(_Out):
    at: datetime
    number: str
    service: str
    window: int
    window_name: str | None
    call_count: int


class HallInfo(_Out):
    name: str
    complaint_phone: str
    timezone: str


class State(_Out):
    """What every screen may show: nothing in it names a person."""

    seq: int
    at: datetime
    business_day: date
    hall: HallInfo
    notices: list[str]
    # 等候时间较长 lines for services past their wait target, when [rules] lobby_wait_notice is on
    wait_notices: list[str]
    services: list[ServiceInfo]
    windows: list[WindowView]
    recent_calls: list[CallView]


class Health(_Out):
    status: Literal["ok"]
    seq: int
    business_day: date
    commits: int


class LoginResult(_Out):
    token: str
    role: str
    login: str
    name: str = Field(description="The name staff pages show: the real name, else the login.")
    window: int | None
    expires_at: datetime


class WindowChange(_Out):
    number: int
    status: WindowStatus
    since: datetime | None


class QueuedService(_Out):
    code: str
    name: str
    waiting: int
    next: list[str]


class ServiceName(_Out):
    code: str
    name: str
    department: str
    department_name: str
    initials: str


class WindowServices(_Out):
    number: int
    name: str
    services: list[ServiceRef]
    changed: bool = Field(description="False when the window served exactly these already.")


class WindowQueue(_Out):
    window: int
    name: str
    status: WindowStatus
    since: datetime | None = Field(description="When the status last changed (paused since ...).")
    clerk_name: str | None
    staff_no: str | None
    no_show_recall_minutes: float = Field(
        description="How long after its 过号 a ticket may be called back with 指定叫号; 0: never."
    )
    ticket: Ticket | None
    age_band: str | None = Field(
        description="身份证取号: the age band of the ticket in hand (60-69岁), never the number or birth date."
    )
    services: list[QueuedService]
    all_services: list[ServiceName]


class RatingRequested(_Out):
    window: int
    ticket_id: int


class PendingRating(_Out):
    ticket_id: int
    number: str
    service_name: str


class RatingOut(_Out):
    ticket_id: int
    number: str
    service: str
    window: int
    clerk: str | None
    level: int
    level_label: str
    reasons: list[str]
    at: datetime
    business_day: date
    rated_by: str
    comment: str


class ServingWindow(_Out):
    window: int
    number: str | None = Field(description="The number the window has in hand now, if any.")
    text: str = Field(description="What the phone shows for it: the number, 空闲, 暂停服务 or 未开放.")


class PhoneLinked(_Out):
    number: str
    service_name: str
    text: str


class PhoneView(_Out):
    """A ticket as the visitor's phone shows it (/t/CODE): no name, no priority class."""

    seq: int | None = Field(None, description="The hall's last event when the view was taken (absent in pushes).")
    number: str
    service: str
    service_name: str
    services: list[ServiceRef]
    status: Status
    status_label: str
    waiting_ahead: int = Field(ge=0)
    estimated_wait_s: int = Field(ge=0)
    notify_ahead: int = Field(ge=0, description="[rules] notify_ahead: 快到您了 at this many or fewer ahead.")
    soon: bool = Field(description="Waiting with notify_ahead or fewer ahead.")
    window: int | None = Field(description="The window it is called to or served at.")
    zone: str
    call_count: int
    headline: str = Field(description="The one status line, in Chinese.")
    detail: str
    advice: str = Field(description="What to do next.")
    serving: list[ServingWindow] = Field(description="While waiting: the number each of its windows serves now.")
    linked: list[PhoneLinked]
    can_rate: bool = Field(description="扫码评价 is open: finished today, not rated yet.")
    rated: bool
    guide_path: str


class PhoneRatingOut(_Out):
    number: str
    level: int
    level_label: str
    followup: bool = Field(description="A low rating opened a follow-up (回访).")


class FollowUpOut(_Out):
    id: int
    ticket_id: int
    number: str
    window: int
    clerk: str | None
    level: int
    level_label: str
    reasons: list[str]
    opened_at: datetime
    due: date
    closed_at: datetime | None
    resolution: str
    closed_by: str | None
    comment: str
    phone_masked: str | None = Field(description="The call-back number, masked: 138****5678.")


class ListedFollowUp(FollowUpOut):
    clerk_name: str | None
    state: Literal["open", "due_soon", "overdue"]


class FollowUpPhone(_Out):
    id: int
    phone: str


class SmsSignedUp(_Out):
    phone: str = Field(description="The number left, masked: 138****5678.", examples=["138****5678"])
    notify_ahead: int = Field(description="快到您了 is sent when this many or fewer are ahead.")


class NotifySink(_Out):
    name: Literal["log", "webhook"]
    label: str = Field(description="日志文件 or 短信网关.")
    target: str = Field(description="The log file, or the gateway's URL without user, query or fragment.")
    queued: int
    delivered_today: int
    failed_today: int = Field(description="Messages of today given up (refused, or out of attempts).")
    failed_attempts_today: int
    oldest_queued_s: int | None = Field(description="How long the oldest queued message has waited.")
    last_error: str | None
    last_error_at: datetime | None
    failures_in_a_row: int
    retry_in_s: float | None = Field(description="While backing off after a failure: the next attempt.")
    stuck: bool = Field(description="Messages wait too long, or attempts keep failing.")


class NotifierStatus(_Out):
    enabled: bool
    business_day: date
    notify_ahead: int
    keep_phone_days: int
    phones_today: int = Field(description="Today's tickets with a number left now.")
    sinks: list[NotifySink]


class StaffCard(_Out):
    """亮牌: who serves at a window now (nobody: the window is closed)."""

    window: int
    window_name: str
    open: bool
    name: str | None
    staff_no: str | None
    photo: bool = Field(description="GET .../staff/photo gives it (image/jpeg).")


class Notices(_Out):
    notices: list[str]


class LevelOption(_Out):
    level: int
    label: str


class RatingOptions(_Out):
    levels: list[LevelOption]
    reasons: list[str]


class FaultResult(_Out):
    device: str
    component: str
    state: str
    changed: bool


class FaultOut(_Out):
    device: str
    component: str
    state: str
    message: str
    since: datetime
    cleared_at: datetime | None
    what: str = Field(description="The device and its part in Chinese: 取号机 kiosk-1 · 打印机.")
    state_label: str = Field(description="The state in Chinese: 缺纸.")


class OverviewWindow(_Out):
    number: int
    name: str
    services: list[str] = Field(description="What it serves now, in order of preference (潮汐窗口).")
    status: WindowStatus
    clerk: str | None
    clerk_name: str | None
    staff_no: str | None
    ticket: str | None
    ticket_status: Status | None
    since: datetime | None


class OverviewService(_Out):
    code: str
    name: str
    waiting: int
    longest_wait_s: int


class _FigureRow(_Out):
    name: str
    issued: int
    served: int
    no_show: int
    avg_wait_s: int | None
    max_wait_s: int | None
    avg_service_s: int | None
    ratings: int
    avg_rating: float | None
    low_ratings: int


class ServiceFigures(_FigureRow):
    service: str


class WindowFigures(_FigureRow):
    window: int


class TodayFigures(_Out):
    services: list[ServiceFigures]
    windows: list[WindowFigures]


class Alert(_Out):
    """Something the hall manager should act on, most urgent first."""

    kind: Literal["device_fault", "followup_overdue", "followup_due_soon", "window_paused", "long_wait", "idle_window"]
    level: Literal["urgent", "warning"]
    message: str
    window: int | None = None
    service: str | None = None
    followup: int | None = None


class Overview(_Out):
    at: datetime
    business_day: date
    timezone: str
    alerts: list[Alert]
    windows: list[OverviewWindow]
    services: list[OverviewService]
    faults: list[FaultOut]
    followups: list[ListedFollowUp]
    notices: list[str]
    today: TodayFigures


class PrintResult(_Out):
    printed: bool
    state: str
    label: str


class ReceptionResult(_Out):
    ticket: Ticket
    print: PrintResult


class PrinterState(_Out):
    configured: bool
    state: str
    label: str
    ready: bool | None = None


class Fee(_Out):
    name: str
    standard: str
    basis: str


class GuideShort(_Out):
    code: str
    name: str
    kind: Literal["即办件", "承诺件"]
    service: str
    service_name: str
    department: str | None
    department_name: str | None
    initials: str
    keywords: list[str]


class GuideList(_Out):
    items: list[GuideShort]


class Guide(GuideShort):
    legal_basis: list[str]
    conditions: list[str]
    materials: list[str]
    procedure: list[str]
    statutory_limit: str
    promised_limit: str
    fees: list[Fee]
    complaint_phone: str
    where: str = Field(description="The windows serving it and where they are.")
    page_path: str = Field(description="The item's public page, /guides/CODE.")
    page_url: str | None = Field(description="page_path on the hall's public_url.")


# ---------------------------------------------------------------- 统计分析 (GET /api/reports)


class ReportPeriod(_Out):
    from_: date = Field(alias="from", description="The first day asked for.")
    to: date = Field(description="The last day asked for (the data may end earlier: see data_to).")
    days_with_data: int = Field(description="Days of the period with tickets (matching the filters).")
    data_from: date = Field(description="The first business day the hall has tickets for.")
    data_to: date
    by: Literal["service", "department", "window", "clerk", "hour", "weekday", "day"]
    filters: dict[str, str | int] = Field(description="department, service, window, priority, as given.")
    wait_target_s: int = Field(description="[rules] wait_target_minutes, in seconds.")


class ReportRow(_Out):
    key: str | int | None = Field(
        description="The group: a service or department code, a window number, a "
        "login, an hour 0-23, a weekday 1-7 (Monday 1), a date; null for tickets "
        "that reached no window or clerk, and for the total."
    )
    label: str = Field(description="The group in Chinese, as the page and the files show it.")
    issued: int
    served: int
    no_show: int
    cancelled: int
    expired: int = Field(description="Still waiting when the day ended.")
    transferred_in: int
    transferred_out: int
    wait_mean_s: float | None = Field(description="From taking the ticket to the first call.")
    wait_median_s: float | None
    wait_p90_s: int | None = Field(description="Nearest rank: a wait some visitor really had.")
    wait_max_s: int | None
    within_target_share: float | None = Field(description="Called within wait_target_s, over all called.")
    service_mean_s: float | None = Field(description="From the last call to 办结, served tickets.")
    service_p90_s: int | None
    ratings: int
    ratings_5: int = Field(description="非常满意")
    ratings_4: int = Field(description="满意")
    ratings_3: int = Field(description="基本满意")
    ratings_2: int = Field(description="不满意")
    ratings_1: int = Field(description="非常不满意")
    satisfaction_rate: float | None = Field(description="满意率: 满意 or 非常满意 over all ratings.")
    rating_coverage: float | None = Field(description="Ratings over tickets served.")
    low_ratings: int
    followups_on_time: int = Field(description="Low ratings whose follow-up closed by its due day.")
    followups_late: int
    followups_open: int


class ReportArrivals(_Out):
    weekday: int = Field(ge=1, le=7)
    hour: int = Field(ge=0, le=23)
    issued: int


class ReportBookingRow(_Out):
    service: str | None = Field(description="null in the total.")
    label: str
    booked: int = Field(description="Bookings of slots in the period, less the cancelled ones.")
    checked_in: int
    on_time: int = Field(description="Checked in within the window: an appointment ticket.")
    missed: int
    cancelled: int


class ReportBookings(_Out):
    rows: list[ReportBookingRow]
    total: ReportBookingRow


class Report(_Out):
    period: ReportPeriod
    rows: list[ReportRow]
    total: ReportRow
    arrivals: list[ReportArrivals] | None = Field(
        description="With arrivals=1: tickets issued per weekday and hour (the heatmap); else null."
    )
    bookings: ReportBookings = Field(description="预约 per service (department and service filters apply).")


# ---------------------------------------------------------------- 预约


class BookingRequest(_Body):
    """预约: a slot of a service, for a visitor. The phone is a mainland mobile (``invalid_phone``);
    the ID number, if given, a GB 11643 居民身份证号码 (``invalid_id_number``), kept only as a keyed hash."""

    service: str = ServiceCode
    slot_start: str = Field(min_length=10, max_length=40, examples=["2026-12-04T08:30:00+08:00"])
    name: str = Field(min_length=1, max_length=30, examples=["张三"])
    phone: str = Field(min_length=1, max_length=24, examples=["13812345678"])
    id_number: str | None = Field(None, max_length=24)


class BookingPhoneBody(_Body):
    """The booking's phone number: what proves the code is the caller's."""

    phone: str = Field(min_length=1, max_length=24)


class CheckInRequest(_Body):
    """签到取号. ``request_id``: a kiosk retrying after a lost answer gets the same ticket."""

    request_id: str | None = Field(None, min_length=1, max_length=100)


class CheckInByIdRequest(_Body):
    """签到取号 with the ID card the booking was made with (the number as the reader gives it)."""

    id_number: str = Field(min_length=1, max_length=24)
    request_id: str | None = Field(None, min_length=1, max_length=100)


class BookingBlockRequest(_Body):
    """停约: a whole day (no ``slot_start``) or one slot, of one service or (no ``service``) all."""

    date: date
    service: str | None = Field(None, min_length=1, max_length=40, pattern=SERVICE_CODE)
    slot_start: str | None = Field(None, min_length=10, max_length=40)
    reason: str = Field(min_length=1, max_length=60, examples=["闭馆", "业务培训"])


class BookingDay(_Out):
    date: str
    label: str = Field(examples=["12月4日 周五"])
    open: bool = Field(description="The service has slots that day.")
    over: bool = Field(description="Every slot of the day has begun (today, late).")
    free: int = Field(description="Places still free in the day's bookable slots.")


class BookingService(_Out):
    code: str
    name: str
    department: str
    hours: str
    slot_minutes: int
    per_slot: int
    days_ahead: int
    days: list[BookingDay]


class BookingServices(_Out):
    services: list[BookingService]
    today: str
    check_in_early_minutes: int
    check_in_late_minutes: int
    keep_days: int = Field(description="Personal data is erased this many days after the slot.")
    sms: bool = Field(description="The hall sends SMS (a confirmation and a reminder the day before).")


class BookingSlot(_Out):
    start: str = Field(examples=["2026-12-04T08:30:00+08:00"])
    end: str
    label: str = Field(examples=["08:30-09:00"])
    capacity: int
    free: int
    blocked: bool
    past: bool
    bookable: bool


class BookingSlots(_Out):
    service: str
    service_name: str
    date: str
    label: str
    in_range: bool = Field(description="The day is within today and the service's days_ahead.")
    slots: list[BookingSlot]


class Booking(_Out):
    code: str = Field(examples=["K7M2XQ9P"])
    service: str
    service_name: str
    slot_start: str
    slot_end: str
    when: str = Field(examples=["12月4日 周五 08:30-09:00"])
    status: Literal["booked", "checked_in", "cancelled", "missed"]
    status_label: str
    name: str = Field(description="Whole for the visitor, masked (张*) in staff lists; empty once erased.")
    phone: str = Field(description="Whole for the visitor, masked (138****5678) in staff lists.")
    check_in_from: str
    check_in_until: str
    ticket_number: str | None
    on_time: bool | None
    qr_url: str
    created_at: str


class StaffBooking(Booking):
    id: int
    overdue: bool = Field(description="Not checked in, and past its check-in window.")


class CheckInResult(_Out):
    ticket: Ticket
    booking: StaffBooking
    on_time: bool = Field(description="Within the check-in window: an appointment-priority ticket.")
    message: str
    print: PrintResult | None = Field(None, description="At the reception desk: the slip printed there.")


class BookingSlotFigures(_Out):
    service: str
    service_name: str
    start: str
    end: str
    label: str
    past: bool = Field(description="The slot has begun.")
    capacity: int
    booked: int
    checked_in: int
    missed: int
    cancelled: int
    blocked: bool


class BookingBlock(_Out):
    id: int
    date: str
    service: str | None
    service_name: str
    slot_start: str | None
    label: str
    reason: str
    created_by: str
    created_at: str


class BookingTotals(_Out):
    capacity: int
    booked: int
    checked_in: int
    missed: int
    cancelled: int


class AdminBookings(_Out):
    date: str
    label: str
    slots: list[BookingSlotFigures]
    bookings: list[StaffBooking]
    blocks: list[BookingBlock]
    totals: BookingTotals


class BookingPhone(_Out):
    id: int
    phone: str
    name: str


class BookingBlocked(_Out):
    block: BookingBlock
    to_contact: list[StaffBooking] = Field(description="The bookings on the blocked day or slot: call them.")
