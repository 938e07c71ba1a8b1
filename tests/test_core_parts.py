"""HallState's parts (queue, 好差评, device faults, notices) write into one journal with one event
sequence; event kinds and ticket actions are enums that still read and serialise as strings."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from queue_server.core import errors
from queue_server.core.hall import HallState, Issued, Journal, RecentCall, Restored
from queue_server.core.journal import Journal as JournalItself
from queue_server.core.model import EventKind, Priority, Status, TicketAction

from .conftest import OPENING
from .test_core import new_state


def test_the_journal_types_are_still_importable_from_hall():
    assert Journal is JournalItself
    assert {Issued, RecentCall, Restored, HallState}  # imported above: the store and server rely on it


def test_every_part_writes_into_the_same_journal_in_one_sequence():
    state = new_state()
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    state.call_next(1, "clerk:c1", OPENING)
    state.act(tid, "finish", "clerk:c1", OPENING + timedelta(minutes=5), window=1)
    state.rate(1, 2, ("等候时间",), "evaluator:tablet-1", OPENING + timedelta(minutes=6))
    state.report_fault("kiosk-1", "printer", "paper_out", "缺纸", OPENING + timedelta(minutes=7))
    state.set_notices(("今日系统升级",), "admin:a", OPENING + timedelta(minutes=8))
    journal = state.take_journal()
    assert [e.kind for e in journal.events] == [
        EventKind.ISSUED,
        EventKind.CALLED,
        EventKind.FINISHED,
        EventKind.RATED,
        EventKind.FOLLOWUP_OPENED,
        EventKind.DEVICE_FAULT,
        EventKind.NOTICES_CHANGED,
    ]
    seqs = [e.seq for e in journal.events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) and state.last_event_seq == seqs[-1]
    assert len(journal.ratings) == 1 and len(journal.followups) == 1
    assert ("kiosk-1", "printer") in journal.faults and journal.notices == ("今日系统升级",)


def test_a_rating_records_who_submitted_it():
    state = new_state()
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    state.call_next(1, "clerk:c1", OPENING)
    state.act(tid, "finish", "clerk:c1", OPENING + timedelta(minutes=5), window=1)
    rating = state.rate(1, 5, (), "evaluator:tablet-3", OPENING + timedelta(minutes=6))
    assert rating.rated_by == "evaluator:tablet-3"
    assert rating.as_dict()["rated_by"] == "evaluator:tablet-3"
    assert state.take_journal().ratings == [rating]


def test_event_kinds_read_and_serialise_as_their_strings():
    state = new_state()
    state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING)
    e = state.take_journal().events[-1]
    assert e.kind is EventKind.ISSUED and e.kind == "issued"
    assert json.dumps({"kind": e.kind}) == '{"kind": "issued"}'


@pytest.mark.parametrize("action", [TicketAction.RECALL, "recall"])
def test_act_takes_the_enum_or_its_string(action):
    state = new_state()
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    state.call_next(1, "clerk:c1", OPENING)
    assert state.act(tid, action, "clerk:c1", OPENING, window=1).call_count == 2


def test_an_unknown_action_changes_nothing():
    state = new_state()
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    state.take_journal()
    with pytest.raises(ValueError):
        state.act(tid, "shred", "clerk:c1", OPENING)
    assert state.active[tid].status is Status.WAITING and not state.take_journal()


def test_an_illegal_action_names_it_and_the_allowed_statuses():
    state = new_state()
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    with pytest.raises(errors.IllegalTransition) as refused:
        state.act(tid, TicketAction.START, "clerk:c1", OPENING)
    assert refused.value.details == {"action": "start", "status": "waiting", "allowed_from": ["called"]}
    assert "不能开始办理" in refused.value.message
