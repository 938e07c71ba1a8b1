"""What the visitor's phone shows for a ticket (/t/CODE): one status line, what to do next, and
what its windows are serving now.

The texts are written here, once: the page the server renders, the JSON its script fetches and
the pushes it receives all carry them, so a phone without JavaScript and one with it say the same.
Nothing here names a person or the ticket's priority class.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from queue_server.core.hall import HallState
from queue_server.core.lifecycle import STATUS_LABELS
from queue_server.core.model import Status, Ticket, WindowStatus
from queue_server.core.places import where_to_go


def wait_text(seconds: int) -> str:
    minutes = round(seconds / 60)
    return f"约 {minutes} 分钟" if minutes >= 1 else "不到 1 分钟"


def _window_words(state: HallState, number: int | None) -> tuple[str, str]:
    """("3 号窗口", "户政1 · 一楼A区") for a window; the second part may be empty."""
    if number is None:
        return "窗口", ""
    w = state.config.windows.get(number)
    if w is None:
        return f"{number} 号窗口", ""
    return f"{number} 号窗口", " · ".join(part for part in (w.name, w.zone) if part)


def _serving(state: HallState, ticket: Ticket) -> list[dict[str, Any]]:
    """The windows that serve the ticket's service, each with the number it has in hand now."""
    out = []
    for number, w in sorted(state.config.windows.items()):
        if ticket.service not in w.services:
            continue
        live = state.windows[number]
        held = state.active.get(live.ticket_id) if live.ticket_id is not None else None
        if live.status is WindowStatus.OPEN:
            state_text = held.number if held else "空闲"
        else:
            state_text = "暂停服务" if live.status is WindowStatus.PAUSED else "未开放"
        out.append({"window": number, "number": held.number if held else None, "text": state_text})
    return out


def _linked(state: HallState, ticket: Ticket) -> list[dict[str, Any]]:
    """The visit's other tickets still in play (several services, no window serving them all)."""
    if ticket.group_id is None:
        return []
    out = []
    for t in sorted(state.active.values(), key=lambda t: t.id):
        if t.group_id != ticket.group_id or t.id == ticket.id:
            continue
        service = state.config.services.get(t.service)
        if t.status is Status.WAITING:
            ahead = state.ahead_of(t)
            text = f"前面还有 {ahead} 人" if ahead else "下一位就是您"
        else:
            text = f"请到 {t.window} 号窗口办理" if t.status is Status.CALLED else STATUS_LABELS[t.status]
        out.append({"number": t.number, "service_name": service.name if service else t.service, "text": text})
    return out


def _lines(state: HallState, ticket: Ticket, ahead: int, wait_s: int, now: datetime) -> dict[str, str]:
    """headline (the one status line), detail (where, in short) and advice (what to do next)."""
    rules, status = state.config.rules, ticket.status
    if status is Status.WAITING:
        where = where_to_go(state.config, *ticket.services)
        detail = f"办理窗口：{where}" if where else ""
        if ticket.transfer_count:
            service = state.config.services.get(ticket.service)
            detail = f"已为您转到“{service.name if service else ticket.service}”，原排队时间保留。{detail}"
        if ahead == 0:
            return {"headline": "下一位就是您，请留意叫号", "detail": detail, "advice": "请到办理窗口附近等候"}
        if ahead <= rules.notify_ahead:
            return {
                "headline": f"快到您了：前面还有 {ahead} 人",
                "detail": detail,
                "advice": "请回到大厅，留意叫号屏和广播",
            }
        return {
            "headline": f"前面还有 {ahead} 人，预计等候{wait_text(wait_s)}",
            "detail": detail,
            "advice": f"可以先坐下休息；前面剩 {rules.notify_ahead} 人时本页会提醒您",
        }
    window, place = _window_words(state, ticket.window)
    if status is Status.CALLED:
        again = ticket.call_count > 1
        return {
            "headline": f"{'再次呼叫：' if again else ''}请到 {window}办理",
            "detail": place,
            "advice": "请马上前往，带好身份证件和材料" if not again else "请马上前往，多次呼叫未到将按过号处理",
        }
    if status is Status.SERVING:
        return {"headline": f"正在 {window}办理", "detail": place, "advice": ""}
    if status is Status.DONE:
        return {"headline": "已办结，谢谢您的耐心", "detail": "", "advice": ""}
    if status is Status.NO_SHOW:
        limit = rules.no_show_recall_s
        if limit and ticket.finished_at and now - ticket.finished_at < timedelta(seconds=limit):
            until = (ticket.finished_at + timedelta(seconds=limit)).astimezone(state.config.timezone)
            advice = f"请在 {until:%H:%M} 前到 {window}或咨询台说明，工作人员可为您重新叫号；超过时间请重新取号"
        else:
            advice = "如仍需办理，请重新取号"
        return {"headline": "已过号", "detail": "", "advice": advice}
    if status is Status.CANCELLED:
        return {"headline": "号票已取消", "detail": "", "advice": "如仍需办理，请重新取号"}
    return {"headline": "号票已失效", "detail": "", "advice": "号票当天有效；如仍需办理，请重新取号"}


