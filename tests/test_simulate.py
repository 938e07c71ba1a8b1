"""The hall-day simulator on the real core: deterministic, every visitor accounted for once, the
hall's priority rules honoured, and the command's outputs."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from queue_server.commands import main
from queue_server.config.hall_file import load_hall_config
from queue_server.core.model import Priority, Status
from queue_server.sim.metrics import day_figures
from queue_server.sim.profile import ProfileError, load_profile, profile_from_dict
from queue_server.sim.run import Simulation
from queue_server.sim.staffing import StaffingError, StaffingPlan, load_plan

SAMPLE = Path(__file__).resolve().parent.parent / "queue_server" / "config" / "sample"
TUESDAY = date(2026, 11, 17)


@pytest.fixture(scope="module")
def config():
    return load_hall_config(None)


@pytest.fixture(scope="module")
def profile(config):
    return load_profile(SAMPLE / "arrivals.toml", config)


@pytest.fixture(scope="module")
def day(config, profile):
    """One simulated Tuesday of the sample hall, turned over at its end."""
    sim = Simulation(config, profile, StaffingPlan(), seed=7)
    result = sim.run_day(TUESDAY)
    sim.finish(TUESDAY)
    return result


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["simulate", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_same_seed_gives_the_same_output_byte_for_byte():
    args = ("--start", "2026-11-16", "--days", "2", "--seed", "11", "--json")
    first, second = run(*args), run(*args)
    assert first == second
    other = run("--start", "2026-11-16", "--days", "2", "--seed", "12", "--json")
    assert other != first


def test_every_visitor_is_accounted_for_once(day):
    visits = day.visits
    assert 3500 < len(visits) < 4500  # a sample-hall Tuesday: about 4,000 visitors
    ticket_ids = [v.ticket_id for v in visits if v.ticket_id is not None]
    assert len(ticket_ids) == len(set(ticket_ids))  # no ticket serves two visitors
    outcomes = {"refused": 0, "balked": 0}
    for v in visits:
        if v.refused or v.balked:
            assert v.ticket_id is None
            outcomes["refused" if v.refused else "balked"] += 1
            continue
        status = day.tickets[v.ticket_id].status
        # After the day's turn nothing is still in play: each ended one way.
        assert status in (Status.DONE, Status.NO_SHOW, Status.CANCELLED, Status.EXPIRED), status
        outcomes[status.value] = outcomes.get(status.value, 0) + 1
    assert sum(outcomes.values()) == len(visits)
    assert outcomes["done"] > 0.8 * len(ticket_ids)
    # Numbering: each service's prefix counts up from 001 without a gap or a repeat.
    by_prefix: dict[str, list[int]] = {}
    for t in day.tickets.values():
        by_prefix.setdefault(t.prefix, []).append(t.seq)
    for prefix, seqs in by_prefix.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), prefix


def test_priority_visitors_wait_less_and_nobody_starves_past_the_rule(config, day):
    figures = day_figures(config, [day], config.rules.wait_target_s)
    assert figures["priority"]["wait_mean_s"] < figures["normal"]["wait_mean_s"] / 2
    # Anti-starvation: when a window calls, no ticket it serves that has waited past the limit
    # (and longer than the one called) is passed over.
    limit = config.rules.starvation_s
    plain = [v for v in day.visits if v.called_s is not None and not day.tickets[v.ticket_id].transfer_count]
    passed_over = []
    for x in plain:
        served = config.windows[x.window].services
        for y in plain:
            if (
                y.service in served
                and y.arrive_s <= x.called_s - limit
                and y.arrive_s < x.arrive_s
                and y.called_s > x.called_s
                and day.tickets[y.ticket_id].no_show_count == 0
            ):
                passed_over.append((x.service, y.service))
    assert passed_over == []


def test_the_strict_policy_lets_normal_visitors_wait_longest():
    document = json.loads(run("--start", "2026-11-16", "--compare", "--json"))
    assert set(document) == {"hall", "fifo", "strict"}
    hall, fifo, strict = document["hall"], document["fifo"], document["strict"]
    assert hall["priority"]["wait_mean_s"] < fifo["priority"]["wait_mean_s"]
    assert strict["priority"]["wait_mean_s"] <= hall["priority"]["wait_mean_s"]
    assert strict["normal"]["wait_max_s"] >= hall["normal"]["wait_max_s"]
    table = run("--start", "2026-11-16", "--compare")
    assert "本大厅规则" in table and "先到先办" in table and "严格优先" in table


def test_the_json_document_leads_with_the_days_totals_in_seconds():
    document = json.loads(run("--start", "2026-11-17", "--json"))
    keys = list(document)
    assert keys[:4] == ["seed", "start", "policy", "days"]
    for key in ("tickets", "wait_mean_s", "wait_p90_s", "estimate_mae_s", "estimate_bias_s", "over_target_share"):
        assert key in keys[: keys.index("services")], key
    assert document["wait_target_s"] == 1200
    service = document["services"][0]
    assert {"service", "name", "tickets", "wait_mean_s", "wait_p90_s", "wait_max_s", "no_show"} <= set(service)
    hour = document["hours"][0]
    assert {"hour", "utilisation", "queue", "open_windows", "over_target_share"} <= set(hour)


def test_the_tables_are_in_chinese():
    text = run("--start", "2026-11-17")
    assert "按业务" in text and "按时段" in text and "平均等候" in text and "窗口利用率" in text
    assert "居民身份证申领" in text


def test_a_staffing_plan_closes_what_it_does_not_name(tmp_path, config, profile):
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text('[[windows]]\nnumbers = [1]\nhours = ["08:30-12:00"]\n', encoding="utf-8")
    plan = load_plan(plan_file, config)
    result = Simulation(config, profile, plan, seed=3).run_day(TUESDAY)
    assert set(result.window_open_s) == {1}
    # 延时办理: the one window of 户政 serves who took a ticket by 12:00 (a long morning's
    # queue, for the three windows' work), then closes; the afternoon's visitors wait for nobody.
    assert 3.5 * 3600 < result.window_open_s[1] < 9 * 3600
    assert not [v for v in result.visits if v.window == 1 and v.arrive_s > 12 * 3600]
    plan_file.write_text('[[windows]]\nnumbers = [99]\nhours = ["08:30-12:00"]\n', encoding="utf-8")
    with pytest.raises(StaffingError, match="window 99 is not in the hall"):
        load_plan(plan_file, config)
    plan_file.write_text('[[windows]]\nnumbers = [1]\nhours = ["12:00-08:30"]\n', encoding="utf-8")
    with pytest.raises(StaffingError, match="ends before it starts"):
        load_plan(plan_file, config)


def test_profile_mistakes_are_named(config):
    base = {"day": {"shape": {"09:00": 1}}, "services": {"hz-idcard": 10}}
    assert profile_from_dict(base, config).demand["hz-idcard"].per_day == 10
    with pytest.raises(ProfileError, match="services: no-such is not a service"):
        profile_from_dict({**base, "services": {"no-such": 1}}, config, "p.toml")
    with pytest.raises(ProfileError, match=r"p.toml: day.shape: .*HH:00 or HH:30"):
        profile_from_dict({**base, "day": {"shape": {"09:15": 1}}}, config, "p.toml")
    with pytest.raises(ProfileError, match="visitors.priority"):
        profile_from_dict({**base, "visitors": {"priority": {"elderly": 0.9, "appointment": 0.5}}}, config, "p.toml")


def test_a_holiday_brings_nobody(config, profile):
    # 2026-10-01 is 国庆节 in the sample calendar.
    result = Simulation(config, profile, StaffingPlan(), seed=1).run_day(date(2026, 10, 1))
    assert result.visits == [] and result.window_open_s == {}


def test_the_utilities_are_busier_when_the_bills_come(config, profile):
    def utility_tickets(day: date) -> int:
        result = Simulation(config, profile, StaffingPlan(), seed=5).run_day(day)
        return sum(1 for v in result.visits if config.services[v.service].department == "water")

    month_start = date(2026, 12, 1)  # a Tuesday
    assert utility_tickets(month_start) > 1.25 * utility_tickets(month_start + timedelta(days=14))


def test_priority_mix_follows_the_profile(day):
    shares = {p: 0 for p in Priority}
    for v in day.visits:
        shares[v.priority] += 1
    assert 0.05 < shares[Priority.ELDERLY] / len(day.visits) < 0.11


def test_visitors_rate_on_the_tablets_and_the_manager_closes_the_follow_ups(config):
    """好差评 through the core: every served visitor of the profile rates, long waits rate low more
    often, each low rating opens a follow-up that is closed on a later working day; and the
    ratings change nothing else in the day (their draws are their own)."""
    import dataclasses
    import tomllib

    raw = tomllib.loads((SAMPLE / "arrivals.toml").read_text(encoding="utf-8"))
    raw["ratings"] = {"share": 1.0, "levels": {5: 0.5, 2: 0.5}, "low_after_target": 9, "followup_max_working_days": 1}
    rating = profile_from_dict(raw, config)
    journals = []
    sim = Simulation(config, rating, StaffingPlan(), seed=7, on_journal=journals.append)
    monday, tuesday = TUESDAY - timedelta(days=1), TUESDAY
    first = sim.run_day(monday)
    sim.run_day(tuesday)  # its start closes Monday's follow-ups (one working day later)
    sim.finish(tuesday)
    ratings = [r for j in journals for r in j.ratings if r.business_day == monday]
    followups = {f.id: f for j in journals for f in j.followups.values()}
    served = [t for t in first.tickets.values() if t.status is Status.DONE]
    assert len(ratings) == len(served) > 1000  # share 1: everyone served rated, once
    assert {r.level for r in ratings} == {5, 2}
    waits = {v.ticket_id: v.called_s - v.arrive_s for v in first.visits if v.called_s is not None}
    long = [r for r in ratings if waits[r.ticket_id] > config.rules.wait_target_s]
    short = [r for r in ratings if waits[r.ticket_id] <= config.rules.wait_target_s]
    low_share = lambda rs: sum(r.level == 2 for r in rs) / len(rs)  # noqa: E731
    assert low_share(long) > 0.8 > 0.6 > low_share(short) > 0.4  # 9:1 against 1:1
    assert all(r.reasons == ("等候时间",) for r in long if r.level == 2)
    monday_followups = [f for f in followups.values() if f.opened_at.date() == monday]
    assert len(monday_followups) == sum(r.level == 2 for r in ratings)
    assert all(f.closed_at is not None and f.closed_at.date() == tuesday for f in monday_followups)

    # Without ratings, the same seed gives the same visitors, waits and estimates.
    plain = Simulation(config, dataclasses.replace(rating, rating_share=0.0), StaffingPlan(), seed=7)
    again = plain.run_day(monday)
    assert [(v.ticket_id, v.called_s, v.estimate_s) for v in again.visits] == [
        (v.ticket_id, v.called_s, v.estimate_s) for v in first.visits
    ]


def test_the_windows_serve_out_who_waits_before_lunch(config, profile, day):
    """延时办理 (the sample hall's rule): every ticket taken in the morning is called before the
    afternoon opens, and nobody is left to expire at night; a hall without the rule leaves some
    of a busy morning waiting through lunch."""

    def called_after_lunch(result) -> int:
        noon, afternoon = 12 * 3600, 14 * 3600
        return sum(1 for v in result.visits if v.called_s is not None and v.arrive_s < noon <= afternoon <= v.called_s)

    assert config.rules.serve_out and called_after_lunch(day) == 0
    assert all(day.tickets[v.ticket_id].status is not Status.EXPIRED for v in day.visits if v.ticket_id is not None)
    without = dataclasses.replace(config, rules=dataclasses.replace(config.rules, serve_out=False))
    assert called_after_lunch(Simulation(without, profile, StaffingPlan(), seed=7).run_day(TUESDAY)) > 0


def test_a_window_the_plan_closes_early_leaves_its_queue_to_the_windows_staying(tmp_path, config, profile):
    """Serving out is for the last windows of a service: 户政3 closing at 10:00 while 户政1 and 2
    stay open goes home with people waiting."""
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(
        '[[windows]]\nnumbers = [1, 2]\nhours = ["08:30-12:00"]\n\n'
        '[[windows]]\nnumbers = [3]\nhours = ["08:30-10:00"]\n',
        encoding="utf-8",
    )
    sim = Simulation(config, profile, load_plan(plan_file, config), seed=7)
    result = sim.run_day(TUESDAY)
    by_window_3 = [v.called_s for v in result.visits if v.window == 3 and v.called_s is not None]
    assert by_window_3 and max(by_window_3) < 10 * 3600
    later = [v for v in result.visits if v.service.startswith("hz-") and v.called_s and v.called_s > 10 * 3600]
    assert later and {v.window for v in later} <= {1, 2}
