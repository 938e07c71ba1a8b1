"""预约取号's scanner: the serial QR scanner over a real pty (the scanner's end written by the test),
what a scanned or typed text means, and the keyboard wedge told from a person typing."""

from __future__ import annotations

import os
import queue
import tty

import pytest

from hardware.scanner import LineSplitter, ScannerUriError, SerialScanner, parse_scanner_uri
from kiosk.booking import CODE_ALPHABET, WedgeReader, booking_code, slot_label, typed_code


@pytest.mark.parametrize(
    "text, code",
    [
        ("HQB:K7M2XQ9P", "K7M2XQ9P"),
        ("hqb:k7m2xq9p", "K7M2XQ9P"),  # a scanner set to lower case
        ("  HQB:K7M2XQ9P \r\n", "K7M2XQ9P"),
        ("K7M2XQ9P", "K7M2XQ9P"),
        ("k7m2xq9p", "K7M2XQ9P"),
        ("https://zwfw.example.gov.cn/book/K7M2XQ9P", "K7M2XQ9P"),
        ("http://192.168.1.10:8080/book/k7m2xq9p/", "K7M2XQ9P"),
        ("https://zwfw.example.gov.cn/book/K7M2XQ9P?from=sms", "K7M2XQ9P"),
        ("HQB:K7M2XQ9", None),  # one short
        ("HQB:K7M2XQ9PP", None),  # one long
        ("K7M2XQ0P", None),  # 0 is not in the alphabet (nor O, 1, I, L)
        ("KIM2XQ9P", None),
        ("K7M2-XQ9P", None),
        ("https://zwfw.example.gov.cn/t/K7M2XQ9P", None),  # a ticket's status page, not a booking
        ("6901234567892", None),  # a product's barcode
        ("", None),
        ("哈哈哈哈哈哈哈哈", None),
    ],
)
def test_what_a_scan_or_a_typed_text_means(text, code):
    assert booking_code(text) == code


def test_the_keypad_types_only_the_codes_characters_and_at_most_eight():
    code = ""
    for key in ["K", "7", "O", "0", "1", "I", "L", "a", "M"]:
        code = typed_code(code, key)
    assert code == "K7M"
    assert typed_code(code, "delete") == "K7" and typed_code("", "delete") == ""
    for key in "2XQ9PABC":
        code = typed_code(code, key)
    assert code == "K7M2XQ9P"
    assert set(CODE_ALPHABET).isdisjoint("01OIL") and len(CODE_ALPHABET) == 31


def test_the_booked_time_as_booked():
    booking = {"slot_start": "2026-11-25T09:30:00+08:00", "slot_end": "2026-11-25T10:00:00+08:00"}
    assert slot_label(booking) == "09:30-10:00"
    assert slot_label({}) == "" and slot_label({"slot_start": "soon", "slot_end": None}) == ""


def test_a_scanners_keystrokes_are_a_scan_a_persons_are_not():
    wedge = WedgeReader(max_gap_s=0.08)
    t = 100.0
    for c in "HQB:K7M2XQ9P":  # a character every 5 ms, then Enter
        t += 0.005
        wedge.char(c, t)
    assert wedge.enter(t + 0.005) == "HQB:K7M2XQ9P"
    assert wedge.enter(t + 0.01) is None  # Enter again: nothing left

    for c in "K7M2XQ9P":  # a person at a keyboard: 0.3 s a key
        t += 0.3
        wedge.char(c, t)
    assert wedge.enter(t + 0.3) is None

    wedge.char("x", t + 1)  # a stray key long before the scan is not part of it
    t += 5
    for c in "K7M2XQ9P":
        t += 0.004
        wedge.char(c, t)
    assert wedge.enter(t + 0.004) == "K7M2XQ9P"

    for c in "K7M":  # too short to be a code
        t += 0.004
        wedge.char(c, t)
    assert wedge.enter(t + 0.004) is None

    for c in "K7M2XQ9P":  # a fast run, but no Enter until much later: typed, then Enter by hand
        t += 0.004
        wedge.char(c, t)
    assert wedge.enter(t + 1.0) is None

    wedge.char("HQB:K7M2", t + 10)  # SDL may hand several characters over in one event
    wedge.char("XQ9P", t + 10.01)
    assert wedge.enter(t + 10.02) == "HQB:K7M2XQ9P"


