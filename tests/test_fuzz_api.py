"""Property-based fuzzing of the whole API from its generated OpenAPI document (schemathesis).

A real ``hallqueue serve`` process on loopback; every operation is called with generated
parameters and bodies, valid and invalid, once per role's token. No answer may be a 5xx, and every
answer must be one the document declares, with a body its schema allows. The example count is
modest so CI stays fast; the authorization matrix and the contract middleware cover the rest.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from queue_server.store import accounts
from queue_server.store.database import open_database
from tests.serverproc import ALL_DAY_HALL, ServerProcess

PASSWORD = "fuzzing password"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Signing out ends the very tokens the other examples use; the authorization matrix covers them.
NOT_FUZZED = ("logout", "sign_out_window")
FUZZ_HALL = ALL_DAY_HALL + "\n[limits]\nkiosk_tickets_per_minute = 100000\nlogin_failures = 1000\n"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    config = folder / "hall.toml"
    config.write_text(FUZZ_HALL, encoding="utf-8")
    db_path = folder / "hall.db"
    now = datetime.now(UTC)
    db = open_database(db_path)
    tokens = {
        "kiosk": accounts.add_device(db, "kiosk-1", "kiosk", now),
        "display": accounts.add_device(db, "display-1", "display", now),
        "evaluator": accounts.add_device(db, "tablet-1", "evaluator", now, window=1),
    }
    for login, role in (("clerk1", "clerk"), ("desk", "reception"), ("boss", "manager"), ("it", "admin")):
        accounts.add_user(db, login, role, PASSWORD, now)
    db.close()
    server = ServerProcess(db_path, config, folder / "server.log", log_level="warning")
    asyncio.run(server.start())
    for login, role, window in (
        ("clerk1", "clerk", 1),
        ("desk", "reception", None),
        ("boss", "manager", None),
        ("it", "admin", None),
    ):
        body = {"login": login, "password": PASSWORD, **({"window": window} if window else {})}
        resp = requests.post(server.url + "/api/login", json=body, timeout=10)
        assert resp.status_code == 200, resp.text
        tokens[role] = resp.json()["token"]
    yield server, tokens
    server.stop()


@pytest.fixture(scope="module")
def api_operations(fuzz_server):
    server, _ = fuzz_server
    doc = requests.get(server.url + "/api/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(doc)
    schema.config.base_url = server.url
    return {op.definition.raw["operationId"]: op for op in (r.ok() for r in schema.get_all_operations())}


def operation_ids() -> list[str]:
    from queue_server.api.operations import OPERATIONS

    return [op.name for op in OPERATIONS if op.name not in NOT_FUZZED]


# schemathesis' own pytest plugin does not load under this pytest; its strategies are driven
# by hypothesis directly instead, one test per operation.
@pytest.mark.parametrize("operation_id", operation_ids())
def test_no_server_error_and_every_answer_as_documented(operation_id, api_operations, fuzz_server):
    server, tokens = fuzz_server
    operation = api_operations[operation_id]

    @given(case=operation.as_strategy())
    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def run(case):
        for token in (None, *tokens.values()):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS, timeout=10)
            assert response.status_code < 500, response.text[:300]

    run()