def phone_view(state: HallState, ticket: Ticket, now: datetime) -> dict[str, Any]:
    """The ticket as the visitor's phone shows it. ``seq`` is the hall's last event when it was
    taken, so a page can drop a push older than what it already shows."""
    config = state.config
    ahead = state.ahead_of(ticket)
    waiting = ticket.status is Status.WAITING
    wait_s = state.estimate_s(ticket.service, ahead) if waiting else 0
    service = config.services.get(ticket.service)
    zone = config.windows[ticket.window].zone if ticket.window in config.windows else ""
    return {
        "seq": state.last_event_seq,
        "number": ticket.number,
        "service": ticket.service,
        "service_name": service.name if service else ticket.service,
        "services": [
            {"code": code, "name": config.services[code].name if code in config.services else code}
            for code in ticket.services
        ],
        "status": ticket.status.value,
        "status_label": STATUS_LABELS[ticket.status],
        "waiting_ahead": ahead,
        "estimated_wait_s": wait_s,
        "notify_ahead": config.rules.notify_ahead,
        "soon": waiting and ahead <= config.rules.notify_ahead,
        "window": ticket.window if not waiting else None,
        "zone": zone if not waiting else "",
        "call_count": ticket.call_count,
        **_lines(state, ticket, ahead, wait_s, now),
        "serving": _serving(state, ticket) if waiting else [],
        "linked": _linked(state, ticket),
        "can_rate": state.can_rate_by_phone(ticket),
        "rated": ticket.id in state.rated,
        "guide_path": f"/guides?q={quote(service.name if service else ticket.service)}",
    }


def stored_phone_view(state: HallState, view: dict[str, Any]) -> dict[str, Any]:
    """A ticket of another day (from the database, as ``stored_ticket_view`` gives it)."""
    status = Status(view["status"])
    headline = "已办结" if status is Status.DONE else STATUS_LABELS[status]
    return {
        "seq": state.last_event_seq,
        "number": view["number"],
        "service": view["service"],
        "service_name": view["service_name"],
        "services": view["services"],
        "status": status.value,
        "status_label": STATUS_LABELS[status],
        "waiting_ahead": 0,
        "estimated_wait_s": 0,
        "notify_ahead": state.config.rules.notify_ahead,
        "soon": False,
        "window": view.get("window"),
        "zone": "",
        "call_count": view.get("call_count", 0),
        "headline": f"{headline}（{view['business_day']} 的号票）",
        "detail": "",
        "advice": "号票当天有效；如需办理，请重新取号" if status is not Status.DONE else "",
        "serving": [],
        "linked": [],
        "can_rate": False,
        "rated": False,
        "guide_path": f"/guides?q={quote(view['service_name'])}",
    }
