"""What the hall manager should act on now: the alerts at the top of ``/admin``.

Pure: computed from the hall state and ``now``. Most urgent first: broken devices, follow-ups
past their deadline, visitors waiting past ``rules.wait_alert_s``; then windows idle while people
wait, paused windows, follow-ups due within ``DUE_SOON_DAYS``.

Three of them are also pushed as events when they begin and end (:func:`watched_alerts`, kept by
``HallWatch`` in :mod:`.hall_watch`): a device fault, a service waiting past its target, and an
open window idle while people wait for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .model import Fault, WindowStatus

if TYPE_CHECKING:  # hall.py builds HallState from parts that use this module
    from .hall import HallState

DUE_SOON_DAYS = 3
# The alerts pushed as events (ALERT_RAISED / ALERT_CLEARED); the others are about follow-ups and
# pauses, which the manager decided or which change once a day.
WATCHED_KINDS = ("device_fault", "long_wait", "idle_window")


@dataclass(frozen=True)
class Alert:
    kind: str  # device_fault, followup_overdue, long_wait, idle_window, window_paused, followup_due_soon
    level: str  # urgent or warning
    message: str  # Chinese, for the manager
    window: int | None = None
    service: str | None = None
    followup: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Keyed = list[tuple[str, Alert]]  # (what the alert is about, e.g. "long_wait:tax", the alert)


def _minutes(seconds: float) -> str:
    m = int(seconds // 60)
    if m < 1:
        return "不到 1 分钟"  # "0 分钟" reads like a fault in the count
    return f"{m // 60} 小时 {m % 60} 分钟" if m >= 60 else f"{m} 分钟"


def _lasted(seconds: float) -> str:
    """How long a state has lasted, after a verb: 已 5 分钟, or 不到 1 分钟."""
    said = _minutes(seconds)
    return said if seconds < 60 else f"已 {said}"


def followup_state(due: date, today: date) -> str:
    """open, due_soon (within ``DUE_SOON_DAYS``) or overdue."""
    if today > due:
        return "overdue"
    return "due_soon" if due - today <= timedelta(days=DUE_SOON_DAYS) else "open"


_PARTS = {"voice": "语音播报", "scanner": "扫码器", "idcard": "身份证阅读器", "screen": "屏幕"}


def component_name(component: str) -> str:
    """A reporting part in Chinese: 打印机, 3 号窗口条屏, 叫号屏（地址 12）."""
    if component == "printer":
        return "打印机"
    if component.startswith("board-w") and component[7:].isdigit():
        return f"{component[7:]} 号窗口条屏"
    if component.startswith("board-calls-") and component[12:].isdigit():
        return f"叫号屏（地址 {component[12:]}）"
    return _PARTS.get(component, component)


def fault_words(f: Fault) -> str:
    """A fault in the core's own words (the API adds the device's kind): kiosk-1 · 打印机（缺纸）."""
    return f"{f.device} · {component_name(f.component)}（{f.message or f.state}）"


def _fault_alerts(state: HallState, describe_fault: Callable[[Fault], str]) -> Keyed:
    return [
        (f"device_fault:{f.device}/{f.component}", Alert("device_fault", "urgent", f"设备故障：{describe_fault(f)}"))
        for f in state.faults.values()
    ]


def _wait_alerts(state: HallState, now: datetime) -> Keyed:
    """A service whose longest-waiting ticket has waited ``rules.wait_alert_s`` or more."""
    out: Keyed = []
    for code, service in state.config.services.items():
        oldest = state.queues[code].oldest()
        if oldest is None:
            continue
        waited = (now - oldest.queued_since).total_seconds()
        if waited >= state.config.rules.wait_alert_s:
            message = f"{service.name}：最长已等 {_minutes(waited)}（{state.waiting_count(code)} 人等候）"
            out.append((f"long_wait:{code}", Alert("long_wait", "urgent", message, service=code)))
    return out


def _window_alerts(state: HallState, now: datetime) -> Keyed:
    """Windows paused, and open windows idle ``rules.idle_alert_s`` while their services have people waiting."""
    out: Keyed = []
    idle_alert_s = state.config.rules.idle_alert_s
    for number, window in state.config.windows.items():
        w = state.windows[number]
        label = f"{number} 号窗口（{window.name}）"
        if w.status is WindowStatus.PAUSED and w.since is not None:
            message = f"{label}暂停服务{_lasted((now - w.since).total_seconds())}"
            out.append((f"window_paused:{number}", Alert("window_paused", "warning", message, window=number)))
        elif w.status is WindowStatus.OPEN and w.ticket_id is None:
            waiting = sum(state.waiting_count(s) for s in window.services)
            idle_from = max(t for t in (w.since, w.free_since) if t is not None) if w.since else None
            if waiting and idle_from is not None and (now - idle_from).total_seconds() >= idle_alert_s:
                idle = _minutes((now - idle_from).total_seconds())
                message = f"{label}空闲 {idle}，其业务有 {waiting} 人等候"
                out.append((f"idle_window:{number}", Alert("idle_window", "warning", message, window=number)))
    return out


CALENDAR_AHEAD_DAYS = 45  # the next year's holidays are due in the calendar this long before it starts


def calendar_alert(state: HallState, today: date) -> Alert | None:
    """The hall keeps a holiday calendar, but it has nothing for the year about to start: the
    State Council's notice for it comes out in November or December and must be added."""
    calendar = state.config.calendar
    if not calendar.holidays:
        return None
    last_year = max(day.year for day in calendar.holidays)
    coming = (today + timedelta(days=CALENDAR_AHEAD_DAYS)).year
    if coming <= last_year:
        return None
    return Alert(
        "calendar_outdated",
        "warning",
        f"节假日日历只排到 {last_year} 年：请按国务院办公厅 {coming} 年节假日安排通知补充日历文件，"
        "否则节假日照常开放、调休上班日不开放",
    )


def hall_alerts(state: HallState, now: datetime, describe_fault: Callable[[Fault], str]) -> list[Alert]:
    today = now.astimezone(state.config.timezone).date()
    urgent = [a for _, a in _fault_alerts(state, describe_fault)]
    warning: list[Alert] = []
    if (outdated := calendar_alert(state, today)) is not None:
        warning.append(outdated)
    for f in sorted(state.followups.values(), key=lambda f: f.due):
        where = f"{f.number} 号（{f.window} 号窗口）差评跟进"
        match followup_state(f.due, today):
            case "overdue":
                urgent.append(Alert("followup_overdue", "urgent", f"{where}已超期，限 {f.due} 前办结", followup=f.id))
            case "due_soon":
                warning.append(
                    Alert("followup_due_soon", "warning", f"{where}将到期，限 {f.due} 前办结", followup=f.id)
                )
    urgent.extend(a for _, a in _wait_alerts(state, now))
    warning.extend(a for _, a in _window_alerts(state, now))
    return urgent + warning


def watched_alerts(
    state: HallState, now: datetime, describe_fault: Callable[[Fault], str] = fault_words
) -> dict[str, Alert]:
    """The alerts pushed as events, standing at ``now``, by what each is about (``long_wait:tax``,
    ``idle_window:3``, ``device_fault:kiosk-1/printer``): the same conditions ``/admin`` shows."""
    keyed = _fault_alerts(state, describe_fault) + _wait_alerts(state, now) + _window_alerts(state, now)
    return {key: alert for key, alert in keyed if alert.kind in WATCHED_KINDS}
