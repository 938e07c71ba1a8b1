"""Alerts pushed as events: raised once when a condition begins, cleared once when it ends, heard
at once by staff screens and never by the public stream; and the lobby's optional 等候时间较长
notice, which says nothing of faults or idle windows."""

from __future__ import annotations

from datetime import timedelta

from queue_server.api.app import init_app
from queue_server.config.hall_file import parse_hall_config
from queue_server.core.hall import HallState
from queue_server.core.journal import Restored
from queue_server.core.model import EventKind, Priority

from .conftest import OPENING, Hall, hall_data, provision
from .test_core import new_state
from .test_event_stream import receive, until_kind

ALERT_KINDS = (EventKind.ALERT_RAISED, EventKind.ALERT_CLEARED)


def alert_events(state: HallState) -> list[tuple[str, str]]:
    return [(e.kind, e.data["key"]) for e in state.take_journal().events if e.kind in ALERT_KINDS]


def rules(**values) -> dict:
    data = hall_data()
    data["rules"].update({"wait_alert_minutes": 30, "idle_alert_minutes": 3, **values})
    return data


def test_an_alert_is_raised_once_and_cleared_once():
    state = new_state(rules())
    tax = state.issue("tax", Priority.NORMAL, "kiosk:k", OPENING).ticket_id  # windows 3 and 4 serve tax
    state.take_journal()
    state.review_alerts(OPENING + timedelta(minutes=2))
    assert alert_events(state) == []  # not idle long enough yet
    state.review_alerts(OPENING + timedelta(minutes=3))
    assert alert_events(state) == [("alert_raised", "idle_window:3"), ("alert_raised", "idle_window:4")]
    for minutes in range(4, 30):  # every tick of the engine: nothing new while nothing changes
        state.review_alerts(OPENING + timedelta(minutes=minutes))
    assert alert_events(state) == []
    state.review_alerts(OPENING + timedelta(minutes=30))
    events = [e for e in state.take_journal().events if e.kind in ALERT_KINDS]
    [long_wait] = events
    assert long_wait.data == {
        "key": "long_wait:tax",
        "alert": "long_wait",
        "level": "urgent",
        "message": "纳税申报：最长已等 30 分钟（1 人等候）",
        "service": "tax",
    }
    state.call_next(3, "clerk3", OPENING + timedelta(minutes=31))
    state.review_alerts(OPENING + timedelta(minutes=31))
    assert alert_events(state) == [
        ("alert_cleared", "idle_window:3"),
        ("alert_cleared", "idle_window:4"),
        ("alert_cleared", "long_wait:tax"),
    ]
    state.act(tax, "finish", "clerk3", OPENING + timedelta(minutes=40), window=3)
    state.review_alerts(OPENING + timedelta(minutes=60))
    assert alert_events(state) == []  # nobody waits: window 3 idles, and that is fine


def test_a_device_fault_is_an_alert_until_it_is_cleared():
    state = new_state(rules())
    state.report_fault("kiosk-1", "printer", "paper_out", "缺纸", OPENING)
    state.review_alerts(OPENING)
    [raised] = [e for e in state.take_journal().events if e.kind is EventKind.ALERT_RAISED]
    assert raised.data["message"] == "设备故障：kiosk-1 · 打印机（缺纸）" and raised.data["level"] == "urgent"
    state.report_fault("kiosk-1", "printer", "cover_open", "机盖未关好", OPENING + timedelta(minutes=1))
    state.review_alerts(OPENING + timedelta(minutes=1))
    assert alert_events(state) == []  # the same printer, still broken: the alert stands
    state.report_fault("kiosk-1", "printer", "ok", "", OPENING + timedelta(minutes=2))
    state.review_alerts(OPENING + timedelta(minutes=2))
    [cleared] = [e for e in state.take_journal().events if e.kind is EventKind.ALERT_CLEARED]
    assert cleared.data["key"] == "device_fault:kiosk-1/printer" and cleared.data["since"] == OPENING.isoformat()


def test_raised_alerts_survive_a_restart_without_being_raised_again():
    config = parse_hall_config(rules(), "t.toml")
    state = new_state(rules())
    state.report_fault("display-1", "board-w3", "silent", "", OPENING)
    state.review_alerts(OPENING)
    journal = state.take_journal()
    assert journal.alerts is not None and list(journal.alerts) == ["device_fault:display-1/board-w3"]
    restored = Restored.empty(OPENING.date())
    restored.faults, restored.alerts = list(state.faults.values()), journal.alerts
    again = HallState(config, restored)
    again.review_alerts(OPENING + timedelta(minutes=5))
    assert alert_events(again) == []
    assert again.alerts["device_fault:display-1/board-w3"].since == OPENING


