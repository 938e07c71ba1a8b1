"""The hall as a whole: services, the public snapshot, health, guides, notices, device faults, the
hall manager's overview and the ticket's status page."""

from __future__ import annotations

import unicodedata
from typing import Any

from queue_server.api import appkeys
from queue_server.api.errors import ApiError
from queue_server.api.routes import Call
from queue_server.api.views import (
    fault_view,
    guide_list,
    guide_view,
    identity_fields,
    public_state,
    services_view,
    window_view,
)
from queue_server.core.alerts import followup_state, hall_alerts
from queue_server.runtime.engine import Context
from queue_server.store import accounts
from queue_server.store.figures import today_figures

NOTICE_MAX_CHARS = 200
# Controls, format characters (bidi overrides, zero-width), private use, surrogates, line breaks.
_HIDDEN = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


async def get_services(call: Call) -> dict[str, Any]:
    config = call.files.config
    services = await call.run(lambda ctx: services_view(ctx.state, ctx.now))
    departments = [{"code": d.code, "name": d.name, "short_name": d.short_name} for d in config.departments.values()]
    tiles = [{"name": t.name, "subtitle": t.subtitle, "services": list(t.services)} for t in config.tiles]
    bookings = any(s.booking is not None for s in config.services.values())
    hall = {
        "name": config.name,
        "complaint_phone": config.complaint_phone,
        "bookings": bookings,
        "elderly_age": config.rules.elderly_age,
    }
    return {"hall": hall, "services": services, "departments": departments, "tiles": tiles}


async def get_state(call: Call) -> dict[str, Any]:
    return await call.run(lambda ctx: public_state(ctx.state, ctx.now))


async def get_health(call: Call) -> dict[str, Any]:
    engine = call.app[appkeys.ENGINE]

    def command(ctx: Context) -> dict[str, Any]:
        return {
            "status": "ok",
            "seq": ctx.state.last_event_seq,
            "business_day": ctx.state.day.isoformat(),
            "commits": engine.commits,
        }

    return await call.run(command)


async def get_openapi(call: Call) -> dict[str, Any]:
    return call.app[appkeys.OPENAPI]


async def get_guides(call: Call) -> dict[str, Any]:
    return {"items": guide_list(call.files.config, call.files.guides)}


async def get_guide(call: Call) -> dict[str, Any]:
    code = call.params["code"]
    for item in call.files.guides:
        if item.code == code:
            return guide_view(await call.live_config(), item)
    raise ApiError(404, "unknown_guide", f"没有这项服务指南：{code}", guide=code)


async def post_device_fault(call: Call) -> dict[str, Any]:
    """A kiosk, display PC or tablet reports one of its parts (printer, board 3 ...) so staff see it."""
    device, body = call.principal.name, call.body

    def command(ctx: Context) -> dict[str, Any]:
        changed = ctx.state.report_fault(device, body.component, body.state, body.message, ctx.now)
        return {"device": device, "component": body.component, "state": body.state, "changed": changed}

    return await call.run(command)


def clean_notice(text: str) -> str:
    """A notice as the lobby will show it: control and bidi characters (which could reorder or hide
    text on the screens) removed, white space folded."""
    kept = "".join((" " if ch.isspace() else "") if unicodedata.category(ch) in _HIDDEN else ch for ch in text)
    return " ".join(kept.split())


async def put_notices(call: Call) -> dict[str, Any]:
    notices = tuple(n for n in (clean_notice(n) for n in call.body.notices) if n)
    if any(len(n) > NOTICE_MAX_CHARS for n in notices):
        raise ApiError(400, "invalid_request", f"每条通知不超过 {NOTICE_MAX_CHARS} 字")
    actor = call.principal.actor

    def command(ctx: Context) -> dict[str, Any]:
        ctx.state.set_notices(notices, actor, ctx.now)
        return {"notices": list(notices)}

    return await call.run(command)


def _fault_words(view: dict[str, Any]) -> str:
    """A fault as the manager's alert names it: the part and its state, 取号机 kiosk-1 · 打印机（缺纸）."""
    return f"{view['what']}（{view['state_label']}）"


async def get_overview(call: Call) -> dict[str, Any]:
    """The hall manager's live view: alerts, windows, queues, faults, follow-ups, notices, today's figures."""
    store = call.app[appkeys.STORE]
    names, kinds = await call.read(
        lambda: (accounts.staff_identities(store.reader()), accounts.device_kinds(store.reader()))
    )

    def command(ctx: Context) -> dict[str, Any]:
        state, now = ctx.state, ctx.now
        today = now.astimezone(state.config.timezone).date()
        # The manager's view of a window is the public one plus who is signed in there.
        windows = []
        for n in state.config.windows:
            clerk = state.windows[n].clerk
            windows.append(
                {
                    **window_view(state, n),
                    "services": list(state.config.windows[n].services),
                    "clerk": clerk,
                    **identity_fields(names.get(clerk), clerk),
                }
            )
        followups = [
            {
                **f.as_dict(),
                "clerk_name": identity_fields(names.get(f.clerk), f.clerk)["clerk_name"],
                "state": followup_state(f.due, today),
            }
            for f in sorted(state.followups.values(), key=lambda f: f.due)
        ]
        services = []
        for code, s in state.config.services.items():
            oldest = state.queues[code].oldest()
            longest = int((now - oldest.queued_since).total_seconds()) if oldest else 0
            waiting = state.waiting_count(code)
            services.append({"code": code, "name": s.name, "waiting": waiting, "longest_wait_s": longest})
        return {
            "at": now.isoformat(),
            "business_day": state.day.isoformat(),
            "timezone": getattr(state.config.timezone, "key", "Asia/Shanghai"),
            "alerts": [a.as_dict() for a in hall_alerts(state, now, lambda f: _fault_words(fault_view(f, kinds)))],
            "windows": windows,
            "services": services,
            "faults": [fault_view(f, kinds) for f in state.faults.values()],
            "followups": followups,
            "notices": list(state.notices),
        }

    live = await call.run(command)
    figures = await call.read(today_figures, call.app[appkeys.STORE], live["business_day"], call.files.config)
    return {**live, "today": figures}
