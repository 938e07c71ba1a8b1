"""The pure core: numbering, the ticket state machine, day turnover. No I/O, time passed in."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from queue_server.config.hall_file import parse_hall_config
from queue_server.core import errors
from queue_server.core.hall import HallState, Restored
from queue_server.core.model import Priority, Status, WindowStatus
from queue_server.core.numbering import business_day, format_number
from queue_server.core.replay import fold_tickets

from .conftest import OPENING, SHANGHAI, hall_data


def new_state(data=None) -> HallState:
    config = parse_hall_config(data or hall_data(), "test-hall.toml")
    state = HallState(config, Restored.empty(OPENING.date()))
    for n in config.windows:
        state.open_window(n, f"clerk{n}", OPENING)
    state.take_journal()
    return state


def test_numbers_are_prefix_and_zero_padded_sequence():
    assert format_number("A", 1) == "A001"
    assert format_number("A", 999) == "A999"
    assert format_number("A", 1000) == "A1000"
    with pytest.raises(ValueError):
        format_number("A", 0)


def test_business_day_turns_at_day_start_local_time():
    start = time(4, 0)
    assert business_day(datetime(2026, 11, 25, 3, 59, tzinfo=SHANGHAI), SHANGHAI, start) == date(2026, 11, 24)
    assert business_day(datetime(2026, 11, 25, 4, 0, tzinfo=SHANGHAI), SHANGHAI, start) == date(2026, 11, 25)
    # 20:30 UTC on the 24th is 04:30 on the 25th in Shanghai.
    utc = datetime(2026, 11, 24, 20, 30).astimezone(SHANGHAI).astimezone(tz=None)
    assert business_day(utc, SHANGHAI, start) == date(2026, 11, 25)


def test_services_sharing_a_prefix_share_its_sequence_and_never_collide():
    state = new_state()
    numbers = [
        state.active[state.issue(s, Priority.NORMAL, "kiosk:k", OPENING).ticket_id].number
        for s in ("hukou", "idcard", "hukou", "tax", "idcard")
    ]
    assert numbers == ["A001", "A002", "A003", "E001", "A004"]


def test_number_grows_past_999():
    state = new_state()
    state.last_seq_by_prefix["A"] = 999
    t = state.active[state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id]
    assert t.number == "A1000"


def test_full_life_waiting_called_serving_done_with_events():
    state = new_state()
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    called = state.call_next(1, "clerk:c1", OPENING + timedelta(minutes=1))
    assert called.id == tid and called.status is Status.CALLED and called.window == 1
    state.act(tid, "recall", "clerk:c1", OPENING + timedelta(minutes=2), window=1)
    assert called.call_count == 2
    state.act(tid, "start", "clerk:c1", OPENING + timedelta(minutes=3), window=1)
    assert called.status is Status.SERVING
    state.act(tid, "finish", "clerk:c1", OPENING + timedelta(minutes=9), window=1)
    assert called.status is Status.DONE and tid not in state.active
    assert state.windows[1].ticket_id is None
    kinds = [e.kind for e in state.take_journal().events]
    assert kinds == ["issued", "called", "recalled", "started", "finished"]


@pytest.mark.parametrize(
    "prepare, action",
    [
        ([], "start"),  # waiting tickets cannot start
        ([], "recall"),
        ([], "no-show"),
        ([], "finish"),
        (["call", "start"], "no-show"),  # serving visitors are present
        (["call", "start"], "cancel"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(prepare, action):
    state = new_state()
    tid = state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id
    ticket = state.active[tid]
    for step in prepare:
        if step == "call":
            state.call_next(1, "c", OPENING)
        else:
            state.act(tid, step, "c", OPENING, window=1)
    before = ticket.as_dict()
    state.take_journal()
    with pytest.raises(errors.IllegalTransition) as exc:
        state.act(tid, action, "c", OPENING, window=1)
    assert exc.value.code == "illegal_transition"
    assert ticket.as_dict() == before
    assert not state.take_journal()


def test_finished_ticket_is_unknown_to_the_live_state():
    state = new_state()
    tid = state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id
    state.call_next(1, "c", OPENING)
    state.act(tid, "finish", "c", OPENING, window=1)
    with pytest.raises(errors.UnknownTicket):
        state.act(tid, "recall", "c", OPENING, window=1)


def test_recall_is_capped():
    state = new_state()  # max_recalls = 2
    tid = state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id
    state.call_next(1, "c", OPENING)
    state.act(tid, "recall", "c", OPENING, window=1)
    state.act(tid, "recall", "c", OPENING, window=1)
    with pytest.raises(errors.RecallLimit):
        state.act(tid, "recall", "c", OPENING, window=1)
    assert state.active[tid].call_count == 3


def test_no_show_requeues_per_rule_then_is_final():
    state = new_state()  # no_show_requeues = 1
    first = state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id
    second = state.issue("hukou", Priority.NORMAL, "k", OPENING + timedelta(seconds=1)).ticket_id
    state.call_next(1, "c", OPENING)
    t = state.act(first, "no-show", "c", OPENING + timedelta(minutes=1), window=1)
    assert t.status is Status.WAITING and t.no_show_count == 1
    # The late visitor waits behind those who were present.
    assert state.call_next(1, "c", OPENING + timedelta(minutes=2)).id == second
    state.act(second, "finish", "c", OPENING + timedelta(minutes=3), window=1)
    assert state.call_next(1, "c", OPENING + timedelta(minutes=4)).id == first
    t = state.act(first, "no-show", "c", OPENING + timedelta(minutes=5), window=1)
    assert t.status is Status.NO_SHOW and first not in state.active
    kinds = [e.kind for e in state.take_journal().events if e.ticket and e.ticket["id"] == first]
    assert kinds == ["issued", "called", "requeued", "called", "no_show"]


def test_transfer_keeps_number_and_goes_ahead_of_later_arrivals():
    state = new_state()
    early = state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id
    later_tax = state.issue("tax", Priority.NORMAL, "k", OPENING + timedelta(minutes=5)).ticket_id
    state.call_next(1, "c", OPENING + timedelta(minutes=6))
    t = state.act(early, "transfer", "c", OPENING + timedelta(minutes=7), window=1, service="tax")
    assert (t.number, t.service, t.status, t.original_service) == ("A001", "tax", Status.WAITING, "hukou")
    assert state.ahead_of(t) == 0 and state.ahead_of(state.active[later_tax]) == 1
    assert state.call_next(3, "c3", OPENING + timedelta(minutes=8)).id == early
    with pytest.raises(errors.IllegalTransition):
        state.act(early, "transfer", "c3", OPENING, window=3, service="tax")


def test_transfer_to_unknown_service_is_refused():
    state = new_state()
    tid = state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id
    state.call_next(1, "c", OPENING)
    with pytest.raises(errors.UnknownService):
        state.act(tid, "transfer", "c", OPENING, window=1, service="nope")
    assert state.active[tid].status is Status.CALLED


def test_wrong_window_cannot_act_on_a_ticket():
    state = new_state()
    tid = state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id
    state.call_next(1, "c", OPENING)
    with pytest.raises(errors.WrongWindow):
        state.act(tid, "finish", "c2", OPENING, window=2)
    with pytest.raises(errors.WrongWindow):  # a waiting ticket belongs to no window yet
        state.act(state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id, "cancel", "c", OPENING, window=1)


def test_a_window_with_a_ticket_in_hand_cannot_call_another():
    state = new_state()
    state.issue("hukou", Priority.NORMAL, "k", OPENING)
    state.issue("hukou", Priority.NORMAL, "k", OPENING)
    state.call_next(1, "c", OPENING)
    with pytest.raises(errors.WindowBusy):
        state.call_next(1, "c", OPENING)


def test_paused_and_closed_windows_take_no_calls():
    state = new_state()
    state.issue("hukou", Priority.NORMAL, "k", OPENING)
    state.pause(1, "c", OPENING)
    assert state.windows[1].status is WindowStatus.PAUSED
    with pytest.raises(errors.WindowPaused):
        state.call_next(1, "c", OPENING)
    state.resume(1, "c", OPENING)
    state.close_window(2, "c2", OPENING)
    with pytest.raises(errors.WindowClosed):
        state.call_next(2, "c2", OPENING)
    assert state.call_next(1, "c", OPENING) is not None


def test_closed_service_and_daily_cap_are_refused_with_hours():
    state = new_state()
    saturday_afternoon = datetime(2026, 11, 28, 15, 0, tzinfo=SHANGHAI)
    with pytest.raises(errors.ServiceClosed) as exc:
        state.issue("water-pay", Priority.NORMAL, "k", saturday_afternoon)
    assert "周六 09:00-12:00" in exc.value.message
    for _ in range(3):
        state.issue("tax", Priority.NORMAL, "k", OPENING)
    with pytest.raises(errors.DailyCapReached):
        state.issue("tax", Priority.NORMAL, "k", OPENING)


def test_same_request_id_same_actor_gives_the_same_ticket():
    state = new_state()
    a = state.issue("hukou", Priority.NORMAL, "kiosk:k1", OPENING, request_id="r-1")
    b = state.issue("hukou", Priority.NORMAL, "kiosk:k1", OPENING, request_id="r-1")
    c = state.issue("hukou", Priority.NORMAL, "kiosk:k2", OPENING, request_id="r-1")
    assert a.created and not b.created and a.ticket_id == b.ticket_id
    assert c.created and c.ticket_id != a.ticket_id


def test_day_turnover_expires_leftovers_and_restarts_numbering():
    state = new_state()
    called = state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id
    waiting = state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id
    assert state.call_next(1, "c", OPENING).id == called
    state.take_journal()
    next_morning = datetime(2026, 11, 26, 4, 0, tzinfo=SHANGHAI)
    state.advance(next_morning - timedelta(seconds=1))
    assert not state.take_journal()  # still the old day
    state.advance(next_morning)
    journal = state.take_journal()
    expired = {e.ticket["id"]: e.from_status for e in journal.events if e.kind == "expired"}
    assert expired == {waiting: "waiting", called: "called"}
    assert all(t.status is Status.EXPIRED for t in journal.tickets.values())
    assert state.active == {} and state.waiting_count("hukou") == 0
    assert all(w.status is WindowStatus.CLOSED for w in state.windows.values())
    t = state.active[state.issue("hukou", Priority.NORMAL, "k", next_morning + timedelta(hours=5)).ticket_id]
    assert t.number == "A001" and t.business_day == date(2026, 11, 26)


def test_estimated_wait_uses_people_ahead_service_time_and_open_windows():
    state = new_state()
    # hukou: 10 minutes on average; windows 1 and 2 serve it and are open.
    ids = [state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id for _ in range(5)]
    last = state.active[ids[-1]]
    assert last.waiting_ahead == 4
    assert last.estimated_wait_s == round(4 * 600 / 2)
    state.pause(2, "c2", OPENING)
    assert state.estimate_s("hukou", 4) == 4 * 600
    # Finished tickets teach the average: one served in 5 minutes with weight 0.2 -> 9 min.
    t = state.call_next(1, "c", OPENING)
    state.act(t.id, "finish", "c", OPENING + timedelta(minutes=5), window=1)
    assert state.avg_service_s["hukou"] == pytest.approx(0.8 * 600 + 0.2 * 300)


def test_replaying_events_reproduces_the_tickets():
    state = new_state()
    a = state.issue("hukou", Priority.NORMAL, "k", OPENING).ticket_id
    state.issue("tax", Priority.ELDERLY, "k", OPENING)
    state.call_next(1, "c", OPENING)
    state.act(a, "transfer", "c", OPENING, window=1, service="idcard")
    journal = state.take_journal()
    replayed = fold_tickets(journal.events)
    assert replayed == {t.id: t.as_dict() for t in journal.tickets.values()}


def test_tickets_of_a_service_removed_from_the_config_expire_on_restore():
    state = new_state()
    tid = state.issue("water-pay", Priority.NORMAL, "k", OPENING).ticket_id
    ticket = state.active[tid]
    state.take_journal()
    data = hall_data()
    data["services"] = [s for s in data["services"] if s["code"] != "water-pay"]
    data["windows"][3]["services"].remove("water-pay")
    data["tiles"] = [t for t in data["tiles"] if "water-pay" not in t["services"]]
    config = parse_hall_config(data, "test-hall.toml")
    restored = Restored.empty(OPENING.date())
    restored.active_tickets.append(ticket)
    later = HallState(config, restored)
    assert tid not in later.active and ticket.status is Status.EXPIRED
    event = later.take_journal().events[0]
    assert (event.kind, event.data["reason"]) == ("expired", "service_removed")
