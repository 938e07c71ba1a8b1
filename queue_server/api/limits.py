"""Limits the API enforces per caller: tickets per kiosk (a kiosk cannot drain a capped service) and
open event-stream sockets, in total and per address (a flood cannot lock the hall's screens out)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from queue_server.api.errors import ApiError

WINDOW_S = 60.0
RETRY_AFTER_S = 30  # a refused event socket tries again after this long


class SlidingWindow:
    """At most ``limit`` hits per key in any ``window_s`` seconds (monotonic clock)."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._hits: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may hit again (0: now), after dropping hits that left the window."""
        hits = self._hits.get(key)
        if not hits:
            return 0.0
        now = self.clock()
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return 0.0
        return max(0.0, hits[0] + self.window_s - now) if len(hits) >= self.limit else 0.0

    def hit(self, key: str) -> None:
        self._hits.setdefault(key, deque()).append(self.clock())


class KioskLimit:
    """``[limits] kiosk_tickets_per_minute`` per kiosk; a retried request (same request_id) is free."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = SlidingWindow(per_minute, WINDOW_S, clock) if per_minute else None
        self._recent_requests: dict[str, deque[str]] = {}

    def check_kiosk(self, device: str, request_id: str | None) -> None:
        """Count one ticket for ``device``; 429 ``rate_limited`` with Retry-After past the limit."""
        if self.window is None:
            return
        seen = self._recent_requests.setdefault(device, deque(maxlen=self.window.limit))
        if request_id is not None and request_id in seen:
            return  # the kiosk retrying a ticket it may already have: the server answers it once
        wait = self.window.retry_after(device)
        if wait > 0:
            raise ApiError(
                429,
                "rate_limited",
                "取号过于频繁，请稍后再试",
                headers={"Retry-After": str(math.ceil(wait))},
                retry_after_s=math.ceil(wait),
            )
        self.window.hit(device)
        if request_id is not None:
            seen.append(request_id)


class BookingLimit:
    """预约's public requests per client address: ``write`` for booking, looking up and cancelling
    (``[booking] requests_per_minute``), ``browse`` for the service and slot lists (four times as
    many: a visitor looks at several days before booking one)."""

    def __init__(self, per_minute: int, browse_factor: int = 4, clock: Callable[[], float] = time.monotonic) -> None:
        self.write = SlidingWindow(per_minute, WINDOW_S, clock)
        self.browse = SlidingWindow(per_minute * browse_factor, WINDOW_S, clock)


class SocketGate:
    """The open event sockets, counted in total and per client address.

    Admission is decided before the WebSocket handshake, so a refused client gets a plain 503
    and costs no socket.
    """

    def __init__(self, total: int, per_address: int) -> None:
        self.total, self.per_address = total, per_address
        self.open = 0
        self.by_address: dict[str, int] = {}

    def admit(self, address: str) -> None:
        """Count one more socket from ``address``; 503 ``too_many_connections`` past a cap."""
        if self.open >= self.total:
            raise _full(f"实时推送连接已满（共 {self.total} 个），请稍后重试", "total", self.total)
        held = self.by_address.get(address, 0)
        if held >= self.per_address:
            raise _full(f"本网络的实时推送连接已满（{self.per_address} 个），请稍后重试", "address", self.per_address)
        self.open += 1
        self.by_address[address] = held + 1

    def release(self, address: str) -> None:
        self.open -= 1
        held = self.by_address[address] - 1
        if held:
            self.by_address[address] = held
        else:
            del self.by_address[address]


def _full(message: str, scope: str, limit: int) -> ApiError:
    return ApiError(
        503,
        "too_many_connections",
        message,
        headers={"Retry-After": str(RETRY_AFTER_S)},
        scope=scope,
        limit=limit,
        retry_after_s=RETRY_AFTER_S,
    )
