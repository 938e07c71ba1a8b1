"""The hall config: the sample hall loads; every mistake names the file, the key and the problem."""

from __future__ import annotations

import pytest

from queue_server.config.hall_file import ConfigError, load_hall_config, parse_hall_config

from .conftest import hall_data
from .serverproc import hallqueue


def test_sample_hall_is_a_real_city_hall():
    config = load_hall_config()
    names = {s.name for s in config.services.values()}
    departments = {d.name for d in config.departments.values()}
    assert len(config.departments) >= 20 and len(config.services) >= 40 and len(config.windows) >= 30
    for needed in ("老年人优待证", "老年人免费乘车卡"):
        assert any(needed in n for n in names), needed
    for utility in ("自来水", "供电", "燃气", "广电"):
        assert any(utility in d for d in departments), utility
    # Comprehensive windows serve several departments' services.
    multi = [w for w in config.windows.values() if len({config.services[s].department for s in w.services}) > 1]
    assert multi
    assert "过号" in " ".join(config.notices)


def problems_of(data) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse_hall_config(data, "hall.toml")
    assert str(exc.value).startswith("hall.toml: ")
    return exc.value.problems


def test_every_problem_is_named_with_its_key():
    data = hall_data()
    data["windows"][3]["services"][1] = "gas-pay"
    data["services"][0]["prefix"] = "a1"
    data["services"][1]["department"] = "nowhere"
    data["hall"]["timezone"] = "Mars/Olympus"
    data["rules"]["max_recalls"] = -1
    data["windows"][1]["colour"] = "red"
    data["hall"]["day_start"] = "25:00"
    problems = problems_of(data)
    joined = "\n".join(problems)
    assert "services[0].prefix" in joined
    assert "hall.timezone" in joined and "Mars/Olympus" in joined
    assert "rules.max_recalls" in joined
    assert "windows[1].colour: unknown key" in joined
    assert 'hall.day_start: "25:00" is not a time of day' in joined
    # Cross-checks run once the shapes are right.
    data = hall_data()
    data["windows"][3]["services"][1] = "gas-pay"
    data["services"][1]["department"] = "nowhere"
    data["services"].append(dict(data["services"][0]))
    data["hall"]["hours"] = {"weekdays": ["08:30-12:00"], "sat": ["9-12"]}
    problems = problems_of(data)
    assert 'windows[3].services[1]: unknown service "gas-pay"' in problems
    assert 'services[1].department: unknown department "nowhere"' in problems
    assert 'services[4].code: duplicate code "hukou"' in problems
    assert any(p.startswith('hall.hours: "weekdays" is not a day') for p in problems)
    assert any(p.startswith('hall.hours.sat[0]: "9-12" is not a time range') for p in problems)


def test_a_service_no_window_serves_is_an_error():
    data = hall_data()
    data["windows"][2]["services"] = ["idcard"]
    data["windows"][3]["services"] = ["water-pay"]
    assert problems_of(data) == ['services[2]: no window serves "tax" (add it to a window\'s services)']


def test_file_errors_name_the_file(tmp_path):
    broken = tmp_path / "hall.toml"
    broken.write_text('[hall]\nname = "x"\n[[services]\ncode = 1', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_hall_config(broken)
    assert exc.value.path == str(broken) and "not valid TOML" in exc.value.problems[0]
    with pytest.raises(ConfigError) as exc:
        load_hall_config(tmp_path / "missing.toml")
    assert "cannot read the file" in exc.value.problems[0]


def test_server_does_not_start_on_a_bad_config(tmp_path):
    bad = tmp_path / "hall.toml"
    bad.write_text('[hall]\nname = "测试"\n[[departments]]\ncode = "a"\nname = "甲"\n', encoding="utf-8")
    result = hallqueue(tmp_path / "hall.db", "serve", "--config", str(bad), "--port", "1")
    assert result.returncode == 2
    assert f"{bad}: services: missing (required)" in result.stderr
    assert "not starting" in result.stderr
    assert not (tmp_path / "hall.db").exists()
    ok = hallqueue(tmp_path / "hall.db", "check-config")
    assert ok.returncode == 0 and "潜江市政务服务中心" in ok.stdout


def test_sample_guides_cover_every_service_with_complete_items():
    from queue_server.config.guides import hall_guides

    config = load_hall_config()
    guides = hall_guides(config, None)
    assert len(guides) >= 140
    for code in config.services:
        assert sum(1 for g in guides if g.service == code) >= 2, code
        assert any(code in tile.services for tile in config.tiles), code
    for g in guides:
        assert g.legal_basis and g.conditions and g.materials and g.procedure
        assert (g.kind == "即办件") == (g.promised_limit in ("即时办结", "当场办结")), g.code
    elderly = [g for g in guides if "老年人优待证" in g.name]
    assert elderly and elderly[0].kind == "即办件" and not elderly[0].fees


def test_screens_get_short_names_and_the_rules_for_alerts_and_call_backs():
    config = load_hall_config()
    long_names = [s for s in config.services.values() if len(s.name) > 7]
    assert long_names and all(len(s.short_name) <= 6 for s in long_names)
    assert config.services["gsj-company"].short_name == "企业设立"
    assert config.services["water-pay"].short_name == config.services["water-pay"].name  # defaults to the name
    rules = config.rules
    assert (rules.no_show_recall_s, rules.wait_alert_s, rules.idle_alert_s) == (1800, 1800, 180)
    data = hall_data()
    data["services"][0]["short_name"] = "一个太长太长的简称"
    data["rules"]["no_show_recall_minutes"] = -1
    data["boards"] = [{"port": "serial:///dev/ttyUSB0", "address": 9, "show_clerk": True}]
    joined = "\n".join(problems_of(data))
    assert "services[0].short_name" in joined and "rules.no_show_recall_minutes" in joined
    del data["services"][0]["short_name"], data["rules"]["no_show_recall_minutes"]
    assert problems_of(data) == ["boards[0].show_clerk: only a window board names who serves there"]
