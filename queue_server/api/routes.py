"""The route table's machinery: what an operation declares, and how the table becomes the app.

Every operation of the API is declared once, as an :class:`Operation`: its method and path, the
pydantic models of its body and its answer, **who may call it** (roles) and **for what** (scope),
and the error codes it can send. :func:`register` turns the table into aiohttp routes whose
wrapper authorizes the caller and validates the body *before* the handler runs, so a handler
never checks a role by hand. ``openapi.py`` writes the OpenAPI document from the same table,
and ``tests/test_authorization.py`` walks every operation with every role.
"""

from __future__ import annotations

import asyncio
import enum
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel

from queue_server.api import appkeys
from queue_server.api.errors import ApiError, read_json
from queue_server.config.hall_files import HallFiles
from queue_server.core.model import HallConfig
from queue_server.runtime.engine import Context
from queue_server.store.accounts import WINDOW_BOUND_ROLES, Principal, Role

T = TypeVar("T")
PRINCIPAL = web.RequestKey("principal", Principal)  # set once the caller is known, for the request log


class Scope(enum.StrEnum):
    """What an allowed caller may act on."""

    HALL = "hall"  # the whole hall
    # The window in the path only: a clerk the window signed in to, an evaluator the window it
    # is bound to. Roles not bound to a window (manager, admin) act for any window.
    OWN_WINDOW = "own_window"


@dataclass(frozen=True)
class PathParam:
    """A path parameter: a bounded pattern for the router, its Python type, its JSON schema."""

    pattern: str
    convert: Callable[[str], Any]
    schema: dict[str, Any]


# Bounded patterns: a 4,300-digit id never reaches int(), it is a plain 404.
PATH_PARAMS: dict[str, PathParam] = {
    "id": PathParam(r"[1-9][0-9]{0,8}", int, {"type": "integer", "minimum": 1, "maximum": 999_999_999}),
    "number": PathParam(r"[1-9][0-9]{0,3}", int, {"type": "integer", "minimum": 1, "maximum": 9999}),
    "code": PathParam(r"[a-z0-9][a-z0-9_-]{0,39}", str, {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]{0,39}$"}),
    # A booking code as typed or scanned; the handler reads it (any case) and answers a wrong one
    # with the API's unknown_booking, not the router's plain 404.
    "booking_code": PathParam(r"[A-Za-z0-9]{1,20}", str, {"type": "string", "pattern": r"^[A-Za-z0-9]{1,20}$"}),
    "public_code": PathParam(r"[A-Za-z0-9_-]{4,20}", str, {"type": "string", "pattern": r"^[A-Za-z0-9_-]{4,20}$"}),
}
_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class QueryParam:
    """A query parameter the operation reads (documented; the handler parses it)."""

    name: str
    schema: dict[str, Any]
    description: str = ""


@dataclass(frozen=True)
class Reply:
    """A handler's answer when the declared status is not the whole story (201 or 200, headers)."""

    data: Any
    status: int | None = None
    headers: dict[str, str] | None = None


@dataclass
class Call:
    """What a handler gets: the request, the authorized caller, the validated body and path."""

    request: web.Request
    principal: Principal | None
    body: Any
    params: dict[str, Any]

    @property
    def app(self) -> web.Application:
        return self.request.app

    async def run(self, command: Callable[[Context], T]) -> T:
        """Run a command on the hall in the engine's next batch (see ``runtime/engine.py``)."""
        return await self.app[appkeys.ENGINE].submit(command)

    @property
    def files(self) -> HallFiles:
        """The hall config and guides as the server runs them now (``hallqueue reload`` replaces
        them; read them here at each request, never keep a copy)."""
        return self.app[appkeys.FILES]

    async def live_config(self) -> HallConfig:
        """The hall config as the hall runs it now: the file's, with the manager's 潮汐窗口 changes."""
        return await self.run(lambda ctx: ctx.state.config)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking read (the database) on the reader threads."""
        return await asyncio.get_running_loop().run_in_executor(self.app[appkeys.READERS], fn, *args)


Handler = Callable[[Call], Awaitable[Any]]


@dataclass(frozen=True)
class Operation:
    """One operation of the API, declared once. See the module docstring."""

    name: str  # the operationId and the aiohttp route name
    method: str
    path: str  # OpenAPI form: /api/windows/{number}/call-next
    handler: Handler
    summary: str
    roles: frozenset[Role]
    scope: Scope = Scope.HALL
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None  # None: no JSON body (204, a page, a WebSocket)
    status: int = 200
    empty_status: int | None = None  # the status when the handler answers None (204)
    errors: tuple[str, ...] = ()  # the domain error codes it can send (auth and body errors are added)
    query: tuple[QueryParam, ...] = ()
    media_type: str = "application/json"  # text/html for the status page
    files: tuple[str, ...] = ()  # other media types the JSON answer may come as (a report's CSV, XLSX)
    description: str = ""
    tags: tuple[str, ...] = field(default=())

    @property
    def path_params(self) -> list[str]:
        return _PARAM.findall(self.path)

    @property
    def public(self) -> bool:
        return Role.ANONYMOUS in self.roles

    def router_path(self) -> str:
        return _PARAM.sub(lambda m: f"{{{m.group(1)}:{PATH_PARAMS[m.group(1)].pattern}}}", self.path)


def roles(*allowed: Role) -> frozenset[Role]:
    return frozenset(allowed)


EVERYONE = roles(*Role)


async def authorize(request: web.Request, op: Operation, params: dict[str, Any]) -> Principal | None:
    """The caller of ``op``, refused before the handler runs: 401 without a valid token (unless
    the operation is public), 403 ``forbidden`` for a role it does not list, 403 ``wrong_window``
    outside the caller's window."""
    auth = request.app[appkeys.AUTH]
    if op.public and not auth.has_credentials(request):
        return None
    principal = await auth.identify(request)
    request[PRINCIPAL] = principal
    if not op.public and principal.role not in op.roles:
        raise ApiError(
            403, "forbidden", "当前账号无权进行此操作", allowed=sorted(r.value for r in op.roles if r != Role.ANONYMOUS)
        )
    if op.scope is Scope.OWN_WINDOW and principal.role in WINDOW_BOUND_ROLES:
        window = params["number"]
        if principal.window != window:
            raise ApiError(
                403,
                "wrong_window",
                f"您登录的是 {principal.window} 号窗口，不能操作 {window} 号窗口",
                signed_in_window=principal.window,
                window=window,
            )
    return principal


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def endpoint(op: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler of ``op``: authorize, validate, call, answer as declared."""

    async def handle(request: web.Request) -> web.StreamResponse:
        params = {name: PATH_PARAMS[name].convert(request.match_info[name]) for name in op.path_params}
        principal = await authorize(request, op, params)
        body = await read_json(request, op.body) if op.body is not None else None
        result = await op.handler(Call(request, principal, body, params))
        if isinstance(result, web.StreamResponse):
            return result
        if result is None and op.empty_status is not None:
            return web.Response(status=op.empty_status)
        if isinstance(result, Reply):
            return json_response(result.data, result.status or op.status, result.headers)
        return json_response(result, op.status)

    handle.__name__ = op.name
    handle.__doc__ = op.summary
    return handle


def register(app: web.Application, operations: Iterable[Operation]) -> None:
    """Add every operation of the table to the app's router."""
    for op in operations:
        app.router.add_route(op.method, op.router_path(), endpoint(op), name=op.name)
