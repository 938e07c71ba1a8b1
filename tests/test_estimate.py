"""The wait estimate where a window serves several services: newcomers of the service it prefers
go first, and the anti-starvation rule bounds how long they can hold a ticket back."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from queue_server.config.hall_file import parse_hall_config
from queue_server.core.estimate import RATE_WINDOW_S
from queue_server.core.hall import HallState, Restored
from queue_server.core.model import Priority
from queue_server.store.database import Store

from .conftest import OPENING, hall_data

TAX_S = 12 * 60  # the test hall's avg_minutes for tax
WATER_S = 4 * 60


def tax_only_at_the_comprehensive_window() -> HallState:
    """Window 4 serves water-pay first, then tax; window 3 (tax alone) is paused."""
    config = parse_hall_config(hall_data(), "test-hall.toml")
    state = HallState(config, Restored.empty(OPENING.date()))
    for n in config.windows:
        state.open_window(n, f"clerk{n}", OPENING)
    state.pause(3, "clerk3", OPENING)
    state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING)  # today's first ticket, at no window of tax
    return state


def test_newcomers_of_the_preferred_service_slow_the_other():
    later = OPENING + timedelta(minutes=40)
    quiet, busy = tax_only_at_the_comprehensive_window(), tax_only_at_the_comprehensive_window()
    # At the busy hall a water-pay visitor came every 8 minutes and was served in 2: at 09:40
    # window 4 is free and nobody waits for water-pay, in both halls.
    for k in range(5):
        came = OPENING + timedelta(minutes=8 * k)
        busy.issue("water-pay", Priority.NORMAL, "kiosk:k", came)
        ticket = busy.call_next(4, "clerk4", came)
        busy.act(ticket.id, "finish", "clerk4", came + timedelta(minutes=2), window=4)
    for state in (quiet, busy):
        state.advance(later)
    assert quiet.estimate_s("tax", 2) == 2 * TAX_S
    # The water-pay visitors still to come take their share of window 4: 5 in 40 minutes, the
    # recent ones counting more (weight e^(-age / RATE_WINDOW_S), over the weight of 40 minutes),
    # each the learned water-pay time.
    recent = sum(math.exp(-(40 - 8 * k) * 60 / RATE_WINDOW_S) for k in range(5))
    rate = recent / (RATE_WINDOW_S * (1 - math.exp(-40 * 60 / RATE_WINDOW_S)))
    taken = busy.avg_service_s["water-pay"] * rate
    assert 0 < taken < 0.7
    assert busy.estimate_s("tax", 2) == round(2 * TAX_S / (1 - taken))
    # Water-pay visitors already waiting go first, and are cleared at the pace their newcomers
    # leave: two come now (and count among the recent ones).
    for _ in range(2):
        busy.issue("water-pay", Priority.NORMAL, "kiosk:k", later)
    taken = busy.avg_service_s["water-pay"] * (recent + 2) / (RATE_WINDOW_S * (1 - math.exp(-40 * 60 / RATE_WINDOW_S)))
    assert 0 < taken < 0.7
    assert busy.estimate_s("tax", 0) == round(2 * busy.avg_service_s["water-pay"] / (1 - taken))


def test_the_preferred_service_holds_a_ticket_back_no_longer_than_the_starvation_bound():
    state = tax_only_at_the_comprehensive_window()
    for _ in range(30):  # two hours of water-pay work ahead at window 4
        state.issue("water-pay", Priority.NORMAL, "kiosk:k", OPENING)
    state.advance(OPENING)
    starvation_s = state.config.rules.starvation_s
    assert starvation_s < 30 * WATER_S
    # After an hour of waiting a tax ticket goes first, whatever water-pay still has.
    assert state.estimate_s("tax", 0) == starvation_s
    # Unless its own line takes longer than that: six tax tickets ahead, 72 minutes of tax.
    assert state.estimate_s("tax", 6) == 6 * TAX_S > starvation_s


def water_pay_came(minutes_after_opening: list[int]) -> HallState:
    state = tax_only_at_the_comprehensive_window()
    for m in minutes_after_opening:  # each served at once, in 2 minutes: nobody waits for water-pay
        came = OPENING + timedelta(minutes=m)
        state.issue("water-pay", Priority.NORMAL, "kiosk:k", came)
        ticket = state.call_next(4, "clerk4", came)
        state.act(ticket.id, "finish", "clerk4", came + timedelta(minutes=2), window=4)
    state.advance(OPENING + timedelta(minutes=90))
    return state


def test_newcomers_who_came_lately_say_more_of_the_next_hour_than_the_morning_average():
    # Five water-pay visitors in 90 minutes: at the start of the morning, or in the last 20
    # minutes (a peak starting). The peak holds tax back longer; in a quiet spell both are
    # the same five a day.
    early, lately = water_pay_came([1, 3, 5, 7, 9]), water_pay_came([72, 76, 80, 84, 87])
    assert early.estimate_s("tax", 2) < lately.estimate_s("tax", 2)
    assert early.estimate_s("tax", 2) == pytest.approx(2 * TAX_S, rel=0.05)


def test_learned_service_times_outlast_the_day_and_a_restart(tmp_path):
    config = parse_hall_config(hall_data(), "test-hall.toml")
    store = Store(tmp_path / "hall.db")
    store.open()
    try:
        state = HallState(config, Restored.empty(OPENING.date()))
        state.open_window(1, "clerk1", OPENING)
        for k in range(10):  # hukou visitors take 4 minutes, not the configured 10
            at = OPENING + timedelta(minutes=5 * k)
            tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", at).ticket_id
            state.call_next(1, "clerk:clerk1", at)
            state.act(tid, "finish", "clerk:clerk1", at + timedelta(minutes=4), window=1)
        store.persist(state.take_journal())
        learned = state.avg_service_s["hukou"]
        assert learned == pytest.approx(240 + (600 - 240) * 0.8**10)  # ten steps of weight 0.2
        # The next morning the same process goes on from what it learned ...
        next_morning = OPENING + timedelta(days=1)
        state.advance(next_morning)
        store.persist(state.take_journal())
        assert state.day == next_morning.date()
        assert state.avg_service_s["hukou"] == pytest.approx(learned)
        # ... and so does one started then: from the last business day's finished tickets.
        restarted = HallState(config, store.restore(config, next_morning))
        assert restarted.avg_service_s["hukou"] == pytest.approx(learned)
        assert restarted.avg_service_s["tax"] == TAX_S  # nothing learned: the configured figure
    finally:
        store.close()


def test_the_estimate_counts_on_the_windows_serving_out_the_morning():
    """延时办理 (``rules.serve_out``): a wait that begins before 取号截止 and runs past 12:00 ends
    before lunch, as the windows serve who waits before they close; in a hall without the rule
    the two-hour break is added."""
    late_morning = OPENING.replace(hour=11, minute=20)
    waits = {}
    for serve_out in (True, False):
        data = hall_data()
        data["rules"]["serve_out"] = serve_out
        state = HallState(parse_hall_config(data, "test-hall.toml"), Restored.empty(OPENING.date()))
        state.open_window(1, "clerk1", OPENING)  # 户政1: hukou first, and no other window of hukou open
        for _ in range(5):
            state.issue("hukou", Priority.NORMAL, "kiosk:k", late_morning)
        state.advance(late_morning)
        waits[serve_out] = state.estimate_s("hukou", 5)
    hukou_s = 10 * 60
    assert waits[True] == 5 * hukou_s  # 12:10, still this morning
    assert waits[False] == 5 * hukou_s + 2 * 3600  # 14:10: the morning ran out at 12:00


def test_while_the_windows_serve_out_the_lobby_promises_no_lunch_break():
    """At 12:05 the last window of hukou still serves out the morning's queue: the waits the lobby
    and the phones show run on from now. Once it has closed, who still waits is called at 14:00."""
    state = HallState(parse_hall_config(hall_data(), "test-hall.toml"), Restored.empty(OPENING.date()))
    state.open_window(1, "clerk1", OPENING)
    for _ in range(3):
        state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING.replace(hour=11, minute=25))
    past_noon = OPENING.replace(hour=12, minute=5)
    state.advance(past_noon)
    hukou_s = 10 * 60
    assert not state.is_open("hukou", past_noon)  # no tickets now, but the window still calls
    assert state.estimate_s("hukou", 2) == 2 * hukou_s
    state.close_window(1, "clerk1", past_noon)
    # With no window open, both of hukou's windows count, idle at 14:00: two ahead, one each.
    assert state.estimate_s("hukou", 2) == (14 * 60 - (12 * 60 + 5)) * 60 + hukou_s


def test_tickets_the_window_ranks_lower_go_first_once_they_have_waited_the_starvation_time():
    """Window 4 ranks water-pay first and idcard last. Three idcard visitors have waited since
    09:00; a water-pay newcomer at 09:50 with ten ahead would be called after 10:30, and by then
    the idcard tickets have waited an hour: the anti-starvation rule calls them first."""
    state = HallState(parse_hall_config(hall_data(), "test-hall.toml"), Restored.empty(OPENING.date()))
    state.open_window(4, "clerk4", OPENING)  # the only window open: idcard's and water-pay's
    for _ in range(3):
        state.issue("idcard", Priority.NORMAL, "kiosk:k", OPENING)
    later = OPENING + timedelta(minutes=50)
    for _ in range(10):
        state.issue("water-pay", Priority.NORMAL, "kiosk:k", later)
    state.advance(later)
    idcard_s = 5 * 60
    assert state.estimate_s("water-pay", 10) == 10 * WATER_S + 3 * idcard_s
    assert state.estimate_s("water-pay", 2) == 2 * WATER_S  # called at 09:58: before they are due


def test_the_day_shape_is_learned_outlasts_a_restart_and_says_when_newcomers_come(tmp_path):
    """Yesterday 4 water-pay visitors came 09:00-09:30 and 16 in the half hour after: the hall's
    day shape. Today at 09:15, with the two water-pay visitors so far, the estimate expects the
    peak: newcomers who go ahead of tax at window 4 come at the rate the shape says."""
    config = parse_hall_config(hall_data(), "test-hall.toml")
    store = Store(tmp_path / "hall.db")
    store.open()
    try:
        state = HallState(config, Restored.empty(OPENING.date()))
        for minute in (5, 10, 15, 20, *range(31, 59, 2))[:20]:
            state.issue("water-pay", Priority.NORMAL, "kiosk:k", OPENING + timedelta(minutes=minute))
        store.persist(state.take_journal())
        assert state.day_shape is None  # nothing learned until the day is over
        next_morning = OPENING + timedelta(days=1)
        state.advance(next_morning - timedelta(hours=1))
        store.persist(state.take_journal())
        shape = state.day_shape
        assert shape[18] == pytest.approx(4 / 18) and shape[19] == pytest.approx(14 / 18) and sum(shape) == 1
        # A server started the next morning reads it back from the last business days' tickets.
        restarted = HallState(config, store.restore(config, next_morning))
        assert restarted.day_shape == pytest.approx(shape)
    finally:
        store.close()
    restarted.open_window(4, "clerk4", next_morning)
    ticket_id = restarted.issue("water-pay", Priority.NORMAL, "kiosk:k", next_morning).ticket_id
    restarted.call_next(4, "clerk4", next_morning)
    restarted.act(ticket_id, "finish", "clerk4", next_morning + timedelta(minutes=2), window=4)
    restarted.advance(next_morning + timedelta(minutes=25))
    # By 09:25 a usual day has had 5/6 of its 09:00 half hour (10/3 of its 18 visitors); the
    # next 15 minutes bring the rest of it and a third of the peak (2/3 + 14/3 = 16/3): today's
    # one visitor so far stands for 1.6 more in the coming 15 minutes.
    taken = restarted.avg_service_s["water-pay"] * 1.6 / 900
    assert 0 < taken < 0.7
    assert restarted.estimate_s("tax", 2) == round(2 * TAX_S / (1 - taken))
    # A hall whose visitors came evenly all day expects fewer of them now.
    flat = HallState(config, Restored.empty(next_morning.date()))
    flat.day_shape = [1 / 18 if 17 <= slot < 35 else 0.0 for slot in range(48)]
    flat.open_window(4, "clerk4", next_morning)
    ticket_id = flat.issue("water-pay", Priority.NORMAL, "kiosk:k", next_morning).ticket_id
    flat.call_next(4, "clerk4", next_morning)
    flat.act(ticket_id, "finish", "clerk4", next_morning + timedelta(minutes=2), window=4)
    flat.advance(next_morning + timedelta(minutes=25))
    assert flat.estimate_s("tax", 2) < restarted.estimate_s("tax", 2)
