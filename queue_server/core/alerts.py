"""What the hall manager should act on now: the alerts at the top of ``/admin``.

Pure: computed from the hall state and ``now``. Most urgent first: broken devices, follow-ups
past their deadline, visitors waiting past ``rules.wait_alert_s``; then windows idle while people
wait, paused windows, follow-ups due within ``DUE_SOON_DAYS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .hall import HallState
from .model import Fault, WindowStatus

DUE_SOON_DAYS = 3


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


def hall_alerts(state: HallState, now: datetime, describe_fault: Callable[[Fault], str]) -> list[Alert]:
    config, rules = state.config, state.config.rules
    today = now.astimezone(config.timezone).date()
    urgent: list[Alert] = []
    warning: list[Alert] = []
    for f in state.faults.values():
        urgent.append(Alert("device_fault", "urgent", f"设备故障：{describe_fault(f)}"))
    for f in sorted(state.followups.values(), key=lambda f: f.due):
        where = f"{f.number} 号（{f.window} 号窗口）差评跟进"
        match followup_state(f.due, today):
            case "overdue":
                urgent.append(Alert("followup_overdue", "urgent", f"{where}已超期，限 {f.due} 前办结", followup=f.id))
            case "due_soon":
                warning.append(
                    Alert("followup_due_soon", "warning", f"{where}将到期，限 {f.due} 前办结", followup=f.id)
                )
    for code, service in config.services.items():
        oldest = state.queues[code].oldest()
        if oldest is None:
            continue
        waited = (now - oldest.queued_since).total_seconds()
        if waited >= rules.wait_alert_s:
            urgent.append(
                Alert(
                    "long_wait",
                    "urgent",
                    f"{service.name}：最长已等 {_minutes(waited)}（{state.waiting_count(code)} 人等候）",
                    service=code,
                )
            )
    for number, window in config.windows.items():
        w = state.windows[number]
        label = f"{number} 号窗口（{window.name}）"
        if w.status is WindowStatus.PAUSED and w.since is not None:
            warning.append(
                Alert(
                    "window_paused",
                    "warning",
                    f"{label}暂停服务{_lasted((now - w.since).total_seconds())}",
                    window=number,
                )
            )
        elif w.status is WindowStatus.OPEN and w.ticket_id is None:
            waiting = sum(state.waiting_count(s) for s in window.services)
            idle_from = max(t for t in (w.since, w.free_since) if t is not None) if w.since else None
            if waiting and idle_from is not None and (now - idle_from).total_seconds() >= rules.idle_alert_s:
                idle = _minutes((now - idle_from).total_seconds())
                warning.append(
                    Alert("idle_window", "warning", f"{label}空闲 {idle}，其业务有 {waiting} 人等候", window=number)
                )
    return urgent + warning
