"""Window operations: 叫号, 指定叫号, 暂停/恢复, the clerk console's queue, and signing a clerk out."""

from __future__ import annotations

from typing import Any

from queue_server.api import appkeys
from queue_server.api.errors import ApiError
from queue_server.api.routes import Call
from queue_server.api.views import identity_fields, ticket_view
from queue_server.config.guides import pinyin_initials
from queue_server.runtime.engine import Context
from queue_server.store import accounts

NEXT_SHOWN = 5


async def post_call_next(call: Call) -> dict[str, Any] | None:
    """叫号: the called ticket, or None (204) when nobody waits for this window."""
    number, actor = call.params["number"], call.principal.actor

    def command(ctx: Context) -> dict[str, Any] | None:
        ticket = ctx.state.call_next(number, actor, ctx.now)
        return ticket_view(ctx.state, ticket) if ticket else None

    return await call.run(command)


async def post_call_number(call: Call) -> dict[str, Any]:
    """指定叫号: call a given waiting number at this window."""
    number, actor, wanted = call.params["number"], call.principal.actor, call.body.number
    return await call.run(lambda ctx: ticket_view(ctx.state, ctx.state.call_number(number, wanted, actor, ctx.now)))


def window_change(pause: bool):
    """暂停服务 / 恢复服务."""

    async def handler(call: Call) -> dict[str, Any]:
        number, actor = call.params["number"], call.principal.actor

        def command(ctx: Context) -> dict[str, Any]:
            (ctx.state.pause if pause else ctx.state.resume)(number, actor, ctx.now)
            w = ctx.state.windows[number]
            return {"number": number, "status": w.status.value, "since": w.since.isoformat() if w.since else None}

        return await call.run(command)

    handler.__name__ = "post_window_pause" if pause else "post_window_resume"
    return handler


async def put_window_services(call: Call) -> dict[str, Any]:
    """潮汐窗口: the hall manager changes which services a window serves, from its next call on."""
    number, actor, services = call.params["number"], call.principal.actor, tuple(call.body.services)
    if len(set(services)) != len(services):
        raise ApiError(400, "invalid_request", "同一项业务只需选择一次")

    def command(ctx: Context) -> dict[str, Any]:
        changed = ctx.state.set_window_services(number, services, actor, ctx.now)
        config = ctx.state.config
        return {
            "number": number,
            "name": config.windows[number].name,
            "services": [{"code": c, "name": config.services[c].name} for c in config.windows[number].services],
            "changed": changed,
        }

    return await call.run(command)


async def get_window_queue(call: Call) -> dict[str, Any]:
    """What the clerk console shows: the window, its ticket in hand, and the queue it serves."""
    number = call.params["number"]
    store = call.app[appkeys.STORE]
    names = await call.read(lambda: accounts.staff_identities(store.reader()))

    def command(ctx: Context) -> dict[str, Any]:
        state = ctx.state
        w = state.window(number)
        held = state.active.get(w.ticket_id) if w.ticket_id is not None else None
        departments = state.config.departments
        return {
            "window": number,
            "name": state.config.windows[number].name,
            "status": w.status.value,
            "since": w.since.isoformat() if w.since else None,
            **identity_fields(names.get(w.clerk), w.clerk),
            "no_show_recall_minutes": state.config.rules.no_show_recall_s / 60,
            "ticket": ticket_view(state, held) if held else None,
            "age_band": call.app[appkeys.ID_TICKETS].bands.get(held.id) if held else None,
            "services": [
                {
                    "code": code,
                    "name": state.config.services[code].name,
                    "waiting": state.waiting_count(code),
                    "next": state.queues[code].next_numbers(NEXT_SHOWN),
                }
                for code in state.config.windows[number].services
            ],
            # The transfer list: grouped by department, searchable by name or pinyin initials.
            "all_services": [
                {
                    "code": c,
                    "name": s.name,
                    "department": s.department,
                    "department_name": departments[s.department].name,
                    "initials": pinyin_initials(s.name),
                }
                for c, s in state.config.services.items()
            ],
        }

    return await call.run(command)


async def post_sign_out_window(call: Call) -> None:
    """The hall manager signs out whoever is signed in at a window (so another clerk can take it)."""
    number, actor = call.params["number"], call.principal.actor
    auth = call.app[appkeys.AUTH]

    def command(ctx: Context) -> None:
        ctx.state.window(number)  # 404 for a window the hall does not have
        ended = [s.token_hash for s in auth.sessions_at_window(number)]
        ctx.state.close_window(number, actor, ctx.now)
        ctx.writes.append(lambda db: accounts.end_sessions(db, ended, ctx.now))
        ctx.after_commit.append(lambda: auth.drop_sessions(ended))

    await call.run(command)
