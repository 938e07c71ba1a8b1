"""Every error leaves the API as ``{"error": {"code": ..., "message": ...}}``.

Codes are stable (clients and tests match on them); messages are plain Chinese for the
people in the hall. Only a bug is a 500, and it is logged with its stack.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from queue_server.api import validation
from queue_server.core.errors import QueueError
from queue_server.runtime.engine import CommandFailed, StoreUnavailable

_LOGGER = logging.getLogger(__name__)

#: Every error code the server can send, its HTTP status and what it means. The OpenAPI document
#: lists them per operation; a test checks that every core refusal (``QueueError``) is here.
ERRORS: dict[str, tuple[int, str]] = {
    "malformed_json": (400, "The body is not JSON."),
    "invalid_request": (400, "A field is missing or invalid; details.problems says which."),
    "window_required": (400, "A clerk signs in at a window: the sign-in named none."),
    "invalid_period": (400, "A report's from or to is not YYYY-MM-DD, or from is after to."),
    "outside_data": (400, "A report period shares no day with the stored tickets (details: data_from, data_to)."),
    "unknown_grouping": (400, "A report's by= is none of service, department, window, clerk, hour, weekday, day."),
    "invalid_filter": (400, "A report's filter names no department, service, window or priority class the hall has."),
    "unauthorized": (401, "No token, or a token the hall does not know (revoked, signed out)."),
    "token_expired": (401, "The session ended: signed out, idle too long, or past its hours."),
    "invalid_credentials": (401, "Wrong login or password."),
    "forbidden": (403, "This caller's role may not do this."),
    "forbidden_priority": (403, "This caller may not issue that priority class."),
    "forbidden_takeover": (403, "Another clerk holds the window and the hall's rules do not let this one take over."),
    "wrong_window": (403, "The caller is bound to another window."),
    "not_found": (404, "No such address."),
    "unknown_window": (404, "The hall has no such window."),
    "unknown_ticket": (404, "No such ticket (in play, or at this window)."),
    "unknown_guide": (404, "No such service guide item."),
    "unknown_followup": (404, "No open follow-up with that id."),
    "no_photo": (404, "Nobody serves at the window now, or they have no photo."),
    "no_phone": (404, "The visitor left no call-back number for this follow-up."),
    "method_not_allowed": (405, "The address does not take this method (see Allow)."),
    "payload_too_large": (413, "The body is over 16 KiB."),
    "unknown_service": (422, "The body names a service the hall does not have."),
    "invalid_phone": (422, "Not a mainland mobile number (11 digits starting 13-19; spaces, dashes, +86 allowed)."),
    "illegal_transition": (409, "The action does not apply to the ticket in its present status."),
    "service_closed": (409, "The service does not issue tickets now (its hours are in details)."),
    "daily_cap_reached": (409, "The service's tickets for today are all taken."),
    "recall_limit": (409, "Recalled as often as the hall's rules allow."),
    "window_closed": (409, "Nobody is signed in at the window."),
    "window_paused": (409, "The window is paused (暂停服务)."),
    "window_busy": (409, "The window still has a ticket in hand."),
    "window_occupied": (409, "Another clerk is signed in at the window."),
    "service_unserved": (409, "The change would leave a service with no window to serve it."),
    "nothing_to_rate": (409, "Nothing to rate: no served ticket awaits a rating, or it was not finished today."),
    "already_rated": (409, "The ticket has had its one 好差评, from the window's tablet or by phone."),
    "duplicate_number": (409, "The number was handed out already."),
    "sms_unavailable": (409, "The hall sends no SMS reminders ([notify] names no sink)."),
    "ticket_ended": (409, "The ticket is over (served, 过号, cancelled or expired): nothing left to remind of."),
    "phone_change_limit": (409, "A number was left for this ticket as often as allowed (5)."),
    "too_many_attempts": (429, "Too many failed sign-ins; Retry-After says when to try again."),
    "rate_limited": (429, "This kiosk takes tickets faster than the hall allows; Retry-After says when."),
    "id_required": (422, "The service issues tickets by ID only (real_name = required): give id_number."),
    "id_daily_limit": (409, "This ID number has taken the service's tickets for today (details.number)."),
    "booking_rate_limited": (
        429,
        "Booking requests from this address faster than [booking] allows; Retry-After says when.",
    ),
    "invalid_name": (422, "The booking's name is empty or not a name (details.field: name)."),
    "invalid_id_number": (422, "Not a GB 11643 citizen ID number: its check character fails (details.field)."),
    "not_bookable": (409, "The service takes no bookings: visitors take a ticket at the kiosk."),
    "slot_unavailable": (409, "Not a slot of the service, begun already, beyond days_ahead, or blocked by staff."),
    "slot_full": (409, "The slot's places are all booked."),
    "already_booked": (409, "This phone (or ID number) has a booking for this service that day already."),
    "booking_blocked": (409, "This phone missed too many bookings lately (details.until)."),
    "booking_over": (409, "The booking is checked in, missed or past: it cannot be cancelled."),
    "unknown_booking": (404, "No booking with this code (and, for visitors, this phone number)."),
    "too_early": (409, "Before the check-in window (details.come_back_at, come_back_time)."),
    "too_late": (409, "After the check-in window (another day, or [booking] late = refuse)."),
    "cancelled": (409, "The booking was cancelled."),
    "used": (409, "The booking has checked in already (details.number: its ticket)."),
    "unknown_block": (404, "No such active booking block."),
    "sms_rate_limited": (429, "Numbers left from this address faster than [notify] allows; Retry-After says when."),
    "internal_error": (500, "A bug; nothing was changed. Logged with its stack."),
    "store_unavailable": (503, "The database could not be written; nothing happened."),
    "too_many_connections": (503, "The event stream is full (in total or from this address)."),
}


def status_of(code: str) -> int:
    return ERRORS[code][0]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None, **details: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.details, self.headers = status, code, message, details, headers


def error_response(
    status: int, code: str, message: str, details: dict | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return web.json_response({"error": body}, status=status, headers=headers, dumps=_dumps)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


_HTTP_CODES = {
    400: ("invalid_request", "请求有误"),
    404: ("not_found", "没有这个地址"),
    405: ("method_not_allowed", "这个地址不支持该请求方法"),
    413: ("payload_too_large", "请求内容过大"),
}


@web.middleware
async def error_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
    except QueueError as exc:
        status = ERRORS.get(exc.code, (409, ""))[0]
        return error_response(status, exc.code, exc.message, exc.details)
    except StoreUnavailable as exc:
        return error_response(503, "store_unavailable", f"系统暂时无法保存，请稍后重试（{exc}）")
    except CommandFailed:
        return error_response(500, "internal_error", "系统内部错误，操作未生效")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, message = _HTTP_CODES.get(exc.status, ("http_error", exc.reason))
        # 405 keeps its Allow header: the client learns which methods the address takes.
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return error_response(exc.status, code, message, headers=allow)
    except Exception:
        _LOGGER.exception("unexpected error in %s %s", request.method, request.path)
        return error_response(500, "internal_error", "系统内部错误")


async def read_json(request: web.Request, model: type[BaseModel]) -> BaseModel:
    """Parse and validate a JSON body; 400 with a readable reason otherwise.

    aiohttp enforces the size limit while reading (413 before any parsing).
    """
    raw = await request.read()
    try:
        data = json.loads(raw or b"{}")
    except json.JSONDecodeError as exc:
        where = f"（第 {exc.lineno} 行第 {exc.colno} 列）"
        raise ApiError(400, "malformed_json", f"请求不是合法的 JSON{where}") from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "malformed_json", "请求不是合法的 JSON（不是 UTF-8 文本）") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        said = validation.problems(exc)
        raise ApiError(400, "invalid_request", "请求内容有误：" + "；".join(said), problems=said) from None