def test_the_lobby_notice_follows_long_waits_and_only_when_switched_on():
    quiet = new_state(rules())
    quiet.issue("tax", Priority.NORMAL, "kiosk:k", OPENING)
    quiet.review_alerts(OPENING + timedelta(minutes=45))
    assert quiet.wait_notices == ()
    assert EventKind.WAIT_NOTICES_CHANGED not in {e.kind for e in quiet.take_journal().events}

    state = new_state(rules(lobby_wait_notice=True))
    state.issue("tax", Priority.NORMAL, "kiosk:k", OPENING)
    state.report_fault("kiosk-1", "printer", "paper_out", "缺纸", OPENING)
    state.review_alerts(OPENING + timedelta(minutes=10))  # a fault and idle windows: nothing for visitors
    assert state.wait_notices == ()
    state.review_alerts(OPENING + timedelta(minutes=31))
    assert state.wait_notices == ("纳税申报 等候时间较长，请耐心等候",)  # this hall has no guides to point to
    [changed] = [e for e in state.take_journal().events if e.kind is EventKind.WAIT_NOTICES_CHANGED]
    assert changed.data["wait_notices"] == ["纳税申报 等候时间较长，请耐心等候"]
    state.call_next(4, "clerk4", OPENING + timedelta(minutes=32))
    state.review_alerts(OPENING + timedelta(minutes=32))
    assert state.wait_notices == ()


async def test_staff_hear_alerts_at_once_and_the_public_stream_does_not(hall, clock):
    lobby = await hall.client.ws_connect("/api/events")
    staff = await hall.client.ws_connect("/api/events", headers={"Authorization": f"Bearer {hall.display_token}"})
    assert (await receive(lobby))["type"] == "snapshot" and (await receive(staff))["type"] == "snapshot"
    clerk = await hall.clerk(3)
    await hall.issue("tax")
    clock.advance(minutes=4)  # window 3 open and idle while a tax ticket waits
    await hall.client.get("/api/health")  # any batch (or the engine's tick) notices the time
    raised = (await until_kind(staff, "alert_raised"))[-1]
    assert raised["alert"] == "idle_window" and raised["window"] == 3 and raised["level"] == "warning"
    assert raised["message"] == "3 号窗口（税务）空闲 4 分钟，其业务有 1 人等候"
    for _ in range(3):
        clock.advance(minutes=1)
        await hall.client.get("/api/health")
    resp = await hall.client.post("/api/windows/3/call-next", headers=clerk)
    assert resp.status == 200, await resp.text()
    cleared = (await until_kind(staff, "alert_cleared"))[-1]
    assert cleared["key"] == "idle_window:3"
    seen = (await until_kind(lobby, "called"))[:-1]
    assert not [m for m in seen if m.get("kind", "").startswith("alert")]
    db = hall.db()
    rows = db.execute("SELECT kind, count(*) FROM events WHERE kind LIKE 'alert_%' GROUP BY kind").fetchall()
    db.close()
    assert dict(rows) == {"alert_raised": 1, "alert_cleared": 1}  # not one per batch
    # /admin still shows what stands now, from the same conditions.
    overview = await (await hall.client.get("/api/admin/overview", headers=await hall.manager())).json()
    assert not [a for a in overview["alerts"] if a["kind"] == "idle_window" and a["window"] == 3]
    await lobby.close()
    await staff.close()


async def test_the_lobby_notice_is_in_the_state_only_when_switched_on(aiohttp_client, tmp_path, clock, guides):
    async def long_wait(lobby_wait_notice: bool) -> tuple[Hall, dict]:
        data = rules(lobby_wait_notice=lobby_wait_notice)
        config = parse_hall_config(data, "t.toml")
        db_path = tmp_path / f"{lobby_wait_notice}.db"
        kiosk, display = provision(db_path, config.windows)
        hall = Hall(await aiohttp_client(init_app(config, db_path, clock, guides)), db_path, clock, kiosk, display)
        await hall.issue("water-pay")  # window 4 alone serves it; nobody signed in there
        return hall, await (await hall.client.get("/api/state")).json()

    clock.now = OPENING
    off, state = await long_wait(False)
    clock.advance(minutes=31)
    state = await (await off.client.get("/api/state")).json()
    assert state["wait_notices"] == []

    clock.now = OPENING
    on, state = await long_wait(True)
    assert state["wait_notices"] == []
    lobby = await on.client.ws_connect("/api/events")
    assert (await receive(lobby))["type"] == "snapshot"
    clock.advance(minutes=31)
    state = await (await on.client.get("/api/state")).json()
    assert state["wait_notices"] == ["水费缴纳 等候时间较长，请耐心等候"]
    notice = (await until_kind(lobby, "wait_notices_changed"))[-1]
    assert notice["wait_notices"] == state["wait_notices"]
    clerk = await on.clerk(4)
    resp = await on.client.post("/api/windows/4/call-next", headers=clerk)
    assert resp.status == 200, await resp.text()
    assert (await until_kind(lobby, "wait_notices_changed"))[-1]["wait_notices"] == []
    assert (await (await on.client.get("/api/state")).json())["wait_notices"] == []
    await lobby.close()
