"""预约取号 in a real Kivy window against the real server: a booking made through the public API,
then checked in at the kiosk by its code on the keypad, by a USB scanner typing the QR's text
(key events through Kivy's Window), and by a serial scanner on a pty; too early, an unknown code,
a slow network and a server gone away; the new screens at every kiosk shape."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest
from aiohttp import ClientSession, web
from kivy.core.window import Window

from hardware.printer import TicketPrinter
from queue_server.client import HallClient

from ..serverproc import free_port
from ..test_scanner import Pty
from .checks import assert_screen_fits
from .driver import SHAPES
from .test_kiosk_ui import server_tickets, tiles_loaded

SERVICE = "crj-passport"  # 普通护照办理: half-hour slots from 08:30 (the sample hall)
PHONES = iter(f"1380013{n:04d}" for n in range(10_000))


def api(server, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request) as resp:
        return json.loads(resp.read())


def book(server, slot: str) -> dict:
    """A visitor books the slot starting at ``slot`` (HH:MM, today in the server's clock)."""
    day = server.clock.now.date().isoformat()
    slots = api(server, "GET", f"/api/booking/slots?service={SERVICE}&date={day}")["slots"]
    start = next(s["start"] for s in slots if s["start"][11:16] == slot and s["bookable"])
    body = {"service": SERVICE, "slot_start": start, "name": "张三", "phone": next(PHONES)}
    return api(server, "POST", "/api/bookings", body)


@pytest.fixture
def on_time(server):
    """A booking of the 09:30 slot, made at 09:00; the kiosk is used at 09:20 (check-in is on
    time from 30 minutes before the slot to 15 after it starts)."""
    booking = book(server, "09:30")
    server.clock.advance(minutes=20)
    return booking


def start(kiosk, printer=None, **options):
    d = kiosk(printer=printer or TicketPrinter("dummy:"), **options)
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    return d


def key(d, character: str):
    keys = d.app.root.get_screen("booking").ids.keypad_keys
    return next(k for k in keys.children if getattr(k, "text", None) == character)


def type_on_keypad(d, code: str) -> None:
    for c in code:
        d.tap(key(d, c))


def scan_as_keyboard(d, text: str) -> None:
    """A USB scanner in keyboard mode: the text a character at a time, quickly, then Enter, as
    SDL hands them to Kivy's Window (on_key_down and on_textinput for each, on_key_up)."""
    for c in text:
        Window.dispatch("on_key_down", ord(c.lower()), 0, c, [])
        Window.dispatch("on_textinput", c)
        Window.dispatch("on_key_up", ord(c.lower()), 0)
    Window.dispatch("on_key_down", 13, 40, None, [])
    Window.dispatch("on_key_up", 13, 40)


def on_ticket_screen(d) -> bool:
    return d.app.root.current == "ticket" and d.app.outcome is not None


def assert_appointment_ticket(d, server, tmp_path, printer) -> str:
    ticket = d.screen()
    number = d.app.outcome.ticket["number"]
    assert ticket.ids.number.text == number and number.startswith("B")
    assert ticket.ids.priority.text == "【预约】预约时段 09:30-10:00"
    assert server_tickets(server, tmp_path / "hall.db") == [
        {"number": number, "service": SERVICE, "priority": "appointment"}
    ]
    assert number.encode() in printer.kept_bytes and "预约".encode("gb18030") in printer.kept_bytes
    return number


def test_the_code_typed_on_the_keypad_gives_an_appointment_ticket(kiosk, server, tmp_path, on_time):
    printer = TicketPrinter("dummy:")
    d = start(kiosk, printer)
    d.tap(d.screen().ids.booking)
    d.wait_until(lambda: d.app.root.current == "booking", what="booking screen")
    screen = d.screen()
    assert "请将预约二维码对准扫码口，或输入 8 位预约码" in screen.ids.prompt.text.replace("\n", "")
    keys = sorted(k.text for k in screen.ids.keypad_keys.children if getattr(k, "text", ""))
    assert "".join(keys) == "".join(sorted("ABCDEFGHJKMNPQRSTUVWXYZ23456789"))

    code = on_time["code"]
    type_on_keypad(d, code[:3] + "Z")
    d.tap(screen.ids.delete)
    assert screen.code == code[:3]
    d.tap(screen.ids.confirm)  # not all there yet: said, and nothing is sent
    assert screen.ids.incomplete.text == "请输入完整的 8 位预约码" and d.app.checking is None
    type_on_keypad(d, code[3:] + "A")  # a ninth character does not fit
    assert screen.code == code and [b.text for b in screen._boxes] == list(code)
    d.tap(screen.ids.confirm)
    d.wait_until(lambda: on_ticket_screen(d), what="the ticket")
    assert_appointment_ticket(d, server, tmp_path, printer)
    d.screenshot("kiosk-booking-ticket.png")

    d.tap(d.screen().ids.done)  # the next visitor finds the booking screen empty
    d.wait_until(lambda: d.app.root.current == "home", what="home")
    d.tap(d.screen().ids.booking)
    assert d.app.root.get_screen("booking").code == ""


def test_a_usb_scanner_typing_the_qr_checks_in_at_once(kiosk, server, tmp_path, on_time):
    printer = TicketPrinter("dummy:")
    d = start(kiosk, printer)
    scan_as_keyboard(d, "HQB:" + on_time["code"])  # on the home screen, nothing touched
    d.wait_until(lambda: on_ticket_screen(d), what="the ticket")
    assert_appointment_ticket(d, server, tmp_path, printer)

    d.app.go_home()
    for c in on_time["code"]:  # typed by hand on a keyboard: slow, and not a scan
        Window.dispatch("on_textinput", c)
        d.frames(3)
        time.sleep(0.1)
    Window.dispatch("on_key_down", 13, 40, None, [])
    d.frames(3)
    assert d.app.root.current == "home" and d.app.checking is None


def test_a_serial_scanner_checks_in(kiosk, server, tmp_path, on_time):
    printer = TicketPrinter("dummy:")
    port = Pty(tmp_path / "scanner")
    try:
        d = start(kiosk, printer, scanner=f"serial://{port.link}?baudrate=9600")
        d.wait_until(lambda: d.app.scanner.connected, what="the scanner's port open")
        d.tap(d.screen().ids.guides)  # reading a guide: a scan is not for the kiosk then
        d.wait_until(lambda: d.app.root.current == "guides", what="guides")
        port.send(b"HQB:" + on_time["code"].encode() + b"\r\n")
        d.frames(20)
        assert d.app.root.current == "guides" and d.app.checking is None
        d.tap(d.screen().ids.nav.ids.home)
        d.wait_until(lambda: d.app.root.current == "home", what="home")

        port.send(b"HQB:" + on_time["code"].encode() + b"\r\n")
        d.wait_until(lambda: on_ticket_screen(d), what="the ticket")
        assert_appointment_ticket(d, server, tmp_path, printer)
    finally:
        port.close()


def test_too_early_says_when_to_come_back(kiosk, server, tmp_path):
    booking = book(server, "10:30")  # at 09:00: check-in opens at 10:00
    d = start(kiosk, voice=tmp_path / "voice")
    scan_as_keyboard(d, booking["code"].lower())  # the bare code, from a scanner set to lower case
    d.wait_until(lambda: d.app.root.current == "booking_result", what="the refusal")
    result = d.screen()
    assert result.ids.title.text == "还没到签到时间"
    assert result.ids.text.text == "请于 10:00 后再来签到取号"
    assert booking["code"] in result.ids.detail.text
    assert server_tickets(server, tmp_path / "hall.db") == []
    d.screenshot("kiosk-booking-too-early.png")
    spoken = "还没到签到时间。请于 10:00 后再来签到取号"  # said too, for those who read with difficulty
    d.wait_until(lambda: spoken in [s.text for s in d.app.speaker.history], what="the refusal said")
    d.tap(result.ids.again)  # 重新输入: the keypad again, empty
    d.wait_until(lambda: d.app.root.current == "booking", what="the booking screen")
    assert d.screen().code == ""


def test_an_unknown_code_and_a_strange_qr_are_said_plainly(kiosk, server, tmp_path):
    d = start(kiosk)
    d.tap(d.screen().ids.booking)
    type_on_keypad(d, "ABCDEFGH")
    d.tap(d.screen().ids.confirm)
    d.wait_until(lambda: d.app.root.current == "booking_result", what="the refusal")
    result = d.screen()
    assert result.ids.title.text == "没有找到这个预约"
    assert "请核对预约码后重新输入" in result.ids.text.text
    d.tap(result.ids.home)
    d.wait_until(lambda: d.app.root.current == "home", what="home")

    scan_as_keyboard(d, "https://example.com/t/abcdef")  # a ticket's QR, not a booking's
    d.wait_until(lambda: d.app.root.current == "booking", what="the booking screen")
    assert d.app.notice.startswith("无法识别这个二维码")
    assert server_tickets(server, tmp_path / "hall.db") == []


def test_the_booking_screens_return_home_when_left(kiosk, server):
    # Short only for the return, below: a loaded machine may idle a second between the taps.
    d = start(kiosk, idle_timeout_s=120, countdown_s=1)
    d.tap(d.screen().ids.booking)
    type_on_keypad(d, "ABC")
    d.app.idle_timeout_s = 1
    d.wait_until(lambda: d.app.root.current == "home", timeout=20, what="idle return")
    assert d.app.root.get_screen("booking").code == ""


class SlowProxy:
    """A proxy in front of the server that holds its first ``slow`` answers ``delay_s`` each,
    on the server's own loop: the kiosk times out though the server did the work."""

    def __init__(self, server, slow: int, delay_s: float) -> None:
        self.server, self.slow, self.delay_s = server, slow, delay_s
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.forward)
        self.runner = web.AppRunner(app)
        server._call(self.runner.setup())
        server._call(web.TCPSite(self.runner, "127.0.0.1", 0).start())
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def forward(self, request: web.Request) -> web.Response:
        async with (
            ClientSession() as session,
            session.request(
                request.method,
                self.server.url + request.path_qs,
                data=await request.read(),
                headers={k: v for k, v in request.headers.items() if k in ("Authorization", "Content-Type")},
            ) as resp,
        ):
            body, status = await resp.read(), resp.status
        if "check-in" in request.path and self.slow > 0:
            self.slow -= 1
            await asyncio.sleep(self.delay_s)
        return web.Response(body=body, status=status, content_type="application/json")

    def stop(self) -> None:
        self.server._call(self.runner.cleanup())


