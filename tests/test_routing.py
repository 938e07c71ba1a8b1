"""The routing policy: priority, the window's preference, waiting time, anti-starvation."""

from __future__ import annotations

from datetime import timedelta

from queue_server.core.model import Priority

from .conftest import OPENING
from .test_core import new_state


def issue(state, service, priority=Priority.NORMAL, minutes=0):
    return state.issue(service, priority, "k", OPENING + timedelta(minutes=minutes)).ticket_id


def call_and_finish(state, window, minutes):
    now = OPENING + timedelta(minutes=minutes)
    t = state.call_next(window, "c", now)
    if t is not None:
        state.act(t.id, "finish", "c", now, window=window)
    return t


def test_priority_class_goes_first_even_when_it_came_later():
    state = new_state()
    normal = issue(state, "hukou", minutes=0)
    elderly = issue(state, "hukou", Priority.ELDERLY, minutes=1)
    green = issue(state, "hukou", Priority.GREEN_CHANNEL, minutes=2)
    appointment = issue(state, "hukou", Priority.APPOINTMENT, minutes=3)
    order = [call_and_finish(state, 1, 10 + i).id for i in range(4)]
    assert order == [green, elderly, appointment, normal]


def test_window_preference_then_waiting_time():
    state = new_state()
    idcard = issue(state, "idcard", minutes=0)
    hukou_1 = issue(state, "hukou", minutes=1)
    hukou_2 = issue(state, "hukou", minutes=2)
    # Window 1 prefers hukou, window 2 prefers idcard.
    assert call_and_finish(state, 1, 5).id == hukou_1
    assert call_and_finish(state, 2, 5).id == idcard
    assert call_and_finish(state, 2, 6).id == hukou_2
    assert state.call_next(1, "c", OPENING + timedelta(minutes=7)) is None


def test_priority_beats_preference():
    state = new_state()
    issue(state, "hukou", minutes=0)
    elderly_idcard = issue(state, "idcard", Priority.ELDERLY, minutes=1)
    assert call_and_finish(state, 1, 5).id == elderly_idcard


def test_normal_ticket_gets_its_turn_after_a_streak_of_priorities():
    state = new_state()  # priority_streak = 3
    normal = issue(state, "hukou", minutes=0)
    for i in range(10):
        issue(state, "hukou", Priority.ELDERLY, minutes=1 + i / 10)
    picks = [call_and_finish(state, 1, 5 + i) for i in range(4)]
    assert [p.priority for p in picks] == [Priority.ELDERLY] * 3 + [Priority.NORMAL]
    assert picks[-1].id == normal
    # The streak starts again after the normal call.
    assert call_and_finish(state, 1, 10).priority is Priority.ELDERLY


def test_streak_rule_only_applies_when_a_normal_ticket_waits():
    state = new_state()
    for i in range(5):
        issue(state, "hukou", Priority.ELDERLY, minutes=i)
    assert [call_and_finish(state, 1, 10 + i).priority for i in range(5)] == [Priority.ELDERLY] * 5


def test_a_ticket_waiting_past_the_starvation_limit_goes_first():
    state = new_state()  # starvation_minutes = 60; window 4 prefers water-pay over tax
    tax = issue(state, "tax", minutes=0)
    for i in range(3):
        issue(state, "water-pay", minutes=1 + i)
    assert call_and_finish(state, 4, 30).service == "water-pay"
    assert call_and_finish(state, 4, 61).id == tax
