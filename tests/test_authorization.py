"""The authorization matrix, from the route table itself: every operation × every role.

A role the operation lists gets past authorization (no 401, no 403 ``forbidden``); every other
role is refused before the handler runs (401 without a token, 403 ``forbidden`` with one). Scoped
operations refuse a clerk or evaluator outside its own window. Every answer is checked against the
generated OpenAPI document on the way (``tests/contract.py``), so each operation's real answers
are validated at least once here.
"""

from __future__ import annotations

import aiohttp
import pytest

from queue_server.api.operations import OPERATIONS
from queue_server.api.routes import Operation, Scope
from queue_server.store.accounts import Role
from tests.conftest import PASSWORD, Hall

OPS = {op.name: op for op in OPERATIONS}
WINDOW = 1  # the clerk and the evaluator under test are bound to window 1; window 2 is someone else's


async def prepare(hall: Hall) -> dict:
    """A hall where every operation has something to act on at window 1: a ticket rated low (so
    follow-up 1 is open), a ticket in hand at window 1 awaiting its rating, two more waiting."""
    clerk = await hall.clerk(WINDOW)
    await hall.clerk(2)
    first = await hall.issue("hukou")
    assert (await hall.client.post(f"/api/windows/{WINDOW}/call-next", headers=clerk)).status == 200
    assert (await hall.client.post(f"/api/tickets/{first['id']}/finish", headers=clerk)).status == 200
    rated = await hall.client.post(
        f"/api/windows/{WINDOW}/rating", json={"level": 1, "reasons": ["等候时间"]}, headers=hall.evaluator(WINDOW)
    )
    assert rated.status == 201, await rated.text()
    in_hand = await hall.issue("hukou")
    waiting = await hall.issue("idcard")
    await hall.issue("idcard")
    assert (await hall.client.post(f"/api/windows/{WINDOW}/call-next", headers=clerk)).status == 200
    asked = await hall.client.post(f"/api/windows/{WINDOW}/request-rating", headers=clerk)
    assert asked.status == 200, await asked.text()
    return {"in_hand": in_hand, "waiting": waiting}


def bodies(scene: dict) -> dict[str, dict]:
    """A valid body for each operation that takes one."""
    return {
        "login": {"login": "admin", "password": PASSWORD},
        "issue_ticket": {"service": "hukou"},
        "ticket_transfer": {"service": "idcard"},
        "call_number": {"number": scene["waiting"]["number"]},
        "rate": {"level": 5},
        "close_followup": {"resolution": "已电话回访并致歉"},
        "notices": {"notices": ["今日 12:00 至 14:00 午休"]},
        "device_fault": {"component": "printer", "state": "ok"},
        "reception_ticket": {"service": "hukou"},
        "sms_signup": {"phone": "13812345678"},
        "book": {"service": "hukou", "slot_start": "2026-11-25T10:00:00+08:00", "name": "张三", "phone": "13812345678"},
        "cancel_booking": {"phone": "13812345678"},
        "check_in": {},
        "check_in_by_id": {"id_number": "11010519491231002X"},
        "block_bookings": {"date": "2026-11-26", "reason": "业务培训"},
    }


def url(op: Operation, scene: dict, window: int = WINDOW) -> str:
    values = {
        "id": scene["in_hand"]["id"] if op.name != "close_followup" else 1,
        "number": window,
        "code": "hukou-in",
        "public_code": scene["in_hand"]["status_path"].rsplit("/", 1)[1],
        "booking_code": "K7M2XQ9P",
    }
    return op.path.format(**{name: values[name] for name in op.path_params})


async def headers_for(hall: Hall, role: Role) -> dict[str, str]:
    match role:
        case Role.ANONYMOUS:
            return {}
        case Role.KIOSK:
            return hall.kiosk()
        case Role.DISPLAY:
            return {"Authorization": f"Bearer {hall.display_token}"}
        case Role.EVALUATOR:
            return hall.evaluator(WINDOW)
        case Role.CLERK:
            return await hall.clerk(WINDOW)
        case Role.RECEPTION:
            return await hall.reception()
        case Role.MANAGER:
            return await hall.manager()
        case Role.ADMIN:
            return await hall.admin()


