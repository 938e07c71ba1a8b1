"""A small client of the queue server's API (aiohttp, async), for the kiosk and the display PC.

Every failure becomes one of two exceptions: ``ServerUnavailable`` (the server cannot be
reached or did not answer in time: retry later) or ``Refused`` (the server answered with an
error: its code and Chinese message are kept to show to the visitor).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

import aiohttp

from hardware.ticket_layout import TicketContent

DEFAULT_TIMEOUT_S = 5.0


class ServerUnavailable(Exception):
    """The queue server did not answer (down, unreachable, too slow)."""


class Refused(Exception):
    """The server answered with an error."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}


class HallClient:
    def __init__(self, base_url: str, token: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HallClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        try:
            async with self._http().request(
                method, self.base_url + path, json=body, headers={"Authorization": f"Bearer {self.token}"}
            ) as resp:
                data = await resp.json(content_type=None) if resp.status != 204 else None
                if resp.status >= 400:
                    error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
                    if resp.status >= 500 and error.get("code") in (None, "store_unavailable"):
                        raise ServerUnavailable(error.get("message") or f"HTTP {resp.status}")
                    raise Refused(
                        resp.status,
                        error.get("code", "http_error"),
                        error.get("message", f"HTTP {resp.status}"),
                        error.get("details"),
                    )
                return data
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise ServerUnavailable(str(exc) or type(exc).__name__) from exc

    async def services(self) -> dict[str, Any]:
        """Services (with waiting counts and open/closed), departments and home tiles."""
        return await self._call("GET", "/api/services")

    async def guides(self) -> list[dict[str, Any]]:
        return (await self._call("GET", "/api/guides"))["items"]

    async def guide(self, code: str) -> dict[str, Any]:
        return await self._call("GET", f"/api/guides/{code}")

    async def window_staff(self, window: int) -> dict[str, Any]:
        """亮牌: who serves at the window now (name, 工号); a display, clerk or manager token."""
        return await self._call("GET", f"/api/windows/{window}/staff")

    async def take_ticket(
        self, service: str, priority: str, request_id: str, id_number: str | None = None
    ) -> dict[str, Any]:
        """``id_number``: 身份证取号 (required by services with ``real_name`` "required")."""
        body = {"service": service, "priority": priority, "request_id": request_id}
        return await self._call("POST", "/api/tickets", _with_id(body, id_number))

    async def take_visit(
        self, services: list[str], priority: str, request_id: str, id_number: str | None = None
    ) -> dict[str, Any]:
        """Several services in one visit: one ticket carrying them all (``services``), or the
        first of linked tickets with the others in ``linked``, in the order to go."""
        body = {"services": services, "priority": priority, "request_id": request_id}
        return await self._call("POST", "/api/tickets", _with_id(body, id_number))

    async def check_in(self, code: str, request_id: str) -> dict[str, Any]:
        """预约取号: the booking's ticket, ``{ticket, booking, on_time, message}``. Asked again
        under the same ``request_id`` after a network failure, it gives the same ticket."""
        return await self._call("POST", f"/api/bookings/{quote(code, safe='')}/check-in", {"request_id": request_id})

    async def check_in_by_id(self, id_number: str, request_id: str) -> dict[str, Any]:
        """预约取号 by the ID card the booking was made with: as ``check_in`` (404
        ``unknown_booking`` when that ID has no booking today)."""
        return await self._call(
            "POST", "/api/bookings/check-in-by-id", {"id_number": id_number, "request_id": request_id}
        )

    async def report(self, component: str, state: str, message: str = "") -> None:
        """Tell the server how a part of this kiosk is (``state`` "ok" clears a fault)."""
        await self._call("POST", "/api/devices/faults", {"component": component, "state": state, "message": message})

    def events_url(self) -> str:
        """The event stream's address (ws:// or wss://); follow it with ``follow_events(...,
        token=self.token)`` for the full stream, without the token for the public one."""
        return self.base_url.replace("http", "ws", 1) + "/api/events"


async def follow_events(
    url: str,
    handle: Callable[[dict[str, Any]], None],
    on_link: Callable[[bool], None] = lambda connected: None,
    reconnect_s: float = 2.0,
    token: str | None = None,
) -> None:
    """Follow the event stream at ``url`` for ever: ``handle`` gets every message (a snapshot or
    ``resumed`` first, then events), ``on_link`` every change of the connection. After a drop it
    reconnects with the last ``seq`` it saw, so nothing is missed; a server that is full (503)
    is asked again after its ``Retry-After``.

    Without ``token`` it is the public stream (what ``/api/state`` shows: counts, calls,
    windows); with a device or staff token, every event (faults, ratings, priorities)."""
    seq: int | None = None
    connected = False
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with aiohttp.ClientSession() as session:
        while True:
            delay = reconnect_s
            try:
                async with session.ws_connect(
                    url + (f"?since={seq}" if seq is not None else ""), heartbeat=30, headers=headers
                ) as ws:
                    async for msg in ws:
                        if msg.type != aiohttp.WSMsgType.TEXT:
                            break
                        message = json.loads(msg.data)
                        seq = message.get("seq", seq)
                        if not connected:
                            connected = True
                            on_link(True)
                        handle(message)
            except aiohttp.WSServerHandshakeError as exc:
                retry_after = (exc.headers or {}).get("Retry-After", "")
                if exc.status == 503 and retry_after.isascii() and retry_after.isdigit():
                    delay = max(reconnect_s, min(float(retry_after), 300.0))
            except (TimeoutError, aiohttp.ClientError, ValueError):
                pass
            if connected:
                connected = False
                on_link(False)
            await asyncio.sleep(delay)


def _with_id(body: dict[str, Any], id_number: str | None) -> dict[str, Any]:
    return {**body, "id_number": id_number} if id_number else body


def status_url(ticket: dict[str, Any], server_url: str) -> str:
    """The link behind a ticket's QR code: the hall's public URL when configured, else ``server_url``."""
    return ticket.get("status_url") or server_url.rstrip("/") + (ticket.get("status_path") or "/")


def ticket_content(ticket: dict[str, Any], hall_name: str, server_url: str) -> TicketContent:
    """What the printer prints for a ticket as the API returns it (kiosk and reception desk alike)."""
    return TicketContent(
        hall_name=hall_name,
        number=ticket["number"],
        service_name=ticket["service_name"],
        waiting_ahead=ticket["waiting_ahead"],
        estimated_wait_s=ticket["estimated_wait_s"],
        issued_at=datetime.fromisoformat(ticket["issued_at"]),
        status_url=status_url(ticket, server_url),
        priority_label=ticket.get("priority_label") if ticket.get("priority") != "normal" else None,
        where=ticket.get("where", ""),
        also_services=tuple(s["name"] for s in ticket.get("services", [])[1:]),
        linked=tuple((t["number"], t["service_name"], t["where"]) for t in ticket.get("linked", [])),
    )
