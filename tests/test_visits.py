"""Several services in one visit: one number when a window serves them all (老年人优待证 + 老年人免费
乘车卡, the seed's "two elderly cards in one visit"), linked tickets otherwise; caps, priorities,
idempotency and the audit log hold for each."""

from __future__ import annotations

from datetime import timedelta

import pytest

from queue_server.config.hall_file import parse_hall_config
from queue_server.core import errors
from queue_server.core.hall import HallState, Restored
from queue_server.core.model import EventKind, Priority, Status
from queue_server.store.database import Store
from queue_server.store.figures import today_figures

from .conftest import OPENING, hall_data
from .test_api import error_of
from .test_core import new_state


def visit_hall() -> dict:
    """The test hall: windows 1 and 2 serve 户口 and 身份证, window 3 only 纳税 (tax)."""
    return hall_data()


def test_one_window_serves_both_so_the_visitor_gets_one_number():
    state = new_state(visit_hall())
    [issued] = state.issue_visit(("hukou", "idcard"), Priority.ELDERLY, "kiosk:k", OPENING, "r1")
    ticket = state.active[issued.ticket_id]
    assert ticket.number == "A001" and ticket.services == ("hukou", "idcard") and ticket.group_id is None
    assert ticket.priority is Priority.ELDERLY
    assert state.issued_by_service == {"hukou": 1, "idcard": 1}  # each counts against its cap
    assert state.waiting_count("hukou") == 1 and state.waiting_count("idcard") == 0  # one person waits
    [event] = state.take_journal().events
    assert event.kind is EventKind.ISSUED and event.ticket["also_services"] == ["idcard"]
    # A retry of the same request is the same visit.
    assert state.issue_visit(("hukou", "idcard"), Priority.ELDERLY, "kiosk:k", OPENING, "r1")[0].ticket_id == ticket.id
    assert len(state.active) == 1


def test_a_window_that_does_not_serve_every_carried_service_passes_the_ticket_by():
    data = visit_hall()
    data["windows"][1]["services"] = ["hukou"]  # window 2 no longer does 身份证
    state = new_state(data)
    both = state.issue_visit(("hukou", "idcard"), Priority.NORMAL, "kiosk:k", OPENING)[0].ticket_id
    plain = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING + timedelta(minutes=1)).ticket_id
    with pytest.raises(errors.UnknownTicket, match="户口迁移、居民身份证，不在 4 号窗口"):
        state.call_number(4, "A001", "clerk:c4", OPENING)  # 4 serves 身份证 but not 户口
    assert state.call_next(2, "clerk:c2", OPENING + timedelta(minutes=2)).id == plain  # skips the visit
    assert state.call_next(1, "clerk:c1", OPENING + timedelta(minutes=2)).id == both
    state.act(both, "finish", "clerk:c1", OPENING + timedelta(minutes=9), window=1)


def test_no_window_serves_both_so_the_visit_gets_linked_tickets_shortest_wait_first():
    state = new_state(visit_hall())
    for _ in range(3):
        state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING)  # 户口 has a line, 纳税 none
    state.take_journal()
    issued = state.issue_visit(("hukou", "tax"), Priority.NORMAL, "kiosk:k", OPENING, "visit-1")
    first, second = (state.active[i.ticket_id] for i in issued)
    assert (first.service, second.service) == ("tax", "hukou")  # the order to go
    assert (first.number, second.number) == ("E001", "A004")
    assert first.group_id == second.group_id == first.id
    assert first.request_id == "visit-1" and second.request_id is None
    assert [e.kind for e in state.take_journal().events] == [EventKind.ISSUED, EventKind.ISSUED]
    again = state.issue_visit(("hukou", "tax"), Priority.NORMAL, "kiosk:k", OPENING, "visit-1")
    assert [i.ticket_id for i in again] == [first.id] and not again[0].created


