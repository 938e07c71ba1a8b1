"""The wait estimate where a window serves several services: newcomers of the service it prefers
go first, and the anti-starvation rule bounds how long they can hold a ticket back."""

from __future__ import annotations

from datetime import timedelta

from queue_server.config.hall_file import parse_hall_config
from queue_server.core.hall import HallState, Restored
from queue_server.core.model import Priority

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
    # The water-pay visitors still to come take their share of window 4: 5 in 40 minutes, each
    # the learned water-pay time.
    taken = busy.avg_service_s["water-pay"] * 5 / (40 * 60)
    assert 0 < taken < 0.7
    assert busy.estimate_s("tax", 2) == round(2 * TAX_S / (1 - taken))


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
