"""Staffing advice (``hallqueue simulate --advise``), its Erlang C arithmetic, and the charts."""

from __future__ import annotations

import dataclasses
import json
import math
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from click.testing import CliRunner

from queue_server.commands.base import main
from queue_server.commands.simulate import SAMPLE_DIR
from queue_server.config.hall_file import load_hall_config
from queue_server.sim.advice import Advisor, advice_text, advise, advise_command, window_groups
from queue_server.sim.charts import CHARTS, nice_ticks, write_charts
from queue_server.sim.erlang import erlang_b, erlang_c, fewest_servers, wait_over
from queue_server.sim.profile import load_profile, profile_from_dict
from queue_server.sim.staffing import StaffingPlan, load_plan, plan_toml

MONDAY = date(2026, 3, 9)  # an ordinary Monday: no holiday, not a month start
SVG = "{http://www.w3.org/2000/svg}"


# ---------------------------------------------------------------- Erlang C


def _erlang_c_by_factorials(c: int, a: float) -> float:
    """The textbook formula, term by term: fine for the small c used here."""
    tail = a**c / math.factorial(c) * c / (c - a)
    return tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail)


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (2, 1.0), (3, 2.4), (5, 4.0), (10, 7.5), (12, 11.2)])
def test_erlang_c_matches_the_factorial_formula(c, a):
    mu = 1 / 300  # five-minute services
    assert erlang_c(c, a * mu, mu) == pytest.approx(_erlang_c_by_factorials(c, a), rel=1e-12)


def test_erlang_known_values():
    # Two servers offered one erlang: B = 1/5, C = 1/3 (by hand).
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_c(2, 1.0, 1.0) == pytest.approx(1 / 3)
    # M/M/1: a visitor waits with probability ρ, and longer than t with ρ·exp(−(μ−λ)t).
    lam, mu = 1 / 600, 1 / 400
    assert erlang_c(1, lam, mu) == pytest.approx(lam / mu)
    assert wait_over(1, lam, mu, 1200) == pytest.approx(lam / mu * math.exp(-(mu - lam) * 1200))
    # A queue that grows without end: everybody waits.
    assert erlang_c(3, 3.0, 1.0) == 1.0 and wait_over(2, 3.0, 1.0, 60) == 1.0


def test_erlang_b_stays_finite_for_many_servers():
    # a^c / c! overflows a float at c = 400; the recursion does not.
    assert 0 < erlang_c(400, 380.0, 1.0) < 1


def test_fewest_servers_is_the_fewest_and_monotonic():
    mu, target = 1 / 300, 1200
    assert fewest_servers(0, mu, target) == 0
    previous = 0
    for per_hour in range(1, 200, 7):
        lam = per_hour / 3600
        c = fewest_servers(lam, mu, target, 0.8)
        assert c >= previous  # more visitors never need fewer windows
        assert 1 - wait_over(c, lam, mu, target) >= 0.8
        assert c == 1 or 1 - wait_over(c - 1, lam, mu, target) < 0.8
        previous = c
    lam = 60 / 3600
    shares = [fewest_servers(lam, mu, target, s) for s in (0.5, 0.8, 0.9, 0.99)]
    assert shares == sorted(shares)
    targets = [fewest_servers(lam, mu, t, 0.9) for t in (60, 300, 1200)]
    assert targets == sorted(targets, reverse=True)


# ---------------------------------------------------------------- groups


def test_sample_hall_groups():
    groups = {g.windows: g.name for g in window_groups(load_hall_config(None))}
    assert groups[(1, 2, 3)] == "户政"
    assert (17, 18, 19) in groups  # 民政, 交通, 老年人服务 share the two elderly cards
    for alone in (23, 27, 30, 31, 35):  # the comprehensive windows do not swallow their neighbours
        assert (alone,) in groups
    assert sorted(n for ws in groups for n in ws) == list(range(1, 38))


# ---------------------------------------------------------------- advice on the sample hall


@pytest.fixture(scope="module")
def sample():
    config = load_hall_config(None)
    return config, load_profile(SAMPLE_DIR / "arrivals.toml", config)


@pytest.fixture(scope="module")
def sample_advice(sample, tmp_path_factory):
    """The sample hall's Monday, advised once for the tests below (written as --out would)."""
    config, profile = sample
    out = tmp_path_factory.mktemp("advice")
    advice = advise(config, profile, StaffingPlan(), 1, MONDAY, 1, config.rules.wait_target_s)
    return advice, out


def _resimulate(advice, path):
    """The plan file read back and simulated again, as ``--staffing`` would."""
    adv = advice.advisor
    plan = load_plan(path, adv.config)
    return plan, adv.run(plan)


def test_sample_hall_advice_is_what_it_says(sample_advice):
    advice, out = sample_advice
    adv = advice.advisor
    path = out / "staffing.toml"
    path.write_text(plan_toml(adv.spans(advice.counts)), encoding="utf-8")
    plan, again = _resimulate(advice, path)
    # The file round-trips, and re-simulated it gives the advice's own figures.
    assert plan.spans == {n: s for n, s in adv.spans(advice.counts).items() if s}
    assert again.tally == advice.runs["advice"].tally
    # The sample hall is short of windows at its peaks (everything open leaves about 45 % of a
    # Monday's visitors over 20 minutes): every group-hour that still misses has all windows open.
    for key in adv.misses(again):
        assert advice.counts[key] == adv.cap(*key)
    # It never does worse than opening everything.
    assert again.overall() >= advice.runs["given"].overall() - 0.005
    assert advice.seconds < 60