def test_a_lost_answer_is_asked_again_and_gives_the_same_one_ticket(kiosk, server, tmp_path, on_time):
    proxy = SlowProxy(server, slow=1, delay_s=2.0)
    try:
        printer = TicketPrinter("dummy:")
        d = start(kiosk, printer, client=HallClient(proxy.url, server.kiosk_token, timeout_s=0.8))
        d.app.flow.retry_delay_s = 0.1
        scan_as_keyboard(d, "HQB:" + on_time["code"])
        d.wait_until(lambda: on_ticket_screen(d), timeout=15, what="the ticket")
        assert_appointment_ticket(d, server, tmp_path, printer)  # one ticket, not two
    finally:
        proxy.stop()


def test_a_server_gone_away_is_said_plainly(kiosk, server, tmp_path):
    client = HallClient(f"http://127.0.0.1:{free_port()}", server.kiosk_token, timeout_s=0.5)
    d = kiosk(printer=TicketPrinter("dummy:"), client=client)
    d.app.retry_s = 0.3
    d.app.flow.retry_delay_s = 0.05
    scan_as_keyboard(d, "HQB:ABCDEFGH")
    d.wait_until(lambda: d.app.notice == "网络连接中断，正在自动重试……", what="retrying")
    d.wait_until(lambda: d.app.root.current == "booking_result", timeout=15, what="given up")
    result = d.screen()
    assert result.ids.title.text == "暂时无法签到取号"
    assert result.ids.text.text == "网络连接中断，请到咨询台办理"


