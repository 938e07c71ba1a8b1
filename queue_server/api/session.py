"""Signing staff in and out (登录/退出).

Who may sign in where: a clerk names a window, and when the window's config lists its
``clerks`` only they may sign in there. A window another clerk holds is taken over (``force``)
only where that list exists, i.e. the hall said who may stand in for whom; elsewhere the hall
manager signs the window out first (``POST /api/windows/{n}/sign-out``). Reception, the hall
manager and admins sign in without a window.

Failed sign-ins back off per login and per client address (``[limits] login_failures`` in
``login_failure_window_s``), checked before the password is, and each is logged on
``hallqueue.auth`` with the login and the address, never the password.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from queue_server.api import appkeys
from queue_server.api.errors import ApiError
from queue_server.api.models import LoginRequest
from queue_server.api.routes import Call
from queue_server.core.errors import QueueError, WindowOccupied
from queue_server.core.model import HallConfig
from queue_server.runtime.engine import Context
from queue_server.store import accounts
from queue_server.store.accounts import Principal, Role

_LOGGER = logging.getLogger("hallqueue.auth")


class TakeoverForbidden(QueueError):
    """A clerk asked to take over a window the hall's rules let nobody take over.

    A ``QueueError`` because it is decided inside the engine command, where whoever holds the
    window is known for certain; the engine turns only those into refusals.
    """

    code = "forbidden_takeover"


async def post_login(call: Call) -> dict[str, Any]:
    body, app = call.body, call.app
    store, auth, config = app[appkeys.STORE], app[appkeys.AUTH], call.files.config
    address = call.request.remote or "unknown"
    throttle = auth.sign_in_throttle(config.limits)

    def check_password() -> str | None:
        throttle.check(body.login, address)  # before the password is looked at
        found = accounts.find_user(store.reader(), body.login)
        # Hash even for an unknown login, so timing does not tell which logins exist.
        ok = accounts.verify_password(body.password, found[1] if found else _dummy_hash())
        if found and ok:
            throttle.succeeded(body.login)
            return found[0]
        throttle.failed(body.login, address)
        return None

    try:
        role = await call.read(check_password)
    except ApiError:
        _LOGGER.warning("sign-in refused, too many failures: login %r from %s", body.login, address)
        raise
    if role is None:
        _LOGGER.warning("sign-in failed: login %r from %s", body.login, address)
        raise ApiError(401, "invalid_credentials", "账号或密码错误")
    _check_window(Role(role), body.login, body.window, config)
    await auth.refresh()  # who holds the window: after any sign-out another process wrote
    names = await call.read(lambda: accounts.staff_identities(store.reader()))
    token = accounts.new_token()

    def command(ctx: Context) -> dict[str, Any]:
        expires = accounts.session_expiry(ctx.now, config.session_hours)
        session = Principal(Role(role), body.login, accounts.token_hash(token), body.window, expires)
        replaced: list[str] = []
        if body.window is not None:
            _may_take(auth.sessions_at_window(body.window), body, config.windows[body.window].clerks, names)
            replaced = [s.token_hash for s in auth.sessions_at_window(body.window)]
            ctx.state.open_window(body.window, body.login, ctx.now)
        ctx.writes.append(lambda db: accounts.end_sessions(db, replaced, ctx.now))
        ctx.writes.append(lambda db: accounts.insert_session(db, session, ctx.now))
        ctx.after_commit.append(lambda: (auth.drop_sessions(replaced), auth.add_session(session)))
        return {
            "token": token,
            "role": role,
            "login": body.login,
            "name": names[body.login].shown_name if body.login in names else body.login,
            "window": body.window,
            "expires_at": expires.isoformat(),
        }

    return await call.run(command)


def _check_window(role: Role, login: str, window: int | None, config: HallConfig) -> None:
    """Only a clerk signs in at a window, and only at one whose ``clerks`` list (if any) names them."""
    if role != Role.CLERK:
        if window is not None:
            raise ApiError(
                400, "invalid_request", "只有窗口人员登录时选择窗口号；本账号登录不需要窗口", role=role.value
            )
        return
    if window is None:
        raise ApiError(400, "window_required", "窗口人员登录需要选择窗口号", role=role.value)
    if window not in config.windows:
        raise ApiError(404, "unknown_window", f"没有 {window} 号窗口", window=window)
    allowed = config.windows[window].clerks
    if allowed and login not in allowed:
        raise ApiError(403, "forbidden", f"您不在 {window} 号窗口的人员名单中，不能在该窗口登录", window=window)


def _may_take(
    held: list[Principal], body: LoginRequest, allowed: tuple[str, ...], names: dict[str, accounts.StaffIdentity]
) -> None:
    """Refuse to sign in at a window another clerk holds, unless this is an allowed takeover."""
    others = [s for s in held if s.name != body.login]
    if not others:
        return
    holder = names[others[0].name].shown_name if others[0].name in names else others[0].name
    if allowed and body.force:
        return  # the window's clerks list names this clerk (checked before): 接替
    if not allowed and body.force:
        raise TakeoverForbidden(
            f"{body.window} 号窗口已由 {holder} 登录，该窗口不允许接管；请联系大厅管理员签退该窗口",
            window=body.window,
        )
    hint = "如需接替请确认接管" if allowed else "请联系大厅管理员签退该窗口"
    raise WindowOccupied(f"{body.window} 号窗口已由 {holder} 登录；{hint}", window=body.window)


async def post_logout(call: Call) -> None:
    auth, p = call.app[appkeys.AUTH], call.principal

    def command(ctx: Context) -> None:
        if p.window is not None and not [s for s in auth.sessions_at_window(p.window) if s != p]:
            ctx.state.close_window(p.window, p.actor, ctx.now)
        ctx.writes.append(lambda db: accounts.end_sessions(db, [p.token_hash], ctx.now))
        ctx.after_commit.append(lambda: auth.drop_sessions([p.token_hash]))

    await call.run(command)


@functools.cache
def _dummy_hash() -> str:
    return accounts.hash_password("not a real password, only for timing")
