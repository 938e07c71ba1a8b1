"""The ticket printer against emupos: real ESC/POS bytes over real TCP and pty-serial
connections, checked with an independent decoder (emupos' dump, zxing-cpp for the QR)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import tty
from datetime import datetime

import pytest
import zxingcpp
from PIL import Image, ImageOps

from hardware.printer import PrinterNotReady, PrinterUnreachable, TicketPrinter
from hardware.printer_status import PrinterState
from hardware.printer_uri import PrinterUriError, parse_printer_uri
from hardware.ticket_layout import TicketContent, ticket_bytes, wrap_cells

from .conftest import ARTIFACTS
from .emupos import Emupos, decode_dump

TICKET = TicketContent(
    hall_name="潜江市政务服务中心",
    number="A001",
    service_name="户口迁移登记",
    waiting_ahead=3,
    estimated_wait_s=900,
    issued_at=datetime(2026, 11, 27, 9, 12, 5),
    status_url="http://127.0.0.1:8080/t/1",
    notice="过号请重新取号，工本费￥10.00；收费¥5。",
    where="1、2、3 号窗口（一楼A区）",
)


@pytest.fixture(scope="module")
def emupos(tmp_path_factory):
    emulator = Emupos(tmp_path_factory.mktemp("emupos"))
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def no_faults(emupos):
    yield
    for fault in ("paper-out", "paper-near-end", "cover-open", "offline"):
        emupos.fault(fault, on=False)


def printed_lines(emupos: Emupos, receipt: str) -> list[str]:
    return [decode_dump(line) for line in emupos.text(receipt).splitlines()]


def qr_in_png(png: bytes) -> list[str]:
    image = ImageOps.expand(Image.open(io.BytesIO(png)).convert("L"), 40, 255)  # emupos draws no quiet zone
    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("transport", ["tcp", "serial"])
def test_ticket_prints_over_the_real_transport(emupos, transport):
    uri = emupos.tcp_uri if transport == "tcp" else emupos.serial_uri
    before = emupos.receipt_ids()
    report = TicketPrinter(uri).print_ticket(TICKET)
    assert report.status.state is PrinterState.READY
    receipt = emupos.wait_receipt(before)
    lines = printed_lines(emupos, receipt)
    assert lines[0] == "潜江市政务服务中心"
    assert "A001" in lines
    for expected in (
        "户口迁移登记",
        "前面还有 3 人等候",
        "预计等候约 15 分钟",
        "2026-11-27 09:12:05",
        "扫码查看排队进度",
        "过号请重新取号，工本费￥10.00；收费￥5。",
        "办理窗口：1、2、3 号窗口（一楼A区）",
    ):
        assert expected in lines, (expected, lines)
    assert f"[qr {TICKET.status_url}]" in lines
    png = emupos.png(receipt)
    assert qr_in_png(png) == [TICKET.status_url]
    (ARTIFACTS / f"ticket-80mm-text-{transport}.png").write_bytes(png)


def test_chinese_goes_in_chinese_mode_as_gb18030():
    data = ticket_bytes(TICKET)
    start = data.index(b"\x1c\x26") + 2
    assert data[start : data.index(b"\x1c\x2e", start)] == "潜江市政务服务中心\n".encode("gb18030")
    assert "￥".encode("gb18030") in data and "¥".encode("gb18030") not in data
    assert "，".encode("gb18030") in data and b"?" not in data
    assert data.startswith(b"\x1b\x40") and b"\x1dV" in data  # initialise ... cut


def test_58mm_ticket_wraps_long_names_without_splitting_characters(emupos):
    long_name = TicketContent(**{**TICKET.__dict__, "service_name": "企业设立登记（三证合一、一照一码）"})
    before = emupos.receipt_ids()
    TicketPrinter(emupos.tcp_uri + "?paper=58").print_ticket(long_name)
    lines = printed_lines(emupos, emupos.wait_receipt(before))
    wrapped = wrap_cells("企业设立登记（三证合一、一照一码）", 16)  # double size on 32 columns
    assert wrapped == ["企业设立登记（三", "证合一、一照一码", "）"]
    assert all(part in lines for part in wrapped)  # each printed line is whole characters
    assert "�" not in "".join(lines)


def test_raster_mode_draws_chinese_for_printers_without_a_chinese_font(emupos):
    before = emupos.receipt_ids()
    TicketPrinter(emupos.tcp_uri + "?chinese=raster").print_ticket(TICKET)
    receipt = emupos.wait_receipt(before)
    dump = emupos.text(receipt)
    assert "A001" in dump and re.search(r"^\[image 576x\d+\]$", dump, re.M)
    assert "\\x1c&" not in dump and not any(ord(c) > 0x7F for c in dump)  # no Chinese bytes sent
    png = emupos.png(receipt)
    assert qr_in_png(png) == [TICKET.status_url]
    (ARTIFACTS / "ticket-80mm-raster.png").write_bytes(png)
    before = emupos.receipt_ids()
    TicketPrinter(emupos.tcp_uri + "?chinese=raster&paper=58").print_ticket(TICKET)
    (ARTIFACTS / "ticket-58mm-raster.png").write_bytes(emupos.png(emupos.wait_receipt(before)))


@pytest.mark.parametrize(
    "fault, state, ready",
    [
        (None, PrinterState.READY, True),
        ("paper-near-end", PrinterState.PAPER_NEAR_END, True),
        ("paper-out", PrinterState.PAPER_OUT, False),
        ("cover-open", PrinterState.COVER_OPEN, False),
        ("offline", PrinterState.OFFLINE, False),
    ],
)
@pytest.mark.parametrize("transport", ["tcp", "serial"])
def test_status_is_typed(emupos, transport, fault, state, ready):
    if fault:
        emupos.fault(fault)
    printer = TicketPrinter(emupos.tcp_uri if transport == "tcp" else emupos.serial_uri)
    status = printer.status()
    assert status.state is state and status.ready is ready


def test_a_printer_that_cannot_print_refuses_the_ticket(emupos):
    emupos.fault("paper-out")
    before = emupos.receipt_ids()
    with pytest.raises(PrinterNotReady) as exc:
        TicketPrinter(emupos.tcp_uri).print_ticket(TICKET)
    assert exc.value.status.state is PrinterState.PAPER_OUT and "缺纸" in str(exc.value)
    emupos.fault("paper-out", on=False)
    assert emupos.receipt_ids() == before  # nothing was sent to be held and printed later


def pty_pair():
    controller, device = os.openpty()
    tty.setraw(controller)
    return controller, os.ttyname(device), device


def test_a_silent_serial_port_reads_as_unknown_never_ready():
    controller, path, device = pty_pair()
    try:
        printer = TicketPrinter(f"serial://{path}?timeout=0.2")
        status = printer.status()
        assert status.state is PrinterState.UNKNOWN and not status.ready
        with pytest.raises(PrinterNotReady):
            printer.print_ticket(TICKET)
        assert os.read(controller, 64).startswith(b"\x10\x04\x01")  # it did ask
    finally:
        os.close(controller)
        os.close(device)


def test_a_malformed_reply_reads_as_unknown():
    controller, path, device = pty_pair()

    def answer_garbage():
        for _ in range(3):  # one reply per request, none of them a status byte (bit 7 set)
            os.read(controller, 3)
            os.write(controller, b"\x81")

    answering = threading.Thread(target=answer_garbage)
    answering.start()
    try:
        assert TicketPrinter(f"serial://{path}?timeout=0.5").status().state is PrinterState.UNKNOWN
    finally:
        answering.join(5)
        os.close(controller)
        os.close(device)


def test_unreachable_network_printer():
    printer = TicketPrinter("tcp://127.0.0.1:1?timeout=0.5")
    assert printer.status().state is PrinterState.UNKNOWN
    with pytest.raises(PrinterUnreachable):
        printer.print_ticket(TICKET)


def test_dummy_printer_keeps_the_bytes_and_can_pretend_a_state():
    printer = TicketPrinter("dummy:")
    printer.print_ticket(TICKET)
    assert printer.kept_bytes == ticket_bytes(TICKET)
    with pytest.raises(PrinterNotReady):
        TicketPrinter("dummy:?state=cover_open").print_ticket(TICKET)


@pytest.mark.parametrize(
    "uri, message",
    [
        ("lpt://1", "must start with one of"),
        ("tcp://:9100", "needs a host"),
        ("tcp://10.0.0.5:9100?paper=76", "paper must be 80 or 58"),
        ("tcp://10.0.0.5:9100?chinese=bitmap", 'chinese must be "text" or "raster"'),
        ("serial://dev/ttyUSB0", "three slashes"),
        ("serial:///dev/ttyUSB0?baudrate=12345", "baudrate=12345"),
        ("usb://printer", "usb://VID:PID"),
        ("tcp://10.0.0.5?colour=red", "unknown option colour"),
    ],
)
def test_bad_printer_addresses_say_what_is_wrong(uri, message):
    with pytest.raises(PrinterUriError, match=message):
        parse_printer_uri(uri)


def test_printer_addresses_hall_it_staff_write():
    u = parse_printer_uri("serial:///dev/ttyUSB0?baudrate=9600&paper=58&chinese=raster")
    assert (u.kind, u.target, u.paper_mm, u.chinese, u.options) == (
        "serial",
        "/dev/ttyUSB0",
        58,
        "raster",
        {"baudrate": "9600"},
    )
    assert parse_printer_uri("tcp://192.168.1.50").host_port == ("192.168.1.50", 9100)
    assert parse_printer_uri("usb://0416:5011").target == "0416:5011"


def hallqueue(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "queue_server", *args], capture_output=True, text=True, timeout=60)


def test_printer_test_command_exit_status_tells_the_truth(emupos):
    before = emupos.receipt_ids()
    ok = hallqueue("printer", "test", "--printer", emupos.tcp_uri)
    assert ok.returncode == 0, ok.stderr
    assert "打印机正常 (ready)" in ok.stdout and "printed a sample ticket" in ok.stdout
    lines = printed_lines(emupos, emupos.wait_receipt(before))
    assert "打印测试（样票）" in lines
    for fault, word in (("paper-out", "paper_out"), ("cover-open", "cover_open"), ("offline", "offline")):
        emupos.fault(fault)
        refused = hallqueue("printer", "test", "--printer", emupos.serial_uri)
        assert refused.returncode == 1 and word in refused.stderr and "not printed" in refused.stderr
        emupos.fault(fault, on=False)
    status = hallqueue("printer", "status", "--printer", emupos.tcp_uri)
    assert status.returncode == 0 and "ready" in status.stdout
    silent = hallqueue("printer", "test", "--printer", "tcp://127.0.0.1:1?timeout=0.3")
    assert silent.returncode == 1 and "unknown" in silent.stderr
    bad = hallqueue("printer", "test", "--printer", "lpt://1")
    assert bad.returncode == 2 and "must start with one of" in bad.stderr


def test_a_file_printer_is_a_sink_that_keeps_every_ticket(tmp_path):
    """``file:`` is for trying the kiosk without a printer (and for device files like /dev/usb/lp0):
    it is ready while it can be written, and appends what is printed."""
    sink = tmp_path / "tickets.bin"
    printer = TicketPrinter(f"file://{sink}")
    assert printer.status().ready
    first = printer.print_bytes(b"\x1b@first")
    printer.print_bytes(b"\x1b@second")
    assert first.status.ready and sink.read_bytes() == b"\x1b@first\x1b@second"
    nowhere = TicketPrinter(f"file://{tmp_path}/missing-folder/tickets.bin")
    assert not nowhere.status().ready
    with pytest.raises(PrinterUnreachable, match="No such file"):
        nowhere.print_bytes(b"x")
