"""Reloading the hall config in a running server (``hallqueue reload``, SIGHUP), against a real
server process: an invalid file changes nothing and says why; a valid one is served at once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time

import aiohttp
import pytest

from queue_server.runtime import control
from queue_server.store.database import open_database

from .serverproc import ALL_DAY_HALL, ServerProcess, hallqueue

PASSPORT = """
[[departments]]
code = "crj"
name = "出入境管理"

[[services]]
code = "passport"
name = "普通护照"
department = "crj"
prefix = "B"

[[windows]]
number = 2
name = "出入境"
services = ["passport"]
"""


@pytest.fixture
async def served(tmp_path):
    """A real server on the all-day hall, with a kiosk token; stopped (and checked) afterwards."""
    config = tmp_path / "hall.toml"
    config.write_text(ALL_DAY_HALL + "\n[limits]\nkiosk_tickets_per_minute = 0\n", encoding="utf-8")
    db = tmp_path / "hall.db"
    token = hallqueue(db, "device", "add", "kiosk-1", "--kind", "kiosk").stdout.strip()
    server = ServerProcess(db, config, tmp_path / "server.log")
    await server.start()
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        yield server, session
    server.stop()
    assert not (tmp_path / control.PID_FILE).exists()  # a clean stop takes its pid file along


async def services(server: ServerProcess, session: aiohttp.ClientSession) -> list[str]:
    async with session.get(server.url + "/api/services") as resp:
        return [s["code"] for s in (await resp.json())["services"]]


async def issue(server: ServerProcess, session: aiohttp.ClientSession, service: str) -> tuple[int, dict]:
    async with session.post(server.url + "/api/tickets", json={"service": service}) as resp:
        return resp.status, await resp.json()


async def ticket(server: ServerProcess, session: aiohttp.ClientSession, ticket_id: int) -> dict:
    async with session.get(f"{server.url}/api/tickets/{ticket_id}") as resp:
        return await resp.json()


def reloads(db) -> list[dict]:
    conn = open_database(db)
    rows = [dict(r) for r in conn.query("SELECT actor, data FROM events WHERE kind = 'config_reloaded' ORDER BY seq")]
    conn.close()
    return [{"actor": r["actor"], **json.loads(r["data"])} for r in rows]


async def wait_for_log(server: ServerProcess, text: str, times: int = 1, timeout: float = 10.0) -> str:
    """The server's log once ``text`` is in it ``times`` times."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = server.log.read_text(encoding="utf-8")
        if log.count(text) >= times:
            return log
        await asyncio.sleep(0.05)
    raise AssertionError(f"{text!r} not in the server's log:\n{server.log.read_text(encoding='utf-8')}")


async def test_reload_with_an_invalid_file_changes_nothing_and_says_why(served):
    server, session = served
    status, waiting = await issue(server, session, "idcard")
    assert status == 201
    before = await services(server, session)
    # A window naming a service nobody defined (and idcard left without a window, whose ticket
    # would expire if the file were taken).
    server.config.write_text(
        ALL_DAY_HALL.replace('services = ["hukou", "idcard"]', 'services = ["hukou", "gas-pay"]'), encoding="utf-8"
    )
    result = hallqueue(server.db, "reload")
    assert result.returncode == 2, result.stdout + result.stderr
    assert f'{server.config}: windows[0].services[1]: unknown service "gas-pay"' in result.stderr
    assert "the server is not touched" in result.stderr and "Traceback" not in result.stderr
    # kill -HUP reads the file in the server itself: refused, and said in its log.
    server.config.write_text(
        ALL_DAY_HALL.replace('services = ["hukou", "idcard"]', 'services = ["hukou"]\nzone = 12'), encoding="utf-8"
    )
    os.kill(server.proc.pid, signal.SIGHUP)
    log = await wait_for_log(server, "hall config NOT reloaded")
    assert f"{server.config}: windows[0].zone: expected text in quotes, got 12" in log
    assert await services(server, session) == before
    assert (await ticket(server, session, waiting["id"]))["status"] == "waiting"
    assert reloads(server.db) == []
    result = control.read_json(server.db.parent / control.RESULT_FILE)
    assert result["ok"] is False and result["trigger"] == "SIGHUP" and result["request"] is None


