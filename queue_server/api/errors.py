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

from queue_server.core.errors import QueueError
from queue_server.runtime.engine import CommandFailed, StoreUnavailable

_LOGGER = logging.getLogger(__name__)

#: HTTP status of each core refusal
QUEUE_ERROR_STATUS = {
    "unknown_service": 422,
    "unknown_window": 404,
    "unknown_ticket": 404,
    "wrong_window": 403,
}  # every other QueueError is a conflict with the present state: 409


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(status: int, code: str, message: str, details: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return web.json_response({"error": body}, status=status, headers=headers, dumps=_dumps)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


_HTTP_CODES = {
    404: ("not_found", "没有这个地址"),
    405: ("method_not_allowed", "这个地址不支持该请求方法"),
    413: ("payload_too_large", "请求内容过大"),
}


@web.middleware
async def error_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.details)
    except QueueError as exc:
        status = QUEUE_ERROR_STATUS.get(exc.code, 409)
        return error_response(status, exc.code, exc.message, exc.details)
    except StoreUnavailable as exc:
        return error_response(503, "store_unavailable", f"系统暂时无法保存，请稍后重试（{exc}）")
    except CommandFailed:
        return error_response(500, "internal_error", "系统内部错误，操作未生效")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, message = _HTTP_CODES.get(exc.status, ("http_error", exc.reason))
        return error_response(exc.status, code, message)
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
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"请求不是合法的 JSON：{exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['msg']}" for e in exc.errors()]
        raise ApiError(400, "invalid_request", "请求内容有误：" + "; ".join(problems), problems=problems) from None
