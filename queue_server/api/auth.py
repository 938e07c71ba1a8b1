"""Who is calling: bearer tokens of devices and of signed-in staff, and failed sign-ins.

The database decides who may call; memory only remembers what it said. Device principals and
live sessions are cached, and every request first reads ``auth_version``, a counter the
schema's triggers bump in the same transaction as any device revocation, disabled account,
password change or ended session, whoever wrote it: this server, or ``hallqueue device revoke``
/ ``user disable`` / ``user password`` in another process. When it moved, the device cache is
dropped and the cached sessions the database says are over are pruned before the request goes
on, so a revocation takes effect on the next request, without a restart.

A staff session ends after ``session_hours`` (``expires_at``) and after ``session_idle_s``
without a request. Idle time runs from ``last_seen_at``, written at most once a minute per
session: written late only makes expiry earlier after a restart, never later. A session found
idle gets ``ended_at`` in the database, so neither a restart nor a cache brings it back.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import Executor
from datetime import datetime
from typing import Any

from aiohttp import web

from queue_server.api.errors import ApiError
from queue_server.core.model import Limits
from queue_server.runtime.engine import CommandFailed, StoreUnavailable
from queue_server.store import accounts
from queue_server.store.accounts import Principal
from queue_server.store.database import Store

_LOGGER = logging.getLogger(__name__)
SEEN_WRITE_S = 60.0  # how often a busy session's last_seen_at is written (at most)
MAX_TRACKED = 10_000  # logins and addresses with recent failures before old ones are swept


class Authenticator:
    def __init__(self, store: Store, executor: Executor, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.executor = executor
        self.clock = clock
        self.sessions: dict[str, Principal] = {}  # live sessions, by token hash
        self.devices: dict[str, Principal] = {}  # a cache, dropped whenever auth_version moves
        self.idle_s = 0.0  # staff sessions end after this long without a request; 0: never
        self.last_seen: dict[str, datetime] = {}  # each live session's last request
        self.version: int | None = None  # the auth_version the caches agree with
        self.throttle: LoginThrottle | None = None
        self._written_seen: dict[str, datetime] = {}  # last_seen_at as last written
        self._unwritten_seen: dict[str, datetime] = {}
        self._to_end: set[str] = set()  # sessions found idle at start, ended with the next request
        # Bumped whenever the caches are dropped: a lookup begun before is used, never cached.
        self._generation = 0
        self._pruning: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()

    # ------------------------------------------------------------ the live sessions

    def load(self, sessions: Iterable[Principal]) -> None:
        """The live sessions at start; those idle past the limit are ended, not revived."""
        now = self.clock()
        self.sessions.clear()
        for p in sessions:
            if self._idle(p.seen_at, now):
                self._to_end.add(p.token_hash)
                continue
            self.sessions[p.token_hash] = p
            self.last_seen[p.token_hash] = self._written_seen[p.token_hash] = p.seen_at or now

    def sessions_at_window(self, window: int) -> list[Principal]:
        """The sessions signed in at ``window`` that have not expired or gone idle."""
        now = self.clock()
        return [
            p
            for p in self.sessions.values()
            if p.window == window and p.expires_at > now and not self._idle(self.last_seen.get(p.token_hash), now)
        ]

    def add_session(self, p: Principal) -> None:
        """A session whose row has just committed."""
        now = self.clock()
        self.sessions[p.token_hash] = p
        self.last_seen[p.token_hash] = self._written_seen[p.token_hash] = now

    def drop_sessions(self, hashes: Iterable[str]) -> None:
        for h in hashes:
            self._forget(h)

    def _forget(self, hashed: str) -> None:
        self.sessions.pop(hashed, None)
        self.last_seen.pop(hashed, None)
        self._written_seen.pop(hashed, None)
        self._unwritten_seen.pop(hashed, None)

    def _idle(self, last: datetime | None, now: datetime) -> bool:
        return bool(self.idle_s) and last is not None and (now - last).total_seconds() > self.idle_s

    # ------------------------------------------------------------ identifying a caller

    def has_credentials(self, request: web.Request) -> bool:
        """Whether the request carries a token at all (a public route then still checks it)."""
        return request_token(request) is not None

    async def identify(self, request: web.Request) -> Principal:
        """The caller, or 401 ``unauthorized`` / ``token_expired``."""
        token = request_token(request)
        if not token:
            raise ApiError(401, "unauthorized", "需要登录：请求缺少 Authorization: Bearer 令牌")
        hashed = accounts.token_hash(token)
        await self.refresh()
        if self._to_end:
            self._spawn(self._end(request.app, list(self._to_end)))
            self._to_end.clear()
        p = self.sessions.get(hashed) or self.devices.get(hashed)
        if p is None:
            p = await self._look_up(hashed)
        if p.expires_at is None:
            return p  # a device: valid until revoked
        now = self.clock()
        if p.expires_at <= now:
            self._forget(hashed)
            raise ApiError(401, "token_expired", "登录已过期，请重新登录")
        if self._idle(self.last_seen.get(hashed, p.seen_at), now):
            self._forget(hashed)
            await self._end(request.app, [hashed])
            raise ApiError(401, "token_expired", "长时间未操作，已自动退出，请重新登录")
        self.last_seen[hashed] = now
        self._note_seen(request.app, hashed, now)
        return p

    async def refresh(self) -> None:
        """Catch up with revocations, disabled accounts and sign-outs written since the last
        request (see the module docstring)."""
        # A one-row primary-key SELECT on the loop thread's own connection: about 10 µs, 1% of
        # a core at 1,000 requests/s. It runs on the loop because every request needs it before
        # anything else, and a hop to the reader threads costs more than the read. In WAL mode
        # a reader never waits for the writer, so it does not block the loop.
        version = accounts.auth_version(self.store.reader())
        if version != self.version:
            self.version = version
            self._generation += 1
            self.devices.clear()
            self._pruning = asyncio.create_task(self._prune())
        pruning = self._pruning
        if pruning is not None:
            try:
                # Shielded: a client hanging up must not cancel the pruning the others wait for.
                await asyncio.shield(pruning)
            finally:
                if self._pruning is pruning and pruning.done():
                    self._pruning = None

    async def _prune(self) -> None:
        """Forget the cached sessions the database says are over."""
        # Sessions added while this runs are not in ``held``; they are new, hence live.
        held = list(self.sessions)
        try:
            ended = await self._read(accounts.ended_among, held) if held else set()
        except Exception:
            self.version = None  # the next request tries again; this one fails
            raise
        for h in ended:
            self._forget(h)

    async def _look_up(self, hashed: str) -> Principal:
        """A token the caches do not hold: a device, or a session the database still has."""
        generation = self._generation
        device = await self._read(accounts.find_device, hashed)
        if device is not None:
            if generation == self._generation:
                self.devices[hashed] = device
            return device
        found = await self._read(accounts.find_session, hashed)
        if found is None:
            raise ApiError(401, "unauthorized", "令牌无效，请重新登录")
        session, over = found
        if over:
            raise ApiError(401, "token_expired", "已退出登录，请重新登录")
        if generation == self._generation and session.expires_at > self.clock():
            self.sessions[hashed] = session
            self._written_seen[hashed] = session.seen_at or self.clock()
        return session

    async def _read(self, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: fn(self.store.reader(), *args))

    # ------------------------------------------------------------ writing what it learned

    def _note_seen(self, app: web.Application, hashed: str, now: datetime) -> None:
        """Persist ``last_seen_at`` lazily: at most once a minute per session, in the background."""
        if not self.idle_s:
            return
        written = self._written_seen.get(hashed)
        if written is not None and (now - written).total_seconds() < SEEN_WRITE_S:
            return
        self._written_seen[hashed] = now
        if not self._unwritten_seen:
            self._spawn(self._write_seen(app))
        self._unwritten_seen[hashed] = now

    async def _write_seen(self, app: web.Application) -> None:
        await asyncio.sleep(0)  # gather the other sessions seen in this loop iteration
        seen, self._unwritten_seen = self._unwritten_seen, {}
        await _submit_write(app, lambda db, now: accounts.record_seen(db, seen))

    async def _end(self, app: web.Application, hashes: list[str]) -> None:
        """Write ``ended_at`` for sessions found idle (through the engine: one writer)."""
        try:
            await _submit_write(app, lambda db, now: accounts.end_sessions(db, hashes, now))
        except (StoreUnavailable, CommandFailed):
            # Still refused: the row's last_seen_at is old, so a lookup finds it idle again.
            _LOGGER.warning("could not write the end of %d idle session(s); they stay refused", len(hashes))

    async def settle(self) -> None:
        """Wait for the background writes started so far (for tests and a clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _LOGGER.warning("a background session write failed: %r", task.exception())

    # ------------------------------------------------------------ sign-in attempts

    def sign_in_throttle(self, limits: Limits) -> LoginThrottle:
        """The failed sign-in counter, made on first use from the hall's ``[limits]``."""
        if self.throttle is None:
            self.throttle = LoginThrottle(
                limits.login_failures, limits.login_failure_window_s, lambda: self.clock().timestamp()
            )
        return self.throttle


async def _submit_write(app: web.Application, write: Callable[[Any, datetime], None]) -> None:
    """Run one database write in the engine's next transaction."""
    # appkeys imports this module (for the AUTH key's type): import it only when needed.
    from queue_server.api import appkeys

    await app[appkeys.ENGINE].submit(lambda ctx: ctx.writes.append(lambda db: write(db, ctx.now)))


class LoginThrottle:
    """At most ``limit`` failed sign-ins per login, and per client address, in ``window_s``.

    Called on the reader threads, right before and right after the password is hashed (hence
    the lock): guesses sent in parallel pass the check only as fast as those threads hash, so a
    burst overshoots the limit by at most their number. Only failures count, so fifty clerks
    behind one NAT address signing in at 8:30 are not throttled. A success clears its login's
    failures, not its address's (others' failures from there still count).
    """

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, login: str, address: str) -> None:
        """429 ``too_many_attempts`` with Retry-After while the login or the address is over."""
        if not self.limit:
            return
        now = self.clock()
        with self._lock:
            if len(self._failures) > MAX_TRACKED:
                for key in list(self._failures):
                    self._wait(key, now)  # drops the keys with no failure left in the window
            wait = max(self._wait(_login_key(login), now), self._wait(_address_key(address), now))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429,
                "too_many_attempts",
                f"登录失败次数过多，请 {math.ceil(seconds / 60)} 分钟后再试",
                headers={"Retry-After": str(seconds)},
                retry_after_s=seconds,
            )

    def failed(self, login: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (_login_key(login), _address_key(address)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, login: str) -> None:
        with self._lock:
            self._failures.pop(_login_key(login), None)

    def _wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again (0: now); forgets failures that left the window."""
        hits = self._failures.get(key)
        if hits is None:
            return 0.0
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if not hits:
            del self._failures[key]
            return 0.0
        return hits[0] + self.window_s - now if len(hits) >= self.limit else 0.0


def _login_key(login: str) -> str:
    return f"login:{login}"


def _address_key(address: str) -> str:
    return f"address:{address}"


WS_TOKEN_PREFIX = "bearer."


def request_token(request: web.Request) -> str | None:
    """The caller's bearer token: from ``Authorization: Bearer TOKEN``, or, for a browser's
    WebSocket (which cannot set headers), from a ``Sec-WebSocket-Protocol`` entry ``bearer.TOKEN``.
    Never from the URL: URLs end up in logs and browser history."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""
    for proto in request.headers.get("Sec-WebSocket-Protocol", "").split(","):
        proto = proto.strip()
        if proto.startswith(WS_TOKEN_PREFIX):
            return proto[len(WS_TOKEN_PREFIX) :]
    return None
