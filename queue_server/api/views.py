"""What the API shows of the hall: tickets, services and the public snapshot for screens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_server.config.guides import GuideItem, pinyin_initials
from queue_server.core.alerts import component_name
from queue_server.core.hall import HallState
from queue_server.core.lifecycle import STATUS_LABELS
from queue_server.core.model import PRIORITY_LABELS, Fault, HallConfig, Priority, Status, Ticket
from queue_server.core.places import where_to_go
from queue_server.store.accounts import StaffIdentity


def _names(config: HallConfig, service: str, window: int | None) -> dict[str, Any]:
    s = config.services.get(service)
    w = config.windows.get(window) if window is not None else None
    return {
        "service_name": s.name if s else service,
        "department": s.department if s else None,
        "department_name": config.departments[s.department].name if s else None,
        "window_name": w.name if w else None,
    }


def stored_ticket_view(config: HallConfig, row: dict[str, Any]) -> dict[str, Any]:
    """A ticket as the API returns it, from its stored row (finished, or from another day)."""
    out = {
        "id": row["id"],
        "number": row["number"],
        "service": row["service"],
        "priority": row["priority"],
        "priority_label": PRIORITY_LABELS[Priority(row["priority"])],
        "status": row["status"],
        "status_label": STATUS_LABELS[Status(row["status"])],
        "window": row["window"],
        "business_day": row["business_day"],
        "issued_at": row["issued_at"],
        "called_at": row["called_at"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "call_count": row["call_count"],
        "transfer_count": row["transfer_count"],
        "original_service": row["original_service"],
        "waiting_ahead": 0,
        "estimated_wait_s": 0,
        "status_path": f"/t/{row['public_code']}" if row.get("public_code") else None,
        "status_url": (
            f"{config.public_url}/t/{row['public_code']}" if row.get("public_code") and config.public_url else None
        ),
    }
    out.update(_names(config, row["service"], row["window"]))
    codes = Ticket.from_dict(row).services
    out["services"] = [{"code": c, "name": config.services[c].name if c in config.services else c} for c in codes]
    out["where"] = where_to_go(config, *codes)
    out["group_id"] = row.get("group_id")
    out["linked"] = []
    return out


def ticket_view(state: HallState, ticket: Ticket) -> dict[str, Any]:
    """A ticket as the API returns it, with live ``waiting_ahead`` and ``estimated_wait_s``."""
    out = stored_ticket_view(state.config, ticket.as_dict())
    out.update(_live_wait(state, ticket))
    if ticket.group_id is not None:
        others = [t for t in state.active.values() if t.group_id == ticket.group_id and t.id != ticket.id]
        out["linked"] = [_linked(state, t) for t in sorted(others, key=lambda t: t.id)]
    return out


def _live_wait(state: HallState, ticket: Ticket) -> dict[str, int]:
    if ticket.status is not Status.WAITING:
        return {"waiting_ahead": 0, "estimated_wait_s": 0}
    ahead = state.ahead_of(ticket)
    return {"waiting_ahead": ahead, "estimated_wait_s": state.estimate_s(ticket.service, ahead)}


def _linked(state: HallState, ticket: Ticket) -> dict[str, Any]:
    """Another ticket of the same visit, in short."""
    service = state.config.services.get(ticket.service)
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service": ticket.service,
        "service_name": service.name if service else ticket.service,
        "status": ticket.status.value,
        "where": where_to_go(state.config, *ticket.services),
        **_live_wait(state, ticket),
    }


def services_view(state: HallState, now: datetime) -> list[dict[str, Any]]:
    config = state.config
    out = []
    for code, s in config.services.items():
        waiting = state.waiting_count(code)
        issued = state.issued_by_service.get(code, 0)
        out.append(
            {
                "code": code,
                "name": s.name,
                "short_name": s.short_name or s.name,
                "initials": pinyin_initials(s.name),
                "prefix": s.prefix,
                "department": s.department,
                "department_name": config.departments[s.department].name,
                "waiting": waiting,
                "estimated_wait_s": state.estimate_s(code, waiting),
                "open": state.is_open(code, now) and (s.daily_cap is None or issued < s.daily_cap),
                "hours": s.hours.describe(),
                "daily_cap": s.daily_cap,
                "issued_today": issued,
                "real_name": s.real_name,
                "per_id_daily": s.per_id_daily if s.real_name != "off" else None,
            }
        )
    return out


def window_view(state: HallState, number: int) -> dict[str, Any]:
    """A window as screens show it: status, the ticket in hand, since when. Names nobody."""
    live = state.windows[number]
    held = state.active.get(live.ticket_id) if live.ticket_id is not None else None
    return {
        "number": number,
        "name": state.config.windows[number].name,
        "status": live.status.value,
        "ticket": held.number if held else None,
        "ticket_status": held.status.value if held else None,
        "since": live.since.isoformat() if live.since else None,
    }


def public_state(state: HallState, now: datetime) -> dict[str, Any]:
    """The snapshot for screens: nothing in it names a person."""
    config = state.config
    windows = [
        {**window_view(state, n), "services": list(w.services), "zone": w.zone} for n, w in config.windows.items()
    ]
    return {
        "seq": state.last_event_seq,
        "at": now.isoformat(),
        "business_day": state.day.isoformat(),
        "hall": {
            "name": config.name,
            "complaint_phone": config.complaint_phone,
            "timezone": getattr(config.timezone, "key", "Asia/Shanghai"),
        },
        "notices": list(state.notices),
        "wait_notices": list(state.wait_notices),
        "services": services_view(state, now),
        "windows": windows,
        "recent_calls": [
            {
                "at": c.at.isoformat(),
                "number": c.number,
                "service": c.service,
                "window": c.window,
                "window_name": config.windows[c.window].name if c.window in config.windows else None,
                "call_count": c.call_count,
            }
            for c in reversed(state.recent_calls)
        ],
    }


def guide_list(config: HallConfig, guides: tuple[GuideItem, ...]) -> list[dict[str, Any]]:
    """Every guide item in short, with what a search needs (name, initials, keywords)."""
    return [
        {
            "code": g.code,
            "name": g.name,
            "kind": g.kind,
            "service": g.service,
            "initials": pinyin_initials(g.name),
            "keywords": list(g.keywords),
            **{k: v for k, v in _names(config, g.service, None).items() if k != "window_name"},
        }
        for g in guides
    ]


def guide_view(config: HallConfig, g: GuideItem) -> dict[str, Any]:
    """One guide item with every field of the printed 服务指南."""
    out = g.model_dump()
    out["fees"] = [f.model_dump() for f in g.fees]
    out["complaint_phone"] = g.complaint_phone or config.complaint_phone
    out["initials"] = pinyin_initials(g.name)
    out.update({k: v for k, v in _names(config, g.service, None).items() if k != "window_name"})
    out["where"] = where_to_go(config, g.service)
    out["page_path"] = f"/guides/{g.code}"  # the public page; the printed 告知单's QR code opens it
    out["page_url"] = f"{config.public_url}/guides/{g.code}" if config.public_url else None
    return out


def identity_fields(identity: StaffIdentity | None, login: str | None) -> dict[str, Any]:
    """``clerk_name`` and ``staff_no`` of whoever is signed in (the login when no name is set)."""
    if login is None:
        return {"clerk_name": None, "staff_no": None}
    return {
        "clerk_name": identity.shown_name if identity else login,
        "staff_no": identity.staff_no if identity else None,
    }


# How /admin names the devices and the parts that report faults.
DEVICE_KINDS = {"kiosk": "取号机", "display": "显示控制机", "evaluator": "评价器"}
FAULT_STATES = {
    "paper_out": "缺纸",
    "paper_near_end": "纸将用完",
    "cover_open": "机盖未关好",
    "offline": "脱机",
    "error": "故障",
    "unknown": "无应答或状态不明",
    "silent": "无应答",
    "busy": "忙，未接收",
    "nack": "拒收数据",
}


def fault_view(fault: Fault, device_kinds: dict[str, str]) -> dict[str, Any]:
    """A fault with what it is in Chinese: ``取号机 kiosk-1 · 打印机``, ``缺纸``."""
    kind = DEVICE_KINDS.get(device_kinds.get(fault.device, ""), "设备")
    return {
        **fault.as_dict(),
        "what": f"{kind} {fault.device} · {component_name(fault.component)}",
        # A state this table does not know yet is still a fault: named in Chinese, never by its code.
        "state_label": FAULT_STATES.get(fault.state, "故障"),
    }
