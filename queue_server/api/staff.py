"""Staff identity (亮牌) and the call-back number of a follow-up.

Who serves at a window is shown to the window's own evaluator tablet, its clerk, the display PC
(for the window board) and the hall's managers; never on the public stream. A follow-up's phone
number is shown whole only on request, to a manager, and each showing is logged (who, which
follow-up; never the number).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from queue_server.api import appkeys
from queue_server.api.errors import ApiError
from queue_server.api.routes import Call
from queue_server.core.errors import UnknownFollowUp
from queue_server.core.model import WindowStatus
from queue_server.runtime.engine import Context
from queue_server.store import accounts

_LOGGER = logging.getLogger("hallqueue.privacy")


async def _on_duty(call: Call) -> tuple[str, str | None]:
    """The window's name and the login signed in there (None: closed)."""
    number = call.params["number"]

    def command(ctx: Context) -> tuple[str, str | None]:
        w = ctx.state.window(number)
        return ctx.state.config.windows[number].name, (w.clerk if w.status is not WindowStatus.CLOSED else None)

    return await call.run(command)


async def get_window_staff(call: Call) -> dict[str, Any]:
    """亮牌: name, 工号 and whether a photo exists, of whoever serves at the window now."""
    number, store = call.params["number"], call.app[appkeys.STORE]
    window_name, login = await _on_duty(call)
    who = (await call.read(lambda: accounts.staff_identities(store.reader()))).get(login) if login else None
    return {
        "window": number,
        "window_name": window_name,
        "open": login is not None,
        "name": (who.shown_name if who else login) if login else None,
        "staff_no": who.staff_no if who else None,
        "photo": bool(who and who.has_photo),
    }


async def get_window_staff_photo(call: Call) -> web.Response:
    """The photo of whoever serves at the window (image/jpeg)."""
    number, store = call.params["number"], call.app[appkeys.STORE]
    _, login = await _on_duty(call)
    photo = await call.read(lambda: accounts.staff_photo(store.reader(), login)) if login else None
    if not photo:
        raise ApiError(404, "no_photo", f"{number} 号窗口当前没有工作人员照片", window=number)
    # Personal data: not kept by the browser's cache or any proxy.
    return web.Response(body=photo, content_type="image/jpeg", headers={"Cache-Control": "no-store"})


async def get_followup_phone(call: Call) -> dict[str, Any]:
    """The call-back number of an open follow-up, whole, for the manager who calls back."""
    followup_id, actor = call.params["id"], call.principal.actor

    def command(ctx: Context) -> str | None:
        followup = ctx.state.followups.get(followup_id)
        if followup is None:
            raise UnknownFollowUp(f"没有未办结的跟进事项 {followup_id}", followup=followup_id)
        return followup.phone

    phone = await call.run(command)
    if not phone:
        raise ApiError(404, "no_phone", "办事人没有留下联系电话", followup=followup_id)
    _LOGGER.info("call-back number of follow-up %d shown to %s", followup_id, actor)
    return {"id": followup_id, "phone": phone}
