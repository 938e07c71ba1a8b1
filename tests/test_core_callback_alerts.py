"""The core's 过号 call-back (指定叫号 of a visitor who came back) and the hall manager's alerts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from queue_server.core import errors
from queue_server.core.alerts import hall_alerts
from queue_server.core.model import EventKind, Priority, Status

from .conftest import OPENING, hall_data
from .test_core import new_state


def strict_no_show(**rules) -> dict:
    data = hall_data()
    data["rules"].update({"no_show_requeues": 0, "no_show_recall_minutes": 30, **rules})
    return data


def no_show_at_window_1(state, at=OPENING):
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", at).ticket_id
    state.call_next(1, "clerk:c1", at)
    state.act(tid, "no-show", "clerk:c1", at + timedelta(minutes=2), window=1)
    state.take_journal()
    return tid


def test_a_no_show_visitor_who_comes_back_is_called_again_within_the_limit():
    state = new_state(strict_no_show())
    tid = no_show_at_window_1(state)
    back = OPENING + timedelta(minutes=25)
    ticket = state.call_number(2, "A001", "clerk:c2", back)  # any window serving the service
    assert ticket.id == tid and ticket.status is Status.CALLED and ticket.window == 2
    assert ticket.called_at == back and ticket.finished_at is None
    event = state.take_journal().events[-1]
    assert event.kind is EventKind.CALLED and event.from_status == "no_show" and event.data["after_no_show"]
    assert state.recent_calls[-1].number == "A001"
    state.act(tid, "finish", "clerk:c2", back + timedelta(minutes=5), window=2)
    assert state.ended_today["A001"].status is Status.DONE


def test_past_the_limit_or_elsewhere_the_refusal_says_what_happened():
    state = new_state(strict_no_show())
    no_show_at_window_1(state)
    late = OPENING + timedelta(minutes=2, seconds=30 * 60 + 1)
    with pytest.raises(errors.IllegalTransition) as refused:
        state.call_number(1, "A001", "clerk:c1", late)
    assert refused.value.message == "A001 号已于 09:02 过号，超过 30 分钟的重新叫号时限，请办事人重新取号"
    with pytest.raises(errors.UnknownTicket) as unknown:
        state.call_number(1, "Z999", "clerk:c1", late)
    assert unknown.value.message == "今天没有发出 Z999 号"
    state.issue("tax", Priority.NORMAL, "kiosk:k", late)
    with pytest.raises(errors.UnknownTicket) as elsewhere:
        state.call_number(1, "E001", "clerk:c1", late)
    assert elsewhere.value.message == "E001 号办理的是纳税申报，不在 1 号窗口的业务中"


def test_a_finished_number_is_named_as_finished():
    state = new_state(strict_no_show())
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    state.call_next(1, "clerk:c1", OPENING)
    state.act(tid, "finish", "clerk:c1", OPENING, window=1)
    with pytest.raises(errors.IllegalTransition) as refused:
        state.call_number(1, "A001", "clerk:c1", OPENING)
    assert refused.value.message == "A001 号当前已办结，不能叫号"


def test_zero_minutes_means_a_no_show_is_final():
    state = new_state(strict_no_show(no_show_recall_minutes=0))
    no_show_at_window_1(state)
    with pytest.raises(errors.IllegalTransition, match="已于 09:02 过号，本大厅过号后不再叫回，请办事人重新取号"):
        state.call_number(1, "A001", "clerk:c1", OPENING + timedelta(minutes=3))


def test_alerts_name_what_needs_the_manager_most_urgent_first():
    data = strict_no_show(wait_alert_minutes=30, idle_alert_minutes=3)
    state = new_state(data)
    state.issue("tax", Priority.NORMAL, "kiosk:k", OPENING)  # window 3 serves tax and idles
    state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING)
    state.call_next(1, "clerk:c1", OPENING)
    state.pause(2, "clerk:c2", OPENING)
    state.report_fault("kiosk-1", "printer", "paper_out", "打印机缺纸", OPENING)
    now = OPENING + timedelta(minutes=35)
    alerts = hall_alerts(state, now, lambda f: f"取号机 {f.device} · 打印机")
    kinds = [(a.kind, a.level) for a in alerts]
    assert kinds[0] == ("device_fault", "urgent")
    assert ("long_wait", "urgent") in kinds and kinds.index(("long_wait", "urgent")) < kinds.index(
        ("window_paused", "warning")
    )
    by_kind = {a.kind: a for a in alerts}
    assert by_kind["device_fault"].message == "设备故障：取号机 kiosk-1 · 打印机"
    assert (
        by_kind["long_wait"].message == "纳税申报：最长已等 35 分钟（1 人等候）"
        and by_kind["long_wait"].service == "tax"
    )
    assert by_kind["window_paused"].message == "2 号窗口（户政2）暂停服务已 35 分钟"
    idle = [a for a in alerts if a.kind == "idle_window"]
    assert {a.window for a in idle} == {3, 4}  # both serve tax; window 1 has a ticket in hand
    assert idle[0].message == "3 号窗口（税务）空闲 35 分钟，其业务有 1 人等候"
    # Not yet: two minutes in, nothing has waited long and no window idled long.
    early = hall_alerts(state, OPENING + timedelta(minutes=2), lambda f: "")
    assert {a.kind for a in early} == {"device_fault", "window_paused"}


def test_an_idle_window_counts_from_its_last_ticket_not_from_sign_in():
    state = new_state(strict_no_show(idle_alert_minutes=3))
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    state.call_next(1, "clerk:c1", OPENING)
    state.act(tid, "finish", "clerk:c1", OPENING + timedelta(minutes=20), window=1)
    state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING + timedelta(minutes=21))
    at = OPENING + timedelta(minutes=22)
    assert not [a for a in hall_alerts(state, at, str) if a.window == 1]  # free for 2 minutes only
    later = [a for a in hall_alerts(state, at + timedelta(minutes=2), str) if a.window == 1]
    assert [a.kind for a in later] == ["idle_window"]


def test_followups_due_soon_and_overdue():
    state = new_state(strict_no_show())
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    state.call_next(1, "clerk:c1", OPENING)
    state.act(tid, "finish", "clerk:c1", OPENING, window=1)
    state.rate(1, 1, ("服务态度",), "evaluator:t1", OPENING)
    due = next(iter(state.followups.values())).due
    assert not [a for a in hall_alerts(state, OPENING, str) if a.kind.startswith("followup")]
    soon = OPENING + (due - OPENING.date()) - timedelta(days=2)
    assert [a.kind for a in hall_alerts(state, soon, str) if a.followup] == ["followup_due_soon"]
    late = OPENING + (due - OPENING.date()) + timedelta(days=1)
    [alert] = [a for a in hall_alerts(state, late, str) if a.followup]
    assert alert.kind == "followup_overdue" and alert.level == "urgent"
    assert alert.message == f"A001 号（1 号窗口）差评跟进已超期，限 {due} 前办结"


def test_tickets_stop_before_closing_time_but_the_service_stays_open():
    """取号截止: 户口 closes at 12:00; from 11:30 it takes no tickets, while windows still serve."""
    state = new_state(strict_no_show(last_ticket_minutes=30))
    before = OPENING.replace(hour=11, minute=29)
    state.issue("hukou", Priority.NORMAL, "kiosk:k", before)
    cut_off = OPENING.replace(hour=11, minute=30)
    assert not state.is_open("hukou", cut_off)
    with pytest.raises(errors.ServiceClosed) as refused:
        state.issue("hukou", Priority.NORMAL, "kiosk:k", cut_off)
    assert refused.value.message.startswith("户口迁移已停止取号（每段办理时间结束前 30 分钟截止取号），办理时间：")
    assert state.call_next(1, "clerk:c1", cut_off).number == "A001"  # the line is still served
    afternoon = OPENING.replace(hour=14, minute=0)
    assert state.is_open("hukou", afternoon)
    all_day = hall_data()
    all_day["hall"]["hours"] = {"daily": ["00:00-24:00"]}
    late = new_state(all_day)
    assert late.is_open("hukou", OPENING.replace(hour=23, minute=50))  # a range to 24:00 runs on


def test_the_calendar_closes_holidays_and_opens_tiaoxiu_saturdays():
    """The sample calendar (the State Council's 2026 notice): 国庆 closed, 10月10日 (a Saturday)
    worked with Monday's hours, and a follow-up's 15 working days skip the Spring Festival."""
    from dataclasses import replace

    from queue_server.config.hall_file import load_hall_config
    from queue_server.core.feedback import add_working_days

    sample = load_hall_config()
    state = new_state()
    state.config = replace(state.config, calendar=sample.calendar)
    national_day = OPENING.replace(month=10, day=2, hour=9)  # a Friday, and a holiday
    with pytest.raises(errors.ServiceClosed, match="今天是国庆节假期，户口迁移暂停办理"):
        state.issue("hukou", Priority.NORMAL, "kiosk:k", national_day)
    worked_saturday = OPENING.replace(month=10, day=10, hour=9)
    assert worked_saturday.weekday() == 5 and state.is_open("hukou", worked_saturday)
    assert not state.is_open("hukou", OPENING.replace(month=10, day=17, hour=9))  # an ordinary Saturday
    # 15 working days from 2026-02-13 (Fri): 2-14 (Sat) is worked, 2-15..23 are the holiday, 2-28 worked.
    assert add_working_days(date(2026, 2, 13), 15, sample.calendar) == date(2026, 3, 12)
    assert add_working_days(date(2026, 2, 13), 15) == date(2026, 3, 6)  # Monday to Friday only


def test_a_bad_calendar_file_is_named_with_its_problem():
    from queue_server.config.calendar_file import parse_calendar
    from queue_server.config.hall_file import ConfigError

    with pytest.raises(ConfigError) as bad:
        parse_calendar({"holidays": [{"name": "春节", "from": date(2026, 2, 23), "to": date(2026, 2, 15)}]}, "cal.toml")
    assert "to (2026-02-15) is before from (2026-02-23)" in str(bad.value)
    with pytest.raises(ConfigError, match="2026-02-16 is a weekday"):
        parse_calendar(
            {
                "holidays": [
                    {"name": "春节", "from": date(2026, 2, 15), "to": date(2026, 2, 20), "work_on": [date(2026, 2, 16)]}
                ]
            },
            "cal.toml",
        )


def test_the_manager_is_told_when_next_years_holidays_are_missing():
    """The sample calendar has the 2026 notice only: from mid-November the manager is asked to
    add the next year's (the notice comes out in November or December)."""
    from dataclasses import replace

    from queue_server.config.hall_file import load_hall_config
    from queue_server.core.alerts import calendar_alert

    state = new_state()
    assert calendar_alert(state, date(2026, 12, 2)) is None  # a hall without a calendar: nothing to say
    state.config = replace(state.config, calendar=load_hall_config().calendar)
    assert calendar_alert(state, date(2026, 11, 10)) is None
    alert = calendar_alert(state, date(2026, 12, 2))
    assert alert.kind == "calendar_outdated" and alert.level == "warning"
    assert "只排到 2026 年" in alert.message and "2027 年节假日安排通知" in alert.message
