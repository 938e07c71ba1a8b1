"""The OpenAPI document is generated from the route table and stays true: a valid document that
names exactly the served operations, every error code the server can send, and answers that match
it (checked on every answer of the suite by ``tests/contract.py``)."""

from __future__ import annotations

import inspect

from openapi_spec_validator import validate

from queue_server.api.errors import ERRORS
from queue_server.api.openapi import implied_errors, openapi_document
from queue_server.api.operations import OPERATIONS
from queue_server.core import errors as core_errors
from tests.contract import DOC, violation


def test_document_is_valid_openapi():
    validate(openapi_document(OPERATIONS))


async def test_the_server_serves_the_document_of_its_table(hall):
    resp = await hall.client.get("/api/openapi.json")
    assert await resp.json() == DOC
    documented = {(m.upper(), path) for path, ops in DOC["paths"].items() for m in ops}
    assert documented == {(op.method, op.path) for op in OPERATIONS}


def test_each_operation_says_who_may_call_it():
    for op in OPERATIONS:
        doc = DOC["paths"][op.path][op.method.lower()]
        assert doc["x-roles"] == sorted(r.value for r in op.roles), op.name
        assert doc["security"] == ([{}, {"bearer": []}] if op.public else [{"bearer": []}]), op.name


def test_every_refusal_of_the_core_has_a_documented_code():
    refusals = [
        cls
        for _, cls in inspect.getmembers(core_errors, inspect.isclass)
        if issubclass(cls, core_errors.QueueError) and cls is not core_errors.QueueError
    ]
    assert refusals
    for cls in refusals:
        assert cls.code in ERRORS, cls.__name__


def test_every_declared_code_exists_and_errors_are_listed_under_their_status():
    for op in OPERATIONS:
        responses = DOC["paths"][op.path][op.method.lower()]["responses"]
        for code in implied_errors(op):
            status, _ = ERRORS[code]
            listed = responses[str(status)]["content"]["application/json"]["schema"]
            assert code in listed["properties"]["error"]["properties"]["code"]["enum"], (op.name, code)


def test_request_constraints_reach_the_document():
    schemas = DOC["components"]["schemas"]
    issue = schemas["IssueRequest"]
    assert issue["additionalProperties"] is False
    service = issue["properties"]["service"]["anyOf"][0]
    assert service["maxLength"] == 40 and "pattern" in service
    services = issue["properties"]["services"]["anyOf"][0]
    assert services["maxItems"] == 5 and services["items"]["maxLength"] == 40
    assert issue["properties"]["request_id"]["anyOf"][0]["minLength"] == 1
    assert schemas["CloseFollowUp"]["properties"]["resolution"]["minLength"] == 2
    rating = schemas["RatingBody"]["properties"]
    assert rating["level"]["minimum"] == 1 and rating["level"]["maximum"] == 5
    assert "enum" in rating["reasons"]["items"]
    ticket = DOC["paths"]["/api/tickets/{id}"]["get"]["parameters"][0]["schema"]
    assert ticket == {"type": "integer", "minimum": 1, "maximum": 999_999_999}


def test_response_schemas_are_precise():
    schemas = DOC["components"]["schemas"]
    assert schemas["Ticket"]["additionalProperties"] is False
    assert schemas["State"]["properties"]["windows"]["items"] == {"$ref": "#/components/schemas/WindowView"}
    ok = DOC["paths"]["/api/windows/{number}/queue"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/WindowQueue"}


def test_the_contract_check_catches_a_broken_answer():
    assert violation("issue_ticket", 201, b'{"id": "seven", "number": "A001"}')
    assert violation("issue_ticket", 418, b"{}") == "issue_ticket: status 418 is not documented"
    wrong_code = b'{"error": {"code": "window_busy", "message": "x"}}'
    assert violation("issue_ticket", 409, wrong_code)  # window_busy is not something 取号 can answer
    assert violation("issue_ticket", 409, b'{"error": {"code": "service_closed", "message": "x"}}') is None
