"""The kiosk's logic without a window: the ticket flow against a real server, with a printer
that keeps the bytes or emupos (one service, or several in one visit on one slip); the printed
一次性告知单 of a guide item; the guide search; the live feed; the words."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from hardware.printer import TicketPrinter
from hardware.printer_status import PrinterState
from kiosk import strings
from kiosk.feed import LiveFeed
from kiosk.flow import TicketFlow, checklist_content
from kiosk.search import search_guides
from queue_server.api.app import init_app
from queue_server.client import HallClient, Refused, ServerUnavailable
from queue_server.config.guides import hall_guides
from queue_server.config.hall_file import load_hall_config

from .conftest import OPENING, Hall, provision
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


def slow_proxy(hall, delays: list[float]) -> web.Application:
    """A proxy in front of ``hall`` that holds its first answers ``delays`` seconds each."""
    upstream = base_url(hall)

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
    return app


async def test_a_slow_answer_is_retried_without_a_second_ticket(hall, aiohttp_server):
    """A proxy delays the first answer past the kiosk's timeout; the server had issued it."""
    slow = await aiohttp_server(slow_proxy(hall, [1.5]))
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


# ------------------------------------------------------------------ several services in one visit


@pytest.fixture
async def sample_hall(aiohttp_client, tmp_path, clock) -> Hall:
    """The sample hall (潜江市政务服务中心): window 19 serves both elderly cards; no window serves
    户口迁移登记 (windows 1-3) and 纳税申报 (9-11) together."""
    config = load_hall_config()
    db_path = tmp_path / "hall.db"
    kiosk, display = provision(db_path, [])
    client = await aiohttp_client(init_app(config, db_path, clock, hall_guides(config, None)))
    return Hall(client, db_path, clock, kiosk, display)


ELDER_CARD, BUS_CARD = "老年人优待证（即办）", "老年人免费乘车卡（即办）"


def slip(printer: TicketPrinter) -> str:
    return printer.kept_bytes.decode("gb18030", errors="replace")


async def test_both_elderly_cards_are_one_ticket_on_one_slip(sample_hall):
    printer = TicketPrinter("dummy:")
    async with HallClient(base_url(sample_hall), sample_hall.kiosk_token) as client:
        outcome = await TicketFlow(client, printer, "潜江市政务服务中心").take(["mz-elder", "jt-elder-card"], "elderly")
    ticket = outcome.ticket
    assert ticket["number"] == "J001" and ticket["priority"] == "elderly" and outcome.printed
    assert [s["name"] for s in outcome.services] == [ELDER_CARD, BUS_CARD] and outcome.also == [BUS_CARD]
    assert outcome.linked == [] and outcome.numbers == ["J001"]
    assert ticket["where"] == "17、18、19 号窗口（一楼B区）"
    assert sample_hall.count("tickets") == 1
    text = slip(printer)
    assert "J001" in text and f"同时办理：{BUS_CARD}" in text and "办理窗口：17、18、19 号窗口（一楼B区）" in text
    assert "【特别通道】" in text


async def test_services_no_window_shares_are_linked_tickets_on_one_slip(sample_hall):
    await sample_hall.issue("hz-hukou")  # 户口 has a line, 纳税 none: 纳税 first
    printer = TicketPrinter("dummy:")
    async with HallClient(base_url(sample_hall), sample_hall.kiosk_token) as client:
        outcome = await TicketFlow(client, printer, "潜江市政务服务中心").take(["hz-hukou", "tax-declare"])
    assert outcome.ticket["service"] == "tax-declare" and outcome.numbers == ["E001", "A002"]
    [other] = outcome.linked
    assert other["service"] == "hz-hukou" and other["waiting_ahead"] == 1
    assert other["where"] == "1、2、3 号窗口（一楼A区）"
    assert sample_hall.count("tickets") == 3
    text = slip(printer)
    assert text.count("一次性") == 0 and "本次还需办理（请依次留意叫号）" in text
    for number in outcome.numbers:
        assert number in text
    assert text.index("E001") < text.index("本次还需办理") < text.index("A002")
    assert text.count("\x1dV") <= 1  # one slip: cut once


async def test_one_service_as_a_list_is_a_plain_ticket(sample_hall):
    async with HallClient(base_url(sample_hall), sample_hall.kiosk_token) as client:
        outcome = await TicketFlow(client, None, "大厅").take(["hz-birth"])
    assert outcome.numbers == ["A001"] and outcome.also == [] and not outcome.printed
    assert outcome.ticket["group_id"] is None


async def test_a_slow_visit_is_retried_as_the_same_visit(sample_hall, aiohttp_server):
    """The first answer comes too late: the retry (same request id) is the same visit, linked
    tickets and all, not a second one."""
    slow = await aiohttp_server(slow_proxy(sample_hall, [1.5]))
    async with HallClient(str(slow.make_url("")).rstrip("/"), sample_hall.kiosk_token, timeout_s=0.5) as client:
        flow = TicketFlow(client, TicketPrinter("dummy:"), "大厅", retry_delay_s=0.1)
        outcome = await flow.take(["hz-hukou", "tax-declare"], request_id="visit-1")
        assert sample_hall.count("tickets") == 2 and len(outcome.linked) == 1
        again = await flow.take(["hz-hukou", "tax-declare"], request_id="visit-1")
    assert again.numbers == outcome.numbers and sample_hall.count("tickets") == 2


