"""The display service against a real server process, boards on a real serial pair (a pty with
simulated Onbon controllers) and the voice written as WAV files."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from displays.service import DisplayService
from hardware.voice import Announcer, EspeakVoice, WavFolderSink
from queue_server.client import HallClient
from queue_server.core.model import BoardWiring
from queue_server.store import accounts
from queue_server.store.database import open_database

from .boardsim import BoardBus, SimulatedBoard
from .conftest import PASSWORD, provision
from .serverproc import ALL_DAY_HALL, ServerProcess

WINDOWS = "".join(f'\n[[windows]]\nnumber = {n}\nname = "户政{n}"\nservices = ["hukou", "idcard"]\n' for n in (2, 3))


async def until(condition, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def hall(tmp_path):
    config = tmp_path / "hall.toml"
    config.write_text(ALL_DAY_HALL + WINDOWS, encoding="utf-8")
    kiosk, display = provision(tmp_path / "hall.db", [1, 2, 3])
    server = ServerProcess(tmp_path / "hall.db", config, tmp_path / "server.log")
    server.tokens = {"kiosk": kiosk, "display": display}
    await server.start()
    yield server
    server.stop()


async def post(session, server, path, headers=None, body=None):
    async with session.post(server.url + path, json=body, headers=headers) as resp:
        assert resp.status < 300, await resp.text()
        return await resp.json() if resp.status != 204 else None


async def test_calls_reach_the_right_boards_and_are_spoken_in_order(hall, tmp_path):
    bus = BoardBus(SimulatedBoard(1), SimulatedBoard(2), SimulatedBoard(3, "silent"), SimulatedBoard(4))
    wiring = [BoardWiring(bus.port_address, n, n, 128, 16) for n in (1, 2, 3)]
    wiring.append(BoardWiring(bus.port_address, 4, None, 192, 32))  # a wide board: the last two calls
    said = tmp_path / "said"
    service = DisplayService(
        HallClient(hall.url, hall.tokens["display"]),
        wiring,
        Announcer(EspeakVoice(), WavFolderSink(said)),
        board_timeout_s=0.2,
        board_retries=1,
        retry_s=0.5,
    )
    task = asyncio.create_task(service.run())
    boards = bus.boards
    try:
        # The snapshot: nobody signed in yet.
        await until(lambda: boards[1].texts() == ["暂停服务"] and boards[4].texts() == ["欢迎光临"], what="snapshot")
        async with aiohttp.ClientSession() as session:
            kiosk = {"Authorization": f"Bearer {hall.tokens['kiosk']}"}
            for _ in range(4):
                await post(session, hall, "/api/tickets", kiosk, {"service": "hukou"})
            clerks = {}
            for n in (1, 2, 3):
                login = await post(
                    session, hall, "/api/login", body={"login": f"clerk{n}", "password": PASSWORD, "window": n}
                )
                clerks[n] = {"Authorization": f"Bearer {login['token']}"}
            await post(session, hall, "/api/windows/3/call-next", clerks[3])  # A001 to the silent board
            a002 = await post(session, hall, "/api/windows/1/call-next", clerks[1])
            await post(session, hall, "/api/windows/2/call-next", clerks[2])
            # Each line sends a board its newest text, so boards may overtake one another.
            await until(lambda: boards[2].texts()[-1:] == ["A003 请到2号窗口"], what="board 2")
            await until(lambda: boards[1].texts()[-1:] == ["A002 请到1号窗口"], what="board 1")
            await until(lambda: boards[4].texts()[-1:] == ["A003 请到2号窗口\nA002 请到1号窗口"], what="wide board")
            assert all(f.dst == 1 for f in boards[1].received) and boards[1].texts()[0] == "暂停服务"
            await post(session, hall, f"/api/tickets/{a002['id']}/recall", clerks[1])
            await post(session, hall, "/api/windows/2/pause", clerks[2])
            await until(lambda: boards[2].texts()[-1] == "暂停服务", what="paused board")

            # The silent board was retried, and the server knows about it.
            await until(lambda: len(boards[3].received) >= 4, what="retries of the silent board")
            db = open_database(hall.db)
            faults = list(db.query("SELECT device, component, state FROM device_faults WHERE cleared_at IS NULL"))
            db.close()
            assert faults == [{"device": "display-1", "component": "board-w3", "state": "silent"}]

            # The server restarts; the service follows it.
            hall.kill()
            await hall.start()
            await post(session, hall, f"/api/tickets/{a002['id']}/finish", clerks[1])
            await post(session, hall, "/api/windows/1/call-next", clerks[1])
            await until(lambda: boards[1].texts()[-1] == "A004 请到1号窗口", timeout=15, what="call after restart")

        await service.announcer.drain()
        assert [f.name for f in sorted(said.iterdir())] == [
            "00001-A001-w3.wav",
            "00002-A002-w1.wav",
            "00003-A003-w2.wav",
            "00004-A002-w1.wav",
            "00005-A004-w1.wav",
        ]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        bus.close()


def test_board_texts_follow_the_window():
    from displays.boards import BoardTexts

    board = BoardWiring("serial:///dev/null", 1, 1, 128, 16)
    texts = BoardTexts([board])
    snap = {"windows": [{"number": 1, "status": "open", "ticket": None}], "recent_calls": []}
    assert texts.snapshot(snap) == {board: "欢迎光临"}
    called = {
        "kind": "called",
        "window": 1,
        "window_status": "open",
        "window_ticket": "B007",
        "ticket": {"number": "B007"},
    }
    assert texts.event(called) == {board: "B007 请到1号窗口"}
    assert texts.event({**called, "kind": "recalled"}) == {}  # the same text: nothing to send
    paused = {"kind": "window_paused", "window": 1, "window_status": "paused", "window_ticket": "B007"}
    assert texts.event(paused) == {board: "暂停服务"}
    assert texts.event({**paused, "kind": "window_resumed", "window_status": "open"}) == {board: "B007 请到1号窗口"}
    assert texts.event({"kind": "issued", "window": None, "ticket": {"number": "B008"}}) == {}
    # The board copies the window's ticket from the event, whatever the kind says.
    finished = {
        "kind": "finished",
        "window": 1,
        "window_status": "open",
        "window_ticket": None,
        "ticket": called["ticket"],
    }
    assert texts.event(finished) == {board: "欢迎光临"}


async def test_a_window_board_names_who_serves_there(hall):
    """亮牌 on the LED board (``show_clerk``): the name while nobody is called, the call while one is."""
    db = open_database(hall.db)
    accounts.set_user(db, "clerk1", name="王芳", staff_no="QJ0001")
    db.close()
    bus = BoardBus(SimulatedBoard(1), SimulatedBoard(2))
    wiring = [
        BoardWiring(bus.port_address, 1, 1, 128, 16, show_clerk=True),
        BoardWiring(bus.port_address, 2, 2, 128, 16),
    ]
    service = DisplayService(HallClient(hall.url, hall.tokens["display"]), wiring, None, board_timeout_s=0.2)
    task = asyncio.create_task(service.run())
    boards = bus.boards
    try:
        await until(lambda: boards[1].texts()[-1:] == ["暂停服务"], what="closed window")
        async with aiohttp.ClientSession() as session:
            kiosk = {"Authorization": f"Bearer {hall.tokens['kiosk']}"}
            ticket = await post(session, hall, "/api/tickets", kiosk, {"service": "hukou"})
            clerks = {}
            for n in (1, 2):
                login = await post(
                    session, hall, "/api/login", body={"login": f"clerk{n}", "password": PASSWORD, "window": n}
                )
                clerks[n] = {"Authorization": f"Bearer {login['token']}"}
            await until(lambda: boards[1].texts()[-1:] == ["王芳 为您服务"], what="the clerk's name")
            await until(lambda: boards[2].texts()[-1:] == ["欢迎光临"], what="a board without show_clerk")
            await post(session, hall, "/api/windows/1/call-next", clerks[1])
            await until(lambda: boards[1].texts()[-1:] == ["A001 请到1号窗口"], what="the call")
            await post(session, hall, f"/api/tickets/{ticket['id']}/finish", clerks[1])
            await until(lambda: boards[1].texts()[-1:] == ["王芳 为您服务"], what="the name again")
            await post(session, hall, "/api/logout", clerks[1])
            await until(lambda: boards[1].texts()[-1:] == ["暂停服务"], what="signed out")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        bus.close()
