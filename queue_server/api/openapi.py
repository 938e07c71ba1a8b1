"""The OpenAPI 3.1 document, written from the route table and the pydantic models.

Nothing here is typed twice: paths, methods, parameters, bodies and answers come from
``operations.OPERATIONS`` and ``models.py``; who may call each operation from its roles; the
error answers from the codes the operation can send (its own, plus those its roles, scope and
body imply), each status with exactly the codes it can carry.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from queue_server.api.errors import ERRORS
from queue_server.api.routes import PATH_PARAMS, Operation, Scope
from queue_server.store.accounts import Role

REF = "#/components/schemas/{model}"


def implied_errors(op: Operation) -> list[str]:
    """Every error code ``op`` can answer with, its declared ones and the implied ones."""
    codes: list[str] = []
    if op.body is not None:
        codes += ["malformed_json", "invalid_request", "payload_too_large"]
    if op.media_type == "application/json" and op.status != 101:
        codes += ["store_unavailable"]
    if not op.public:
        codes += ["unauthorized", "token_expired", "forbidden"]
    else:
        codes += ["unauthorized", "token_expired"]  # a public route still refuses a bad token
    if op.scope is Scope.OWN_WINDOW:
        codes.append("wrong_window")
    if op.status == 101:
        codes.append("invalid_request")  # not a WebSocket upgrade, or a bad ?since
    codes += list(op.errors)
    codes.append("internal_error")
    return list(dict.fromkeys(codes))


def _error_schema(codes: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": {"enum": codes},
                    "message": {"type": "string"},
                    "details": {"type": "object"},
                },
            }
        },
    }


def _responses(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if op.status == 101:
        out["101"] = {"description": "Switching to the WebSocket protocol."}
    elif op.media_type == "text/html":
        out["200"] = {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}}
        out["404"] = {
            "description": "No such ticket (the page says so).",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    elif op.media_type.startswith("image/"):
        binary = {"schema": {"type": "string", "contentMediaType": op.media_type}}
        out["200"] = {"description": op.summary, "content": {op.media_type: binary}}
    elif op.response is not None:
        content = {"application/json": {"schema": {"$ref": REF.format(model=op.response.__name__)}}}
        for media_type in op.files:  # the same answer as a file (format=csv, format=xlsx)
            content[media_type] = {"schema": {"type": "string", "contentMediaType": media_type}}
        out[str(op.status)] = {"description": op.summary, "content": content}
        if op.status == 201:  # a repeated request (same request_id) answers the first result
            out["200"] = {"description": "The same request again: the first answer.", "content": content}
    else:
        out["200"] = {"description": "The answer.", "content": {"application/json": {"schema": {}}}}
    if op.empty_status is not None:
        out[str(op.empty_status)] = {"description": "Nothing (no content)."}
    by_status: dict[int, list[str]] = {}
    for code in implied_errors(op):
        by_status.setdefault(ERRORS[code][0], []).append(code)
    for status, codes in sorted(by_status.items()):
        out[str(status)] = {
            "description": "; ".join(f"`{c}`: {ERRORS[c][1]}" for c in codes),
            "content": {"application/json": {"schema": _error_schema(codes)}},
        }
    return out


def _operation(op: Operation) -> dict[str, Any]:
    allowed = sorted(r.value for r in op.roles) if not op.public else ["anyone"]
    doc: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "description": (op.description + "\n\n" if op.description else "")
        + f"Who may call it: {', '.join(allowed)}."
        + (" Clerks and evaluators only for their own window." if op.scope is Scope.OWN_WINDOW else ""),
        "tags": list(op.tags),
        "x-roles": sorted(r.value for r in op.roles),
        "x-scope": op.scope.value,
        "responses": _responses(op),
    }
    # A public operation may be called without a token ({}) or with one.
    doc["security"] = [{}, {"bearer": []}] if op.public else [{"bearer": []}]
    params = [
        {"name": name, "in": "path", "required": True, "schema": PATH_PARAMS[name].schema} for name in op.path_params
    ]
    params += [
        {"name": q.name, "in": "query", "required": False, "schema": q.schema, "description": q.description}
        for q in op.query
    ]
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=op.body.__name__)}}},
        }
    return doc


def openapi_document(operations: tuple[Operation, ...]) -> dict[str, Any]:
    models: dict[str, type[BaseModel]] = {}
    for op in operations:
        for model in (op.body, op.response):
            if model is not None:
                models[model.__name__] = model
    _, schemas = models_json_schema([(model, "validation") for model in models.values()], ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hallqueue",
            "version": "2",
            "description": "Queue server of a government service hall (政务服务中心). Every error is "
            '`{"error": {"code", "message"}}`; codes are stable, messages Chinese. Roles: '
            + ", ".join(r.value for r in Role)
            + ". Devices and staff send `Authorization: Bearer TOKEN`.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas.get("$defs", {}),
        },
        "paths": paths,
    }