async def test_a_visit_is_refused_whole_with_the_reason(sample_hall):
    sample_hall.clock.advance(hours=11)  # 20:00
    async with HallClient(base_url(sample_hall), sample_hall.kiosk_token) as client:
        with pytest.raises(Refused) as exc:
            await TicketFlow(client, TicketPrinter("dummy:"), "大厅").take(["hz-hukou", "tax-declare"])
    assert exc.value.code == "service_closed" and exc.value.details.get("service") in ("hz-hukou", "tax-declare")
    assert sample_hall.count("tickets") == 0


# ------------------------------------------------------------------ the 一次性告知单


async def test_the_checklist_prints_the_items_materials_and_fees(hall):
    printer = TicketPrinter("dummy:?paper=58")
    async with HallClient(base_url(hall), hall.kiosk_token) as client:
        item = await client.guide("idcard-new")
        outcome = await TicketFlow(client, printer, "测试政务服务中心").print_checklist(item, OPENING)
    assert outcome.printed and outcome.printer_state is PrinterState.READY and outcome.printer_message is None
    text = slip(printer)
    for expected in (
        "一次性告知单",
        "居民身份证申领",
        "【申请材料】",
        "1. 居民户口簿原件",
        "居民身份证工本费：20元/证",
    ):
        assert expected in text, expected
    assert "依据：发改价格〔2003〕2322号" in text and "法定时限：60日" in text and "承诺时限：30日" in text
    assert "办理窗口：1、2、4 号窗口" in text and "2026-11-25 09:00" in text
    # The QR code opens the item's public page on the kiosk's server (the test hall has no public URL).
    assert (base_url(hall) + "/guides/idcard-new").encode() in printer.kept_bytes
    assert checklist_content(item, "大厅", "http://x/").url == "http://x/guides/idcard-new"


async def test_the_checklist_qr_uses_the_halls_public_url(sample_hall):
    async with HallClient(base_url(sample_hall), sample_hall.kiosk_token) as client:
        item = await client.guide("mz-elder-card")
    content = checklist_content(item, "潜江市政务服务中心", "http://10.0.0.5:8080")
    assert content.url == "http://192.0.2.10:8080/guides/mz-elder-card"  # the hall's public_url
    assert content.fees == () and content.where == "17、18、19 号窗口（一楼B区）"
    assert content.materials == tuple(item["materials"])


async def test_paper_out_for_the_checklist_is_reported_and_said(hall):
    async with HallClient(base_url(hall), hall.kiosk_token) as client:
        flow = TicketFlow(client, TicketPrinter("dummy:?state=paper_out"), "测试政务服务中心")
        outcome = await flow.print_checklist(await client.guide("hukou-in"))
        assert not outcome.printed and outcome.printer_state is PrinterState.PAPER_OUT
        assert outcome.printer_message == strings.CHECKLIST_PROBLEM[PrinterState.PAPER_OUT]
        assert "缺纸" in outcome.printer_message and "阅读" in outcome.printer_message
        assert await open_faults(hall) == [{"component": "printer", "state": "paper_out"}]
        assert flow.reported_state is PrinterState.PAPER_OUT
        outcome = await flow.print_checklist(await client.guide("hukou-in"))  # reported once
        assert not outcome.printed
    assert await open_faults(hall) == [{"component": "printer", "state": "paper_out"}]


async def test_no_printer_prints_no_checklist(hall):
    async with HallClient(base_url(hall), hall.kiosk_token) as client:
        outcome = await TicketFlow(client, None, "大厅").print_checklist(await client.guide("hukou-in"))
    assert not outcome.printed and outcome.printer_message is None


# ------------------------------------------------------------------ words


def test_where_to_go_in_english_and_no_word_hides_a_method():
    zh, en = strings.catalogue("zh"), strings.catalogue("en")
    assert zh.place("17、18、19 号窗口（一楼B区）") == "17、18、19 号窗口（一楼B区）"
    assert en.place("17、18、19 号窗口（一楼B区）") == "windows 17, 18, 19 (一楼B区)"
    assert en.place("35 号窗口（一楼C区）、31 号窗口（二楼）") == "window 35 (一楼C区), window 31 (二楼)"
    assert zh.names(["a", "b"]) == "a、b" and en.names(["a", "b"]) == "a, b"
    assert zh.checklist_problem("nonsense") == zh.checklist_problem("unknown")
    words = zh.keys()
    for key in words:  # a word named like a method would be shadowed by it (t.where)
        assert "." in key or not callable(getattr(strings.Catalogue, key, None)), key


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


def test_live_feed_asks_for_the_services_again_when_the_hall_config_changed():
    reloads: list[int] = []
    feed = LiveFeed("ws://unused", lambda counts, connected: None, on_reload=lambda: reloads.append(1))
    snapshot = {"type": "snapshot", "services": [{"code": "hukou", "waiting": 2}]}
    feed._apply(snapshot)
    feed._apply({"type": "event", "kind": "issued", "waiting": {"hukou": 3}})
    feed._apply(snapshot)  # a reconnect to the same hall
    assert reloads == [] and feed.counts == {"hukou": 2}
    feed._apply({"type": "event", "kind": "config_reloaded", "seq": 9})  # hallqueue reload
    assert reloads == [1]
    feed._apply({"type": "snapshot", "services": [{"code": "hukou", "waiting": 0}, {"code": "passport", "waiting": 0}]})
    assert reloads == [1, 1]  # a restart on another config: new services on the snapshot
