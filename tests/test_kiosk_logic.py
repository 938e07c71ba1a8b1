"""The kiosk's logic without a window: the ticket flow against a real server, with a printer
that keeps the bytes or emupos; the guide search; the live feed."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from hardware.printer import TicketPrinter
from hardware.printer_status import PrinterState
from kiosk.feed import LiveFeed
from kiosk.flow import TicketFlow
from kiosk.search import search_guides
from queue_server.client import HallClient, Refused, ServerUnavailable

from .emupos import Emupos, decode_dump


def base_url(hall) -> str:
    return str(hall.client.make_url("")).rstrip("/")


async def test_take_a_ticket_and_print_it(hall):
    printer = TicketPrinter("dummy:")
    async with HallClient(base_url(hall), hall.kiosk_token) as client:
        outcome = await TicketFlow(client, printer, "测试政务服务中心").take("hukou")
    assert outcome.printed and outcome.ticket["number"] == "A001"
    assert outcome.status_url == base_url(hall) + outcome.ticket["status_path"]
    assert b"A001" in printer.kept_bytes and outcome.status_url.encode() in printer.kept_bytes
    assert "户口迁移".encode("gb18030") in printer.kept_bytes
    assert hall.count("tickets") == 1


async def test_elderly_lane_prints_its_label(hall):
    printer = TicketPrinter("dummy:")
    async with HallClient(base_url(hall), hall.kiosk_token) as client:
        outcome = await TicketFlow(client, printer, "测试政务服务中心").take("hukou", "elderly")
    assert outcome.ticket["priority"] == "elderly"
    assert "【特别通道】".encode("gb18030") in printer.kept_bytes


async def test_a_slow_answer_is_retried_without_a_second_ticket(hall, aiohttp_server):
    """A proxy delays the first answer past the kiosk's timeout; the server had issued it."""
    upstream = base_url(hall)
    delays = [1.5]

    async def proxy(request: web.Request) -> web.Response:
        async with hall.client.session.request(
            request.method,
            upstream + request.path_qs,
            data=await request.read(),
            headers={"Authorization": request.headers["Authorization"], "Content-Type": "application/json"},
        ) as resp:
            body = await resp.read()
        if delays:
            await asyncio.sleep(delays.pop())
        return web.Response(body=body, status=resp.status, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    slow = await aiohttp_server(app)
    async with HallClient(str(slow.make_url("")).rstrip("/"), hall.kiosk_token, timeout_s=0.5) as client:
        outcome = await TicketFlow(client, TicketPrinter("dummy:"), "大厅", retry_delay_s=0.1).take("hukou")
    assert outcome.ticket["number"] == "A001" and hall.count("tickets") == 1


async def test_server_away_is_said_plainly():
    async with HallClient("http://127.0.0.1:1", "token", timeout_s=0.5) as client:
        with pytest.raises(ServerUnavailable):
            await TicketFlow(client, TicketPrinter("dummy:"), "大厅", attempts=2, retry_delay_s=0.05).take("hukou")


async def test_closed_service_and_daily_cap_are_refused_with_the_reason(hall):
    async with HallClient(base_url(hall), hall.kiosk_token) as client:
        flow = TicketFlow(client, TicketPrinter("dummy:"), "大厅")
        for _ in range(3):
            await flow.take("tax")
        with pytest.raises(Refused) as exc:
            await flow.take("tax")
        assert exc.value.code == "daily_cap_reached" and "今日号已取完" in exc.value.message
        hall.clock.advance(hours=10)
        with pytest.raises(Refused) as exc:
            await flow.take("hukou")
        assert exc.value.code == "service_closed" and "周一至周五 08:30-12:00、14:00-17:30" in exc.value.message


@pytest.fixture(scope="module")
def emupos(tmp_path_factory):
    emulator = Emupos(tmp_path_factory.mktemp("emupos-kiosk"))
    yield emulator
    emulator.stop()


async def open_faults(hall) -> list[dict]:
    db = hall.db()
    try:
        return list(db.query("SELECT component, state FROM device_faults WHERE cleared_at IS NULL"))
    finally:
        db.close()


async def test_paper_out_shows_the_ticket_reports_the_fault_and_paper_back_resumes(hall, emupos):
    emupos.fault("paper-out")
    try:
        async with HallClient(base_url(hall), hall.kiosk_token) as client:
            flow = TicketFlow(client, TicketPrinter(emupos.tcp_uri), "测试政务服务中心")
            before = emupos.receipt_ids()
            outcome = await flow.take("hukou")
            assert not outcome.printed and outcome.printer_state is PrinterState.PAPER_OUT
            assert "缺纸" in outcome.printer_message and outcome.ticket["number"] == "A001"
            assert await open_faults(hall) == [{"component": "printer", "state": "paper_out"}]
            emupos.fault("paper-out", on=False)
            assert (await flow.check_printer()).state is PrinterState.READY
            assert await open_faults(hall) == []
            outcome = await flow.take("hukou")
            assert outcome.printed
            lines = [decode_dump(x) for x in emupos.text(emupos.wait_receipt(before)).splitlines()]
            assert "A002" in lines  # the first ticket was shown on screen, not printed later
    finally:
        emupos.fault("paper-out", on=False)


GUIDES = [
    {"code": "a", "name": "户口迁入登记", "initials": "hkqrdj", "keywords": ["落户"], "department_name": "市公安局"},
    {"code": "b", "name": "户口迁出登记", "initials": "hkqcdj", "keywords": [], "department_name": "市公安局"},
    {
        "code": "c",
        "name": "老年人优待证办理",
        "initials": "lnrydzbl",
        "keywords": ["老人证"],
        "department_name": "市民政局",
    },
    {"code": "d", "name": "居民身份证申领", "initials": "jmsfzsl", "keywords": [], "department_name": "市公安局"},
]


@pytest.mark.parametrize(
    "query, codes",
    [
        ("户口", ["a", "b"]),
        ("迁入", ["a"]),
        ("落户", ["a"]),
        ("老人", ["c"]),
        ("hkq", ["a", "b"]),
        ("HKQR", ["a"]),
        ("sfz", ["d"]),
        ("公安", ["a", "b", "d"]),
        ("  ", []),
        ("火星", []),
    ],
)
def test_guide_search_by_characters_and_initials(query, codes):
    assert [g["code"] for g in search_guides(GUIDES, query)] == codes


async def test_live_feed_follows_waiting_counts(hall):
    changes: list[tuple[dict, bool]] = []
    got = asyncio.Event()

    def on_change(counts, connected):
        changes.append((counts, connected))
        got.set()

    feed = LiveFeed(base_url(hall).replace("http", "ws", 1) + "/api/events", on_change)
    task = asyncio.create_task(feed.run())
    try:
        await asyncio.wait_for(got.wait(), 5)
        assert changes[-1] == ({"hukou": 0, "idcard": 0, "tax": 0, "water-pay": 0}, True)
        got.clear()
        await hall.issue("idcard")
        await asyncio.wait_for(got.wait(), 5)
        assert changes[-1][0]["idcard"] == 1
    finally:
        task.cancel()