async def call(hall: Hall, op: Operation, scene: dict, headers: dict, window: int = WINDOW):
    body = bodies(scene).get(op.name) if op.body is not None else None
    if op.name == "events":
        return await _stream(hall, headers)
    resp = await hall.client.request(op.method, url(op, scene, window), json=body, headers=headers)
    data = await resp.json() if resp.content_type == "application/json" else None
    code = data.get("error", {}).get("code") if isinstance(data, dict) else None
    resp.close()
    return resp.status, code


async def _stream(hall: Hall, headers: dict) -> tuple[int, str | None]:
    """The event stream: 101 and a first message, or the refusal's status and code."""
    try:
        ws = await hall.client.ws_connect("/api/events", headers=headers)
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status, "unauthorized" if exc.status == 401 else None
    first = await ws.receive_json(timeout=5)
    await ws.close()
    assert first["type"] == "snapshot"
    return 101, None


def test_every_route_of_the_app_comes_from_the_table(hall):
    table = {op.name for op in OPERATIONS}
    pages = {
        "display",
        "display_asset",
        "clerk_page",
        "admin_page",
        "reports_page",
        "monthly_report_page",
        "rate_page",
        "staff_asset",
        "guides_page",
        "guide_page",
        "book_page",
        "booking_page",
    }
    names = {r.name for r in hall.client.app.router.routes() if r.method != "HEAD"}
    assert names == table | pages
    for op in OPERATIONS:
        assert op.roles, f"{op.name} declares nobody who may call it"
        if op.scope is Scope.OWN_WINDOW:
            assert "number" in op.path_params, op.name


@pytest.mark.parametrize("name", sorted(OPS))
async def test_each_role_is_let_in_or_refused_as_declared(hall, name):
    op = OPS[name]
    scene = await prepare(hall)
    for role in Role:
        status, code = await call(hall, op, scene, await headers_for(hall, role))
        if op.public or role in op.roles:
            assert status not in (401, 403), (name, role, status, code)
        elif role is Role.ANONYMOUS:
            assert (status, code) == (401, "unauthorized"), (name, role)
        else:
            assert (status, code) == (403, "forbidden"), (name, role, status, code)


@pytest.mark.parametrize("name", sorted(op.name for op in OPERATIONS if op.scope is Scope.OWN_WINDOW))
async def test_window_bound_roles_act_only_for_their_own_window(hall, name):
    op = OPS[name]
    scene = await prepare(hall)
    for role in (Role.CLERK, Role.EVALUATOR):
        if role in op.roles:
            status, code = await call(hall, op, scene, await headers_for(hall, role), window=2)
            assert (status, code) == (403, "wrong_window"), (name, role)
    if Role.ADMIN in op.roles:  # an admin acts for any window
        status, code = await call(hall, op, scene, await headers_for(hall, Role.ADMIN), window=2)
        assert status not in (401, 403), (name, status, code)


async def test_a_clerk_cannot_act_on_a_ticket_at_another_window(hall):
    scene = await prepare(hall)
    other = await hall.clerk(2)
    for action in ("recall", "no-show", "start", "finish", "transfer", "cancel"):
        body = {"service": "idcard"} if action == "transfer" else None
        resp = await hall.client.post(f"/api/tickets/{scene['in_hand']['id']}/{action}", json=body, headers=other)
        assert resp.status == 403 and (await resp.json())["error"]["code"] == "wrong_window", action


async def test_an_ended_or_unknown_token_is_refused_everywhere(hall):
    scene = await prepare(hall)
    bad = {"Authorization": "Bearer not-a-token-of-this-hall"}
    for op in OPERATIONS:
        status, code = await call(hall, op, scene, bad)
        assert (status, code) == (401, "unauthorized"), op.name
