"""好差评 and its follow-ups: the clerk asks for a rating, the window's evaluator tablet rates, the
hall manager closes the follow-up a low rating opened."""

from __future__ import annotations

from typing import Any

from queue_server.api.errors import ApiError
from queue_server.api.hall import clean_notice
from queue_server.api.routes import Call
from queue_server.core.feedback import LEVELS, LOW, REASONS
from queue_server.runtime.engine import Context


async def post_request_rating(call: Call) -> dict[str, Any]:
    """评价: show the rating buttons on the window's evaluator tablet."""
    number, actor = call.params["number"], call.principal.actor
    return await call.run(lambda ctx: {"window": number, "ticket_id": ctx.state.request_rating(number, actor, ctx.now)})


async def get_pending_rating(call: Call) -> dict[str, Any] | None:
    """What the evaluator tablet may rate now: the ticket, or None (204)."""
    number = call.params["number"]

    def command(ctx: Context) -> dict[str, Any] | None:
        ticket = ctx.state.pending_rating(number)
        if ticket is None:
            return None
        service = ctx.state.config.services.get(ticket.service)
        return {"ticket_id": ticket.id, "number": ticket.number, "service_name": service.name if service else ""}

    return await call.run(command)


def checked_rating(body: Any) -> tuple[str, tuple[str, ...]]:
    """A rating body's rules, said in Chinese: reasons and a call-back number only with a low
    level, at least one reason with it. Returns the cleaned comment and the reasons."""
    low = body.level in LOW
    if body.reasons and not low:
        raise ApiError(400, "invalid_request", "只有不满意或非常不满意时才选原因")
    if low and not body.reasons:
        raise ApiError(400, "invalid_request", "请至少选择一个不满意的原因")
    if body.phone and not low:
        raise ApiError(400, "invalid_request", "只有不满意或非常不满意时才留联系电话，以便回访")
    return clean_notice(body.comment), tuple(body.reasons)


async def post_rating(call: Call) -> dict[str, Any]:
    """好差评 from the window's own evaluator tablet, for the ticket the window just served, once."""
    number, body, actor = call.params["number"], call.body, call.principal.actor
    comment, reasons = checked_rating(body)

    def command(ctx: Context) -> dict[str, Any]:
        return ctx.state.rate(number, body.level, reasons, actor, ctx.now, comment=comment, phone=body.phone).as_dict()

    return await call.run(command)


async def post_close_followup(call: Call) -> dict[str, Any]:
    followup_id, resolution, actor = call.params["id"], call.body.resolution, call.principal.actor
    return await call.run(lambda ctx: ctx.state.close_followup(followup_id, resolution, actor, ctx.now).as_dict())


async def get_rating_options(call: Call) -> dict[str, Any]:
    return {"levels": [{"level": k, "label": v} for k, v in LEVELS.items()], "reasons": list(REASONS)}