async def test_reload_offers_a_new_service_at_once(served):
    server, session = served
    status, _ = await issue(server, session, "passport")
    assert status == 422  # no such service yet (unknown_service)
    server.config.write_text(server.config.read_text(encoding="utf-8") + PASSPORT, encoding="utf-8")
    check = hallqueue(server.db, "check-config", str(server.config))
    assert check.returncode == 0, check.stderr
    result = hallqueue(server.db, "reload", "--config", str(server.config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "services added: passport" in result.stdout and "windows added: 2" in result.stdout
    assert "passport" in await services(server, session)
    status, issued = await issue(server, session, "passport")
    assert status == 201 and issued["number"] == "B001" and issued["where"]
    [recorded] = reloads(server.db)
    assert recorded["actor"] == f"cli:{control.whoami()}" and recorded["trigger"] == "hallqueue reload"
    assert recorded["services_added"] == ["passport"] and recorded["file"] == str(server.config)
    # A bare kill -HUP reloads too, and the audit log says it was the signal.
    os.kill(server.proc.pid, signal.SIGHUP)
    await wait_for_log(server, "hall config reloaded from", times=2)
    assert reloads(server.db)[-1]["actor"] == "signal:SIGHUP"


async def test_removing_a_service_expires_its_waiting_tickets_as_a_restart_does(served):
    server, session = served
    _, kept = await issue(server, session, "hukou")
    _, dropped = await issue(server, session, "idcard")
    server.config.write_text(
        ALL_DAY_HALL.replace('services = ["hukou", "idcard"]', 'services = ["hukou"]').replace(
            '[[services]]\ncode = "idcard"\nname = "居民身份证"\ndepartment = "gaj"\nprefix = "A"\n', ""
        ),
        encoding="utf-8",
    )
    result = hallqueue(server.db, "reload")
    assert result.returncode == 0, result.stderr
    assert "services removed: idcard" in result.stdout
    assert f"1 waiting ticket(s) of removed services expired ({dropped['number']})" in result.stdout
    assert await services(server, session) == ["hukou"]
    assert (await ticket(server, session, dropped["id"]))["status"] == "expired"
    assert (await ticket(server, session, kept["id"]))["status"] == "waiting"
    status, _ = await issue(server, session, "idcard")
    assert status == 422
    assert reloads(server.db)[0]["expired"] == [dropped["number"]]


def test_reload_without_a_running_server_says_so(tmp_path):
    db = tmp_path / "hall.db"
    none = hallqueue(db, "reload")
    assert none.returncode == 1 and "no hallqueue server is running" in none.stderr
    # A server that died without cleaning up (kill -9, power cut) left its pid file behind.
    control.write_json(
        tmp_path / control.PID_FILE, {"pid": 2**22 + 12345, "db": str(db), "config": None, "started": ""}
    )
    stale = hallqueue(db, "reload")
    assert stale.returncode == 1 and "stale" in stale.stderr and "Traceback" not in stale.stderr


# ---------------------------------------------------------------- in the app, with screens


def toml_text(data: dict) -> str:
    """The test hall (a dict) as a TOML file: JSON's strings, numbers and lists are TOML's too."""

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v, ensure_ascii=False)

    lines = []
    for key, section in data.items():
        for table in section if isinstance(section, list) else [section]:
            lines.append(f"[[{key}]]" if isinstance(section, list) else f"[{key}]")
            lines.extend(f"{json.dumps(k)} = {value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


async def test_a_reload_keeps_the_tidal_windows_and_screens_take_a_fresh_snapshot(hall, tmp_path):
    from queue_server.api import appkeys
    from queue_server.api.reload import COMMAND, reload_hall

    from .conftest import hall_data
    from .test_event_stream import receive, until_kind

    data = hall_data()
    path = tmp_path / "hall.toml"
    path.write_text(toml_text(data), encoding="utf-8")
    app = hall.client.app
    app[appkeys.FILES].path = path  # as `serve --config` gives it
    manager = await hall.manager()
    resp = await hall.client.put("/api/windows/2/services", json={"services": ["tax", "idcard"]}, headers=manager)
    assert resp.status == 200, await resp.text()
    lobby = await hall.client.ws_connect("/api/events")
    staff = await hall.client.ws_connect("/api/events", headers={"Authorization": f"Bearer {hall.display_token}"})
    assert (await receive(lobby))["type"] == "snapshot" and (await receive(staff))["type"] == "snapshot"

    data["departments"].append({"code": "crj", "name": "出入境管理"})
    data["services"].append({"code": "passport", "name": "普通护照", "department": "crj", "prefix": "B"})
    data["windows"].append({"number": 5, "name": "出入境", "services": ["passport"]})
    data["tiles"].append({"name": "出入境", "services": ["passport"]})
    path.write_text(toml_text(data), encoding="utf-8")
    outcome = await reload_hall(app, COMMAND, "tester")
    assert outcome.ok and outcome.changes["services_added"] == ["passport"], outcome
    public = (await until_kind(lobby, "config_reloaded"))[-1]
    assert "file" not in public and "services_added" not in public  # where the file lives is staff's business
    full = (await until_kind(staff, "config_reloaded"))[-1]
    assert full["services_added"] == ["passport"] and full["trigger"] == COMMAND
    state = await (await hall.client.get("/api/state")).json()
    windows = {w["number"]: w["services"] for w in state["windows"]}
    assert windows[2] == ["tax", "idcard"] and windows[5] == ["passport"]  # the manager's change stands
    tiles = (await (await hall.client.get("/api/services")).json())["tiles"]
    assert tiles[-1]["services"] == ["passport"]  # the kiosk's home screen, read again on the event
    assert (await hall.issue("passport"))["number"] == "B001"

    # passport moves to window 2 alone: the manager's list for 2 would leave it unserved, so the
    # file's word stands for window 2 (as it would on a restart), and the reload says so.
    data["windows"].pop()
    data["windows"][1]["services"].append("passport")
    path.write_text(toml_text(data), encoding="utf-8")
    outcome = await reload_hall(app, COMMAND, "tester")
    assert outcome.ok and "潮汐窗口 change(s) of window(s) 2 no longer apply" in outcome.summary, outcome
    state = await (await hall.client.get("/api/state")).json()
    assert {w["number"]: w["services"] for w in state["windows"]}[2] == ["idcard", "hukou", "passport"]
    await lobby.close()
    await staff.close()


async def test_an_invalid_file_leaves_the_running_hall_alone(hall, tmp_path):
    from queue_server.api import appkeys
    from queue_server.api.reload import SIGNAL, reload_hall

    from .conftest import hall_data

    data = hall_data()
    data["rules"]["max_recall"] = 2  # a typo
    path = tmp_path / "hall.toml"
    path.write_text(toml_text(data), encoding="utf-8")
    app = hall.client.app
    app[appkeys.FILES].path = path
    before = app[appkeys.FILES].config
    seq = (await (await hall.client.get("/api/state")).json())["seq"]
    outcome = await reload_hall(app, SIGNAL)
    assert not outcome.ok and outcome.file == str(path)
    assert outcome.problems == ['rules.max_recall: unknown key (check its spelling: did you mean "max_recalls"?)']
    assert app[appkeys.FILES].config is before and app[appkeys.ENGINE].config is before
    assert (await (await hall.client.get("/api/state")).json())["seq"] == seq  # not even an event


def test_a_ticket_at_a_window_the_new_config_removed_can_still_be_finished(tmp_path):
    """Restart (and reload) semantics, in the core: the ticket keeps its status; staff of the hall
    (admin, reception) can still finish it, and the event names no window the screens lack."""
    from queue_server.config.hall_file import parse_hall_config
    from queue_server.core.hall import HallState
    from queue_server.core.model import Priority
    from queue_server.store.database import Store

    from .conftest import OPENING, hall_data
    from .test_core import new_state

    state = new_state()
    tid = state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    state.call_next(2, "clerk2", OPENING)
    store = Store(tmp_path / "hall.db")
    store.open()
    store.persist(state.take_journal())
    data = hall_data()
    del data["windows"][1]  # window 2 goes; window 1 still serves hukou and idcard
    config = parse_hall_config(data, "t.toml")
    again = HallState(config, store.restore(config, OPENING))
    store.close()
    assert again.active[tid].window == 2 and 2 not in again.windows
    again.act(tid, "finish", "admin:admin", OPENING.replace(minute=5))
    [event] = again.take_journal().events
    assert event.kind == "finished" and event.window is None and event.to_status == "done"


async def test_the_guides_and_the_calendar_are_read_again_too(hall, tmp_path):
    import copy

    from queue_server.api import appkeys
    from queue_server.api.reload import COMMAND, reload_hall

    from .conftest import TEST_GUIDES, hall_data

    data = hall_data()
    data["hall"]["guides"], data["hall"]["calendar"] = "guides.toml", "calendar.toml"
    (tmp_path / "hall.toml").write_text(toml_text(data), encoding="utf-8")
    guides = copy.deepcopy(TEST_GUIDES)
    guides["items"] = guides["items"][:1]
    (tmp_path / "guides.toml").write_text(toml_text(guides), encoding="utf-8")
    # Today, the test's Wednesday, becomes a holiday.
    (tmp_path / "calendar.toml").write_text('[[holidays]]\nname = "测试假日"\nfrom = 2026-11-25\nto = 2026-11-25\n')
    app = hall.client.app
    app[appkeys.FILES].path = tmp_path / "hall.toml"
    assert len((await (await hall.client.get("/api/guides")).json())["items"]) == 2
    outcome = await reload_hall(app, COMMAND, "tester")
    assert outcome.ok, outcome
    assert [g["code"] for g in (await (await hall.client.get("/api/guides")).json())["items"]] == ["hukou-in"]
    resp = await hall.client.post("/api/tickets", json={"service": "hukou"}, headers=hall.kiosk())
    assert resp.status == 409 and "测试假日" in (await resp.json())["error"]["message"]
    # A broken guides file is named as the file at fault, and nothing changes.
    (tmp_path / "guides.toml").write_text('[[items]]\ncode = "x"\n', encoding="utf-8")
    outcome = await reload_hall(app, COMMAND, "tester")
    assert not outcome.ok and outcome.file == str(tmp_path / "guides.toml"), outcome
    assert any(p.startswith("items[0].name: missing") for p in outcome.problems)
    assert len((await (await hall.client.get("/api/guides")).json())["items"]) == 1
