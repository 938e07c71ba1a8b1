"""The API's bodies and answers as pydantic models: the route table names them, the request
wrapper validates bodies with them, and ``openapi.py`` turns them into the document's schemas.

Answers are built as plain dicts by ``views.py`` and the handlers; the models say what those dicts
hold (``extra="forbid"``: a key the model does not name breaks the contract test, so the two
cannot drift apart unnoticed).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from queue_server.core.feedback import REASONS
from queue_server.core.model import Priority, Status, WindowStatus

# ---------------------------------------------------------------- bodies


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


ServiceCode = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")


class IssueRequest(_Body):
    """取号. Kiosks may ask for ``normal`` or ``elderly`` (特别通道) only."""

    service: str = ServiceCode
    priority: Priority = Priority.NORMAL
    request_id: str | None = Field(None, min_length=1, max_length=100)


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


class RatingBody(_Body):
    level: int = Field(ge=1, le=5)
    reasons: list[Literal[REASONS]] = Field(default_factory=list, max_length=len(REASONS))  # type: ignore[valid-type]


class CloseFollowUp(_Body):
    resolution: str = Field(min_length=2, max_length=500)


class NoticesBody(_Body):
    notices: list[str] = Field(max_length=20)


class ReceptionTicket(_Body):
    service: str = ServiceCode
    priority: Priority = Priority.NORMAL


# ---------------------------------------------------------------- answers


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    status_path: str | None = Field(description="The ticket's status page, /t/CODE.")
    status_url: str | None = Field(description="status_path on the hall's public_url.")


class ServiceInfo(_Out):
    code: str
    name: str
    prefix: str
    department: str
    department_name: str
    waiting: int
    estimated_wait_s: int
    open: bool
    hours: str
    daily_cap: int | None
    issued_today: int


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


class Services(_Out):
    hall: HallBrief
    services: list[ServiceInfo]
    departments: list[DepartmentInfo]
    tiles: list[TileInfo]


class WindowView(_Out):
    number: int
    name: str
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


class WindowQueue(_Out):
    window: int
    name: str
    status: WindowStatus
    ticket: Ticket | None
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


class OverviewWindow(_Out):
    number: int
    name: str
    status: WindowStatus
    clerk: str | None
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


class Overview(_Out):
    at: datetime
    business_day: date
    timezone: str
    windows: list[OverviewWindow]
    services: list[OverviewService]
    faults: list[FaultOut]
    followups: list[FollowUpOut]
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
