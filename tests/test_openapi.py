"""The OpenAPI document stays true: valid, naming exactly the served routes, matching responses."""

from __future__ import annotations

import re

import jsonschema
from openapi_spec_validator import validate

from queue_server.api.openapi import openapi_document


def served_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route, alternatives like ``{action:recall|start}`` expanded."""
    routes = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info()
        if "path" in info:
            routes.add((route.method.lower(), info["path"]))
            continue
        pattern = info["pattern"].pattern.replace("\\", "")
        paths = [pattern]
        for name, body in re.findall(r"\(\?P<(\w+)>([^)]*)\)", pattern):
            group = f"(?P<{name}>{body})"
            if re.fullmatch(r"[a-z|-]+", body):
                paths = [p.replace(group, alt) for p in paths for alt in body.split("|")]
            else:
                paths = [p.replace(group, "{" + name + "}") for p in paths]
        routes.update((route.method.lower(), p) for p in paths)
    return routes


def test_document_is_valid_openapi():
    validate(openapi_document())


async def test_document_names_exactly_the_served_routes(hall):
    doc = openapi_document()
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert documented == served_routes(hall.client.app)
    resp = await hall.client.get("/api/openapi.json")
    assert await resp.json() == doc


def _local_refs(node):
    """The document's schemas with ``#/components/schemas/X`` refs pointing at ``#/$defs/X``."""
    if isinstance(node, dict):
        return {
            k: (v.replace("#/components/schemas/", "#/$defs/") if k == "$ref" else _local_refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_local_refs(v) for v in node]
    return node


def check(doc, path: str, method: str, status: int, body) -> None:
    """Validate a real response body against the schema the document gives for it."""
    response = doc["paths"][path][method]["responses"][str(status)]
    schema = _local_refs(response["content"]["application/json"]["schema"])
    schema["$defs"] = _local_refs(doc["components"]["schemas"])
    jsonschema.Draft202012Validator(schema).validate(body)


def test_check_rejects_a_body_that_breaks_the_schema():
    doc = openapi_document()
    try:
        check(doc, "/api/tickets", "post", 201, {"id": "seven", "number": "A001"})
    except jsonschema.ValidationError:
        return
    raise AssertionError("a ticket without its required fields passed the schema check")


async def test_real_responses_match_the_documented_schemas(hall):
    doc = openapi_document()
    c = hall.client
    h1 = await hall.clerk(1)
    t = await hall.issue("hukou")
    check(doc, "/api/tickets", "post", 201, t)
    check(doc, "/api/services", "get", 200, await (await c.get("/api/services")).json())
    called = await (await c.post("/api/windows/1/call-next", headers=h1)).json()
    check(doc, "/api/windows/{number}/call-next", "post", 200, called)
    check(doc, "/api/state", "get", 200, await (await c.get("/api/state")).json())
    check(doc, "/api/health", "get", 200, await (await c.get("/api/health")).json())
    done = await (await c.post(f"/api/tickets/{t['id']}/finish", headers=h1)).json()
    check(doc, "/api/tickets/{id}/finish", "post", 200, done)
    check(
        doc,
        "/api/tickets/{id}",
        "get",
        200,
        await (await c.get(f"/api/tickets/{t['id']}", headers=hall.kiosk())).json(),
    )
    paused = await (await c.post("/api/windows/1/pause", headers=h1)).json()
    check(doc, "/api/windows/{number}/pause", "post", 200, paused)
    err = await (await c.post("/api/tickets", data=b"{", headers=hall.kiosk())).json()
    check(doc, "/api/tickets", "post", 400, err)
    login = await (await c.post("/api/login", json={"login": "admin", "password": "correct horse battery"})).json()
    check(doc, "/api/login", "post", 200, login)