def test_a_visit_is_all_or_nothing():
    data = visit_hall()
    data["services"][2]["daily_cap"] = 1  # tax
    state = new_state(data)
    state.issue("tax", Priority.NORMAL, "kiosk:k", OPENING)
    state.take_journal()
    with pytest.raises(errors.DailyCapReached):
        state.issue_visit(("hukou", "tax"), Priority.NORMAL, "kiosk:k", OPENING)
    assert not state.take_journal() and state.issued_by_service == {"tax": 1}
    saturday = OPENING + timedelta(days=3)  # 水费 opens Saturday morning, 户口 does not
    state.advance(saturday)
    with pytest.raises(errors.ServiceClosed):
        state.issue_visit(("water-pay", "hukou"), Priority.NORMAL, "kiosk:k", saturday)


def test_the_store_keeps_visits_and_counts_each_service(tmp_path):
    config = parse_hall_config(visit_hall(), "test-hall.toml")
    store = Store(tmp_path / "hall.db")
    store.open()
    try:
        state = HallState(config, Restored.empty(OPENING.date()))
        state.open_window(1, "clerk1", OPENING)
        tid = state.issue_visit(("hukou", "idcard"), Priority.NORMAL, "kiosk:k", OPENING)[0].ticket_id
        state.issue_visit(("hukou", "tax"), Priority.NORMAL, "kiosk:k", OPENING)
        state.call_next(1, "clerk:clerk1", OPENING + timedelta(minutes=1))
        state.act(tid, "finish", "clerk:clerk1", OPENING + timedelta(minutes=10), window=1)
        store.persist(state.take_journal())
        restored = HallState(config, store.restore(config, OPENING + timedelta(minutes=11)))
        assert restored.issued_by_service == {"hukou": 2, "idcard": 1, "tax": 1}
        linked = [t for t in restored.active.values() if t.group_id is not None]
        assert len(linked) == 2 and len({t.group_id for t in linked}) == 1
        assert restored.ended_today["A001"].services == ("hukou", "idcard")
        figures = {r["service"]: r for r in today_figures(store, OPENING.date().isoformat(), config)["services"]}
        assert figures["idcard"]["served"] == 1 and figures["hukou"]["served"] == 1  # finishing records each
        assert figures["tax"]["issued"] == 1 and figures["tax"]["served"] == 0
    finally:
        store.close()


async def test_the_api_takes_services_and_answers_with_the_visit(hall):
    resp = await hall.client.post(
        "/api/tickets", json={"services": ["hukou", "idcard"], "priority": "elderly"}, headers=hall.kiosk()
    )
    one = await resp.json()
    assert resp.status == 201 and one["number"] == "A001" and one["linked"] == []
    assert [s["name"] for s in one["services"]] == ["户口迁移", "居民身份证"]
    assert one["where"] == "1、2 号窗口"
    resp = await hall.client.post(
        "/api/tickets", json={"services": ["hukou", "tax"], "request_id": "v2"}, headers=hall.kiosk()
    )
    first = await resp.json()
    assert resp.status == 201 and first["service"] == "tax" and first["group_id"] == first["id"]
    [other] = first["linked"]
    assert other["number"] == "A002" and other["service_name"] == "户口迁移" and other["waiting_ahead"] == 1
    again = await hall.client.post(
        "/api/tickets", json={"services": ["hukou", "tax"], "request_id": "v2"}, headers=hall.kiosk()
    )
    assert again.status == 200 and (await again.json())["id"] == first["id"]
    for body, why in (
        ({"service": "hukou", "services": ["tax"]}, "二者取其一"),
        ({}, "二者取其一"),
        ({"services": ["tax", "tax"]}, "只需选择一次"),
    ):
        resp = await hall.client.post("/api/tickets", json=body, headers=hall.kiosk())
        assert await error_of(resp, 400) == "invalid_request" and why in (await resp.json())["error"]["message"]
    resp = await hall.client.post("/api/tickets", json={"services": ["hukou", "gas"]}, headers=hall.kiosk())
    assert await error_of(resp, 422) == "unknown_service"
    assert hall.count("tickets") == 3  # nothing of the refused visits
    db = hall.db()
    assert db.execute("SELECT status FROM tickets WHERE number = 'A001'").fetchone()[0] == Status.WAITING
    db.close()
