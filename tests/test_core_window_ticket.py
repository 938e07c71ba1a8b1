"""Every event about a window says which ticket stands there after it (``window_ticket``), so the
lobby and the LED boards copy it instead of working it out from the event kind."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from queue_server.core.model import Event, EventKind, Priority, TicketAction

from .conftest import OPENING, SHANGHAI
from .test_core import new_state


def last_event(state) -> Event:
    """The last event since the previous call, the journal emptied."""
    return state.take_journal().events[-1]


def called_state():
    """A hall with A001 called to window 1; its journal is empty."""
    state = new_state()
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    state.call_next(1, "clerk:c1", OPENING + timedelta(minutes=1))
    state.take_journal()
    return state, tid


def test_call_puts_the_ticket_at_the_window():
    state = new_state()
    state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING)
    state.call_next(1, "clerk:c1", OPENING)
    e = last_event(state)
    assert (e.kind, e.window, e.data["window_ticket"]) == (EventKind.CALLED, 1, "A001")


@pytest.mark.parametrize(
    "action, kind",
    [(TicketAction.RECALL, EventKind.RECALLED), (TicketAction.START, EventKind.STARTED)],
)
def test_recall_and_start_keep_the_ticket_at_the_window(action, kind):
    state, tid = called_state()
    state.act(tid, action, "clerk:c1", OPENING + timedelta(minutes=2), window=1)
    e = last_event(state)
    assert (e.kind, e.window, e.data["window_ticket"]) == (kind, 1, "A001")


@pytest.mark.parametrize(
    "action, kind, service",
    [
        (TicketAction.FINISH, EventKind.FINISHED, None),
        (TicketAction.NO_SHOW, EventKind.REQUEUED, None),  # the test hall requeues a first 过号
        (TicketAction.TRANSFER, EventKind.TRANSFERRED, "tax"),
        (TicketAction.CANCEL, EventKind.CANCELLED, None),
    ],
)
def test_a_ticket_leaving_the_window_leaves_it_empty(action, kind, service):
    state, tid = called_state()
    state.act(tid, action, "clerk:c1", OPENING + timedelta(minutes=2), window=1, service=service)
    e = last_event(state)
    # The event names the window the ticket was at, and says that window is now free.
    assert (e.kind, e.window, e.data["window_ticket"]) == (kind, 1, None)
    assert e.data["window_status"] == "open"


def test_a_final_no_show_leaves_the_window_empty():
    state, tid = called_state()
    state.act(tid, "no-show", "clerk:c1", OPENING + timedelta(minutes=2), window=1)
    state.call_next(1, "clerk:c1", OPENING + timedelta(minutes=3))
    state.act(tid, "no-show", "clerk:c1", OPENING + timedelta(minutes=4), window=1)
    e = last_event(state)
    assert (e.kind, e.window, e.data["window_ticket"]) == (EventKind.NO_SHOW, 1, None)


def test_finishing_after_start_frees_the_window_for_the_next_call():
    state, tid = called_state()
    state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING + timedelta(minutes=1))
    state.act(tid, "start", "clerk:c1", OPENING + timedelta(minutes=2), window=1)
    state.act(tid, "finish", "clerk:c1", OPENING + timedelta(minutes=9), window=1)
    state.call_next(1, "clerk:c1", OPENING + timedelta(minutes=10))
    events = [e for e in state.take_journal().events if e.window is not None]
    assert [(e.kind, e.data["window_ticket"]) for e in events] == [
        (EventKind.STARTED, "A001"),
        (EventKind.FINISHED, None),
        (EventKind.CALLED, "A002"),
    ]


def test_window_events_carry_the_ticket_in_hand():
    state, _ = called_state()
    state.pause(1, "clerk:c1", OPENING + timedelta(minutes=2))
    state.resume(1, "clerk:c1", OPENING + timedelta(minutes=3))
    state.close_window(1, "clerk:c1", OPENING + timedelta(minutes=4))
    state.open_window(1, "clerk:c1", OPENING + timedelta(minutes=5))
    events = state.take_journal().events
    # Signing out leaves the ticket with the window (close_window), and the event says so.
    assert [(e.kind, e.data["window_status"], e.data["window_ticket"]) for e in events] == [
        (EventKind.WINDOW_PAUSED, "paused", "A001"),
        (EventKind.WINDOW_RESUMED, "open", "A001"),
        (EventKind.WINDOW_CLOSED, "closed", "A001"),
        (EventKind.WINDOW_OPENED, "open", "A001"),
    ]


def test_an_empty_window_closing_has_no_ticket():
    state = new_state()
    state.close_window(2, "clerk:c2", OPENING)
    e = last_event(state)
    assert (e.kind, e.window, e.data["window_ticket"]) == (EventKind.WINDOW_CLOSED, 2, None)


def test_day_turnover_expires_the_ticket_at_the_window_and_closes_it_empty():
    state, tid = called_state()
    state.advance(datetime(2026, 11, 26, 4, 0, tzinfo=SHANGHAI))
    events = state.take_journal().events
    expired = next(e for e in events if e.kind == EventKind.EXPIRED)
    assert (expired.ticket["id"], expired.window, expired.data["window_ticket"]) == (tid, 1, None)
    closed = [e for e in events if e.kind == EventKind.WINDOW_CLOSED]
    assert {e.window for e in closed} == {1, 2, 3, 4}
    assert all(e.data["window_ticket"] is None for e in closed)


def test_events_without_a_window_carry_no_window_ticket():
    state = new_state()
    state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING)
    state.set_notices(("请保管好随身物品",), "admin:a", OPENING)
    assert all("window_ticket" not in e.data for e in state.take_journal().events)
