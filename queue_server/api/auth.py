"""Who is calling: bearer tokens of devices and of signed-in staff.

Live sessions are kept in memory (loaded at start, added at sign-in after the session row
committed). A token not in memory is looked up in the database, so a device added with
``hallqueue device add`` while the server runs works at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from datetime import datetime

from aiohttp import web

from queue_server.api.errors import ApiError
from queue_server.store import accounts
from queue_server.store.accounts import Principal
from queue_server.store.database import Store

PRINCIPAL_KEY = "hallqueue.principal"


class Authenticator:
    def __init__(self, store: Store, executor: Executor, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.executor = executor
        self.clock = clock
        self.sessions: dict[str, Principal] = {}
        self.devices: dict[str, Principal] = {}
        self.idle_s = 0.0  # staff sessions end after this long without a request; 0: never
        self.last_seen: dict[str, datetime] = {}

    def load(self, sessions: Iterable[Principal]) -> None:
        self.sessions = {p.token_hash: p for p in sessions}

    def sessions_at_window(self, window: int) -> list[Principal]:
        now = self.clock()
        return [p for p in self.sessions.values() if p.window == window and p.expires_at > now]

    def add_session(self, p: Principal) -> None:
        self.sessions[p.token_hash] = p

    def drop_sessions(self, hashes: Iterable[str]) -> None:
        for h in hashes:
            self.sessions.pop(h, None)

    async def identify(self, request: web.Request) -> Principal:
        """The caller, or 401 ``unauthorized`` / ``token_expired``."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "需要登录：请求缺少 Authorization: Bearer 令牌")
        hashed = accounts.token_hash(token.strip())
        p = self.sessions.get(hashed) or self.devices.get(hashed)
        if p is None:
            p = await asyncio.get_running_loop().run_in_executor(self.executor, self._lookup, hashed)
            if p is None:
                raise ApiError(401, "unauthorized", "令牌无效，请重新登录")
            if p.kind in accounts.DEVICE_KINDS:
                self.devices[hashed] = p
        now = self.clock()
        if p.expires_at is not None and p.expires_at <= now:
            self.sessions.pop(hashed, None)
            raise ApiError(401, "token_expired", "登录已过期，请重新登录")
        if p.expires_at is not None and self.idle_s:
            last = self.last_seen.get(hashed, now)
            if (now - last).total_seconds() > self.idle_s:
                self.sessions.pop(hashed, None)
                self.last_seen.pop(hashed, None)
                raise ApiError(401, "token_expired", "长时间未操作，已自动退出，请重新登录")
            self.last_seen[hashed] = now
        return p

    def _lookup(self, hashed: str) -> Principal | None:
        db = self.store.reader()
        device = accounts.find_device(db, hashed)
        if device is not None:
            return device
        row = db.execute(
            "SELECT login, role, window, expires_at, ended_at FROM sessions WHERE token_hash = ?", [hashed]
        ).fetchone()
        if row is None:
            return None
        if row[4] is not None:
            raise ApiError(401, "token_expired", "已退出登录，请重新登录")
        return Principal(row[1], row[0], hashed, row[2], datetime.fromisoformat(row[3]))

    async def require(self, request: web.Request, *kinds: str) -> Principal:
        """The caller, who must be one of ``kinds``; 403 ``forbidden`` otherwise."""
        p = await self.identify(request)
        if kinds and p.kind not in kinds:
            raise ApiError(403, "forbidden", "当前账号无权进行此操作", allowed=list(kinds))
        return p


def acting_window(p: Principal, window: int) -> None:
    """A clerk acts only for the window signed in to; an admin for any."""
    if p.kind == "clerk" and p.window != window:
        raise ApiError(
            403,
            "wrong_window",
            f"您登录的是 {p.window} 号窗口，不能操作 {window} 号窗口",
            signed_in_window=p.window,
            window=window,
        )