def test_lines_end_at_cr_lf_or_both():
    splitter = LineSplitter()
    assert splitter.feed(b"HQB:K7M2") == []
    assert splitter.feed(b"XQ9P\r\nHQB:AAAAAAAA\rHQB:BBBBBBBB\n\n\r") == [
        "HQB:K7M2XQ9P",
        "HQB:AAAAAAAA",
        "HQB:BBBBBBBB",
    ]
    assert splitter.feed(b"  \x02K7M2XQ9P\x03 \r") == ["K7M2XQ9P"]  # STX/ETX framing, spaces
    assert splitter.feed("预约\r".encode()) == ["预约"]
    assert splitter.feed("签到取号\r".encode("gb18030")) == ["签到取号"]  # not UTF-8: a Chinese scanner
    assert splitter.feed(b"no suffix") == [] and splitter.flush() == ["no suffix"] and splitter.flush() == []


def test_scanner_addresses():
    uri = parse_scanner_uri("serial:///dev/ttyUSB0?baudrate=9600")
    assert uri.device == "/dev/ttyUSB0" and uri.options == {"baudrate": "9600"}
    for bad in (
        "/dev/ttyUSB0",
        "tcp://10.0.0.5:4001",
        "serial://dev/ttyUSB0",
        "serial:///dev/ttyUSB0?baudrate=9601",
        "serial:///dev/ttyUSB0?speed=9600",
    ):
        with pytest.raises(ScannerUriError):
            parse_scanner_uri(bad)


class Pty:
    """A pty pair behind a stable name (a symlink, as udev makes /dev/serial/by-id/…): the
    scanner opens ``link``; the test writes what the scanner would send on ``controller``."""

    def __init__(self, link) -> None:
        self.link = link
        self.controller, self.device = os.openpty()
        tty.setraw(self.controller)
        tty.setraw(self.device)  # the scanner's end sends raw bytes: CR stays CR
        if link.is_symlink():
            link.unlink()
        link.symlink_to(os.ttyname(self.device))

    def send(self, data: bytes) -> None:
        os.write(self.controller, data)

    def close(self) -> None:
        """The scanner is unplugged: its device goes away."""
        self.link.unlink()
        os.close(self.controller)
        os.close(self.device)


def test_the_serial_scanner_hands_over_each_line_and_comes_back_after_an_unplug(tmp_path):
    scans: queue.Queue[str] = queue.Queue()
    states: queue.Queue[bool] = queue.Queue()
    port = Pty(tmp_path / "scanner")
    scanner = SerialScanner(
        f"serial://{port.link}?baudrate=9600",
        scans.put,
        lambda connected, reason: states.put(connected),
        reconnect_s=0.1,
        idle_s=0.3,
    ).start()
    try:
        assert states.get(timeout=5) is True
        port.send(b"HQB:K7M2XQ9P\r")
        assert scans.get(timeout=5) == "HQB:K7M2XQ9P"
        port.send(b"HQB:AAAA")  # one line in two pieces, ended CR LF
        port.send(b"AAAA\r\n")
        assert scans.get(timeout=5) == "HQB:AAAAAAAA"
        port.send(b"K7M2XQ9P")  # a scanner set up without a suffix: the pause ends the line
        assert scans.get(timeout=5) == "K7M2XQ9P"

        port.close()  # unplugged
        assert states.get(timeout=5) is False
        port = Pty(tmp_path / "scanner")  # plugged in again (a new device behind the same name)
        assert states.get(timeout=5) is True
        port.send(b"HQB:BBBBBBBB\n")
        assert scans.get(timeout=5) == "HQB:BBBBBBBB"
        assert scans.empty()
    finally:
        scanner.stop()
        port.close()
