"""The API contract, checked on every real answer the test suite gets.

``check_contract`` is a middleware the test fixtures put outermost in the app: each answer of an
operation is validated against the schema the generated OpenAPI document gives for its status
(and an undocumented status is a violation too). Violations are collected, not raised inside the
server, and the fixture that installed the middleware fails the test with them.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from typing import Any

import jsonschema
from aiohttp import web

from queue_server.api.openapi import openapi_document
from queue_server.api.operations import OPERATIONS

DOC = openapi_document(OPERATIONS)
BY_NAME = {op.name: op for op in OPERATIONS}
VIOLATIONS = web.AppKey("contract_violations", list)
SEEN: dict[str, set[int]] = defaultdict(set)  # operation -> statuses answered, over the whole session


def _local_refs(node: Any) -> Any:
    """A schema with ``#/components/schemas/X`` refs pointing at ``#/$defs/X``."""
    if isinstance(node, dict):
        return {
            k: (v.replace("#/components/schemas/", "#/$defs/") if k == "$ref" else _local_refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_local_refs(v) for v in node]
    return node


_DEFS = _local_refs(DOC["components"]["schemas"])


@functools.cache
def _validator(operation: str, status: int) -> jsonschema.protocols.Validator | None:
    """One compiled validator per (operation, status): building one per answer would slow the
    suite's busiest tests (hundreds of answers) for nothing."""
    _, schema = response_schema(operation, status)
    return jsonschema.Draft202012Validator(schema) if schema is not None else None


def response_schema(
    operation: str, status: int, media_type: str = "application/json"
) -> tuple[bool, dict[str, Any] | None]:
    """(documented, JSON schema or None for a body that is not JSON) of an answer."""
    op = BY_NAME[operation]
    documented = DOC["paths"][op.path][op.method.lower()]["responses"].get(str(status))
    if documented is None:
        return False, None
    if media_type != "application/json" and media_type in op.files:
        return media_type in documented.get("content", {}), None  # a file the operation declares
    content = documented.get("content", {}).get("application/json")
    if content is None:
        return True, None
    return True, {**_local_refs(content["schema"]), "$defs": _DEFS}


def violation(operation: str, status: int, body: bytes | None, media_type: str = "application/json") -> str | None:
    """Why an answer breaks the contract, or None."""
    documented, schema = response_schema(operation, status, media_type)
    if not documented:
        shown = "" if media_type == "application/json" else f" ({media_type})"
        return f"{operation}: status {status}{shown} is not documented"
    if schema is None or status in (101, 204):
        return None
    try:
        _validator(operation, status).validate(json.loads(body or b"null"))
    except (ValueError, jsonschema.ValidationError) as exc:
        return f"{operation} {status}: {str(exc)[:600]}"
    return None


@web.middleware
async def check_contract(request: web.Request, handler):
    response = await handler(request)
    route = request.match_info.route
    name = route.name if route is not None else None
    if name in BY_NAME:
        SEEN[name].add(response.status)
        body = response.body if isinstance(response, web.Response) else None
        problem = violation(name, response.status, body if isinstance(body, bytes) else None, response.content_type)
        if problem:
            request.app[VIOLATIONS].append(problem)
    return response


def install(app: web.Application) -> list[str]:
    """Put the contract check outermost in ``app``; returns the list violations go to."""
    app[VIOLATIONS] = []
    app.middlewares.insert(0, check_contract)
    return app[VIOLATIONS]