@pytest.mark.parametrize("mode", ["normal", "elderly"])
@pytest.mark.parametrize("shape", ["portrait", "landscape"])
def test_the_booking_screens_fit_the_shape(kiosk, server, tmp_path, shape, mode):
    late = book(server, "09:30")
    server.clock.advance(minutes=50)  # 09:50: past 09:45, a normal ticket, said plainly
    d = start(kiosk, size=SHAPES[shape])
    app = d.app
    if mode == "elderly":
        d.tap(d.screen().ids.elderly)
        d.wait_until(lambda: app.ui.large, what="大字")
    assert_screen_fits(d.screen(), app.ui.min_font)
    home = d.screen()
    assert home.ids.booking.ids.label.text == "预约取号"

    d.tap(home.ids.booking)
    d.wait_until(lambda: app.root.current == "booking", what="booking screen")
    screen = d.screen()
    type_on_keypad(d, "K7M2")
    d.tap(screen.ids.confirm)
    d.frames(3)
    assert_screen_fits(screen, app.ui.min_font)
    for k in screen.ids.keypad_keys.children:  # keys a finger finds: 15 mm or more each way
        assert k.width >= app.ui.mm(15) and k.height >= app.ui.mm(15), (k.text, k.size)
    d.screenshot(f"kiosk-{shape}-{mode}-booking.png")

    type_on_keypad(d, "XQ9P")
    d.tap(screen.ids.confirm)
    d.wait_until(lambda: app.root.current == "booking_result", what="unknown code")
    d.frames(3)
    assert_screen_fits(d.screen(), app.ui.min_font)
    d.screenshot(f"kiosk-{shape}-{mode}-booking-refused.png")

    d.tap(d.screen().ids.again)
    scan_as_keyboard(d, "HQB:" + late["code"])
    d.wait_until(lambda: on_ticket_screen(d), what="the ticket")
    d.frames(3)
    ticket = d.screen()
    assert not app.outcome.on_time and app.outcome.ticket["priority"] == "normal"
    assert ticket.ids.priority.text.replace("\n", "") == app.outcome.message
    assert_screen_fits(ticket, app.ui.min_font)
    d.screenshot(f"kiosk-{shape}-{mode}-booking-late.png")