def test_advice_meets_its_target_on_a_day_the_hall_can_handle(sample, tmp_path):
    """Half the sample hall's visitors: the plan file, re-simulated, meets the target with fewer
    window-hours than opening everything; a group-hour that misses has no window left to open."""
    config, profile = sample
    light = dataclasses.replace(
        profile, demand={c: dataclasses.replace(d, per_day=d.per_day / 2) for c, d in profile.demand.items()}
    )
    advice = advise(config, light, StaffingPlan(), 1, MONDAY, 1, config.rules.wait_target_s, 0.8)
    adv = advice.advisor
    path = tmp_path / "staffing.toml"
    path.write_text(plan_toml(adv.spans(advice.counts)), encoding="utf-8")
    _, again = _resimulate(advice, path)
    assert again.overall() >= 0.8
    assert again.window_hours < advice.runs["given"].window_hours - 10
    for key in adv.misses(again):
        assert advice.counts[key] == adv.cap(*key)
    # Erlang C alone already did most of the work, and the correction did not undo it.
    assert advice.runs["erlang"].window_hours < advice.runs["given"].window_hours
    assert again.overall() >= advice.runs["given"].overall() - 0.01


def test_advice_text_is_the_plan_in_chinese(sample_advice):
    advice, _ = sample_advice
    text = advice_text(advice)
    assert "人员安排建议" in text and "户政" in text and "模拟修正后" in text
    header = next(line for line in text.splitlines() if line.startswith("窗口组"))
    assert " 09 " in header and " 16 " in header


# ---------------------------------------------------------------- the command, on a small hall

SMALL_PROFILE = {
    "day": {"shape": {"08:30": 2, "09:00": 4, "10:00": 3, "11:00": 1, "14:00": 2, "15:00": 3, "16:00": 1}},
    "services": {
        "hukou": {"per_day": 30, "minutes": 8},
        "idcard": {"per_day": 110, "minutes": 4},
        "tax": 3,
        "water-pay": {"per_day": 50, "minutes": 2},
    },
}


def test_advise_command_writes_plan_json_and_charts(hall_config, tmp_path, capsys):
    profile = profile_from_dict(SMALL_PROFILE, hall_config)
    out = tmp_path / "out"
    advise_command(hall_config, profile, StaffingPlan(), 3, MONDAY, 1, 1200, out, True, 0.8)
    document = json.loads(capsys.readouterr().out)
    assert document["target_share"] == 0.8 and document["plan_file"] == str(out / "staffing.toml")
    assert [g["windows"] for g in document["groups"]] == [[1, 2], [3], [4]]
    plan = load_plan(out / "staffing.toml", hall_config)
    assert set(plan.spans) <= {1, 2, 3, 4} and plan.spans
    assert json.loads((out / "advice.json").read_text(encoding="utf-8"))["plan"] == document["plan"]
    for name in CHARTS:
        ET.parse(out / f"{name}.svg")


def test_advise_command_without_out_writes_to_the_current_directory(hall_config, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    profile = profile_from_dict(SMALL_PROFILE, hall_config)
    advise_command(hall_config, profile, StaffingPlan(), 3, MONDAY, 1, 1200, None, False)
    text = capsys.readouterr().out
    assert "staffing-advice.toml（当前目录）" in text
    assert load_plan(tmp_path / "staffing-advice.toml", hall_config).spans


def test_correction_opens_windows_where_the_first_guess_misses(hall_config):
    """Start from one window per group: the simulation finds the misses and growing fixes them."""
    profile = profile_from_dict(SMALL_PROFILE, hall_config)
    adv = Advisor(hall_config, profile, StaffingPlan(), 3, MONDAY, 1, 1200)
    adv.counts = {key: min(k, 1) for key, k in adv.counts.items()}
    start = dict(adv.counts)
    before = adv.run(adv.plan())
    assert adv.misses(before)
    after = adv.grow(before)
    assert all(adv.counts[key] >= k for key, k in start.items())
    assert adv.counts != start
    assert after.overall() > before.overall()
    for key in adv.misses(after):
        assert adv.counts[key] == adv.cap(*key)


def test_target_share_must_be_a_share():
    result = CliRunner().invoke(main, ["simulate", "--advise", "--target-share", "1.5"])
    assert result.exit_code == 2 and "target-share" in result.output


# ---------------------------------------------------------------- charts


def test_charts_are_valid_svg_with_chinese_titles_and_deterministic(sample_advice, tmp_path):
    advice, _ = sample_advice
    figures = advice.runs["advice"].figures
    first = write_charts(figures, tmp_path / "a")
    second = write_charts(figures, tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    titles = {}
    for path in first:
        if path.suffix != ".svg":
            continue
        root = ET.parse(path).getroot()
        assert root.tag == f"{SVG}svg"
        assert "Noto Sans CJK SC" in root.get("font-family") and "sans-serif" in root.get("font-family")
        assert "<script" not in path.read_text(encoding="utf-8") and "href" not in path.read_text(encoding="utf-8")
        titles[path.stem] = root.find(f"{SVG}title").text
    assert titles == {
        "waits": "各时段等候时间",
        "queue": "各时段排队人数与窗口利用率",
        "services": "平均等候最长的 20 项业务",
        "estimate": "号票上的预计等候与实际等候之差",
    }
    pngs = [p for p in first if p.suffix == ".png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_charts_of_an_empty_day(tmp_path):
    figures = {
        "wait_target_s": 1200, "wait_mean_s": 0, "over_target_share": 0, "utilisation": 0,
        "estimate_mae_s": 0, "estimate_mae_share": 0, "estimate_bias_s": 0, "hours": [], "services": [],
    }  # fmt: skip
    for path in write_charts(figures, tmp_path, png=False):
        ET.parse(path)


def test_nice_ticks():
    assert nice_ticks(0, 47) == [0, 10, 20, 30, 40, 50]
    assert nice_ticks(-6.8, 21) == [-10, 0, 10, 20, 30]
