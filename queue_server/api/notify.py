"""短信提醒 over the API: a visitor leaves (or takes back) a mobile number for a ticket, and the
hall manager sees how the reminders go out.

Leaving a number is public: the ticket's unguessable code is what gives access, as for its status
page. Against misuse (texting strangers through the hall) each client address may leave or take
back ``[notify] signups_per_minute`` numbers a minute (a hall's guest Wi-Fi is one NAT address, so
the default is generous), and a ticket takes at most five numbers. The number is answered masked
and never logged whole; ``runtime/notifier.py`` erases it when its time is up.
"""

from __future__ import annotations

import math
from typing import Any

from queue_server.api import appkeys
from queue_server.api.errors import ApiError
from queue_server.api.routes import Call
from queue_server.core.feedback import mask_phone
from queue_server.core.notify import mainland_mobile
from queue_server.runtime.engine import Context
from queue_server.runtime.notifier import MAX_CHANGES_PER_TICKET


def _check_rate(call: Call) -> None:
    """429 ``sms_rate_limited`` with Retry-After past the address's limit; else count one."""
    window = call.app[appkeys.SMS_LIMIT]
    address = call.request.remote or "local"
    wait = window.retry_after(address)
    if wait > 0:
        raise ApiError(
            429,
            "sms_rate_limited",
            "操作过于频繁，请稍后再试",
            headers={"Retry-After": str(math.ceil(wait))},
            retry_after_s=math.ceil(wait),
        )
    window.hit(address)


def _unknown() -> ApiError:
    return ApiError(404, "unknown_ticket", "没有找到这张号票，请核对二维码，或到咨询台询问")


async def post_sms(call: Call) -> dict[str, Any]:
    """Leave a number for the ticket's reminders (快到您了, 请到 N 号窗口)."""
    _check_rate(call)
    notifier = call.app[appkeys.NOTIFIER]
    if not notifier.enabled:
        raise ApiError(409, "sms_unavailable", "本大厅暂未开通短信提醒")
    phone = mainland_mobile(call.body.phone)
    if phone is None:
        raise ApiError(422, "invalid_phone", "请填写正确的 11 位手机号码，如 13812345678")
    code = call.params["public_code"]
    outcome = await call.run(lambda ctx: notifier.leave_phone(ctx, code, phone))
    if outcome is None:
        # Not today's: an older ticket is over, any other code is nobody's.
        if await call.read(call.app[appkeys.STORE].ticket_by_code, code) is None:
            raise _unknown()
        raise ApiError(409, "ticket_ended", "这张号票已经结束，无需短信提醒")
    result, number = outcome
    if result == "ended":
        raise ApiError(409, "ticket_ended", f"{number} 号已经结束，无需短信提醒", number=number)
    if result == "limit":
        raise ApiError(
            409,
            "phone_change_limit",
            f"{number} 号已留过 {MAX_CHANGES_PER_TICKET} 次手机号码，不能再更改",
            number=number,
        )
    return {"phone": mask_phone(phone), "notify_ahead": (await call.live_config()).rules.notify_ahead}


async def delete_sms(call: Call) -> None:
    """Take the number back: it is erased now, and nothing more is sent (204, also when none was
    left). Works for a ticket that is over too: the visitor may want the number gone at once."""
    _check_rate(call)
    notifier, code = call.app[appkeys.NOTIFIER], call.params["public_code"]

    def today(ctx: Context) -> int | None:
        ticket = ctx.state.ticket_by_code(code)
        return ticket.id if ticket is not None else None

    ticket_id = await call.run(today)
    if ticket_id is None:
        row = await call.read(call.app[appkeys.STORE].ticket_by_code, code)
        if row is None:
            raise _unknown()
        ticket_id = row["id"]
    await call.run(lambda ctx: notifier.withdraw(ctx, ticket_id))


async def get_notifier(call: Call) -> dict[str, Any]:
    """The reminders' sinks as /admin shows them: queued, delivered, failed, stuck."""
    return await call.app[appkeys.NOTIFIER].status()
