"""A barcode/QR scanner on a serial port (RS-232, or USB in its serial "COM port" mode).

The scanner sends what it read followed by its suffix, CR, LF or CR LF as set up. ``SerialScanner``
reads the port on a thread of its own and hands each line, decoded and stripped, to ``on_scan``
(on that thread: a Kivy caller schedules it onto its own with ``Clock.schedule_once``). Scanners set
up with no suffix at all still work: a line is also complete when nothing more came for
``idle_s``. When the port goes away (the cable is pulled, a USB adapter is re-plugged) it is
opened again every ``reconnect_s``; ``on_state(connected, reason)`` tells the caller each change,
so the kiosk can report the fault to staff.

Addresses, as for the printer and the LED boards:

    serial:///dev/ttyUSB0?baudrate=9600      also bytesize, parity, stopbits
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import serial

from hardware.serial_uri import parse_serial_uri

_LOGGER = logging.getLogger(__name__)
DEFAULT_BAUDRATE = 9600  # what most scanners are set to leaving the factory
MAX_LINE = 4096  # bytes: more without a line end is noise, not a code


class ScannerUriError(ValueError):
    """The scanner address cannot be used; the message says what is wrong."""


@dataclass(frozen=True)
class ScannerUri:
    device: str
    options: dict[str, str] = field(default_factory=dict)
    text: str = ""

    def __str__(self) -> str:
        return self.text


def parse_scanner_uri(text: str) -> ScannerUri:
    device, options = parse_serial_uri(text, "a scanner", ScannerUriError)
    return ScannerUri(device, options, text.strip())


class LineSplitter:
    """Bytes in, lines out: a line ends at CR, LF or CR LF; empty lines are dropped."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[str]:
        self._buffer += data
        lines = []
        while True:
            ends = [i for i in (self._buffer.find(b"\r"), self._buffer.find(b"\n")) if i >= 0]
            if not ends:
                break
            end = min(ends)
            lines.append(bytes(self._buffer[:end]))
            del self._buffer[: end + 1]
        if len(self._buffer) > MAX_LINE:
            self._buffer.clear()
        return [text for raw in lines if (text := decode(raw))]

    def flush(self) -> list[str]:
        """What came without a line end (a scanner with no suffix), as a line."""
        raw, self._buffer = bytes(self._buffer), bytearray()
        text = decode(raw)
        return [text] if text else []


def decode(raw: bytes) -> str:
    """A scanned line as text: UTF-8 (ASCII is too), else GB18030 (what Chinese scanners send
    for Chinese text in their default set-up), stripped of spaces and control characters."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    return "".join(c for c in text if c.isprintable()).strip()


class SerialScanner:
    def __init__(
        self,
        address: ScannerUri | str,
        on_scan: Callable[[str], None],
        on_state: Callable[[bool, str], None] | None = None,
        reconnect_s: float = 2.0,
        idle_s: float = 0.3,
    ) -> None:
        self.uri = parse_scanner_uri(address) if isinstance(address, str) else address
        self.on_scan, self.on_state = on_scan, on_state
        self.reconnect_s, self.idle_s = reconnect_s, idle_s
        self.connected = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._port: serial.SerialBase | None = None

    def start(self) -> SerialScanner:
        self._thread = threading.Thread(target=self._run, name="kiosk-scanner", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _open(self) -> serial.SerialBase:
        o = self.uri.options
        return serial.Serial(
            self.uri.device,
            baudrate=int(o.get("baudrate", DEFAULT_BAUDRATE)),
            bytesize=int(o.get("bytesize", 8)),
            parity=o.get("parity", "N"),
            stopbits=float(o.get("stopbits", 1)),
            timeout=0.1,  # how soon stop() is noticed, and the idle flush checked
        )

    def _run(self) -> None:
        reported = None  # the last state told: no news is not repeated
        while not self._stop.is_set():
            try:
                port = self._open()
            except (serial.SerialException, OSError) as exc:
                reported = self._tell(False, f"扫码器无法连接：{exc}", reported)
                self._stop.wait(self.reconnect_s)
                continue
            reported = self._tell(True, "", reported)
            try:
                self._read(port)
            except (serial.SerialException, OSError) as exc:
                _LOGGER.warning("scanner %s lost: %s", self.uri, exc)
                reported = self._tell(False, f"扫码器连接中断：{exc}", reported)
                self._stop.wait(self.reconnect_s)
            finally:
                port.close()

    def _read(self, port: serial.SerialBase) -> None:
        splitter = LineSplitter()
        last_byte = 0.0
        while not self._stop.is_set():
            data = port.read(max(1, port.in_waiting))
            now = time.monotonic()
            if data:
                last_byte = now
                self._hand_over(splitter.feed(data))
            elif last_byte and now - last_byte >= self.idle_s:
                last_byte = 0.0
                self._hand_over(splitter.flush())

    def _hand_over(self, lines: list[str]) -> None:
        for line in lines:
            try:
                self.on_scan(line)
            except Exception:  # the reader must outlive a caller's bug
                _LOGGER.exception("handling the scan %r failed", line)

    def _tell(self, connected: bool, reason: str, reported: bool | None) -> bool:
        self.connected = connected
        if connected != reported and self.on_state is not None:
            try:
                self.on_state(connected, reason)
            except Exception:
                _LOGGER.exception("reporting the scanner's state failed")
        return connected
