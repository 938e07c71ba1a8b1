"""LED window boards on a serial line (RS-485 bus or RS-232), Onbon BX-5K/6K controllers.

One ``BoardLine`` is one serial port. Several boards can share the port (RS-485), each with
its own address. ``show`` sends a dynamic-area update and waits for the board's ACK. If the
board stays silent or its reply is garbled, the frame is sent again, up to ``retries`` times.
A NACK is final, except "busy", which is retried too. Calls block: callers on an event loop
run them in an executor.

Port addresses:

    serial:///dev/ttyUSB0?baudrate=57600     a local serial port (also bytesize, parity, stopbits)
    tcp://192.168.1.60:4001                  an RS-485-to-Ethernet converter (raw TCP)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import serial

from . import onbon
from .onbon import Area, DisplayMode, FrameError, FrameReader, Reply

DEFAULT_BAUDRATE = 57600  # what Onbon's software and SDK use; set the board to match


class BoardError(Exception):
    """The board did not take the update."""


class BoardSilent(BoardError):
    """No (readable) reply within the timeout, after every retry."""


class BoardRejected(BoardError):
    """The board answered NACK."""

    def __init__(self, message: str, reply: Reply) -> None:
        super().__init__(message)
        self.reply = reply


@dataclass(frozen=True)
class Exchange:
    """What one update took: the reply, the frame size and the round trip."""

    reply: Reply
    frame_bytes: int
    attempts: int
    seconds: float


def open_port(address: str, timeout_s: float = 0.5) -> serial.SerialBase:
    """Open ``serial:///dev/ttyUSB0?baudrate=9600`` or ``tcp://host:port`` with pyserial."""
    parts = urlsplit(address)
    options = dict(parse_qsl(parts.query))
    try:
        if parts.scheme == "serial":
            if not parts.path:
                raise ValueError("write the device after three slashes, e.g. serial:///dev/ttyUSB0")
            return serial.serial_for_url(
                parts.path,
                baudrate=int(options.get("baudrate", DEFAULT_BAUDRATE)),
                bytesize=int(options.get("bytesize", 8)),
                parity=options.get("parity", "N"),
                stopbits=float(options.get("stopbits", 1)),
                timeout=timeout_s,
            )
        if parts.scheme == "tcp":
            return serial.serial_for_url(f"socket://{parts.netloc}", timeout=timeout_s)
    except (serial.SerialException, ValueError) as exc:
        raise BoardError(f"{address}: {exc}") from exc
    raise BoardError(f'{address}: a board port starts with "serial://" or "tcp://"')


class BoardLine:
    """One serial line with one or more boards on it."""

    def __init__(self, address: str, timeout_s: float = 0.5, retries: int = 2) -> None:
        self.address = address
        self.timeout_s, self.retries = timeout_s, retries
        self._port = open_port(address, timeout_s)

    def close(self) -> None:
        self._port.close()

    def __enter__(self) -> BoardLine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def show(
        self,
        board: int,
        text: str,
        width_px: int,
        height_px: int,
        display_mode: DisplayMode = DisplayMode.STATIC,
    ) -> Exchange:
        """Show ``text`` on the whole board at address ``board`` (RAM only, no flash wear)."""
        area = Area.whole_board(width_px, height_px, display_mode=display_mode, single_line=height_px < 32)
        data = onbon.dynamic_area_data([(area, onbon.encode_text(text))])
        return self.send(board, data)

    def send(self, board: int, data: bytes) -> Exchange:
        """Send one command to ``board`` and wait for its reply, retrying as described above."""
        raw = onbon.frame(board, data)
        started = time.perf_counter()
        last_problem = "no reply"
        for attempt in range(1, self.retries + 2):
            self._port.reset_input_buffer()
            self._port.write(raw)
            self._port.flush()
            try:
                reply = self._read_reply(board)
            except FrameError as exc:
                last_problem = f"garbled reply ({exc})"
                continue
            if reply is None:
                last_problem = f"no reply within {self.timeout_s:g} s"
                continue
            if reply.ok:
                return Exchange(reply, len(raw), attempt, time.perf_counter() - started)
            if reply.error != onbon.ERR_BUSY:
                raise BoardRejected(f"board {board} on {self.address}: {reply.description}", reply)
            last_problem = reply.description
        raise BoardSilent(f"board {board} on {self.address}: {last_problem} after {self.retries + 1} attempts")

    def _read_reply(self, board: int) -> Reply | None:
        """The first reply addressed to us from ``board``, or ``None`` at the timeout."""
        reader = FrameReader()
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            self._port.timeout = max(0.0, deadline - time.monotonic())
            chunk = self._port.read(max(1, self._port.in_waiting))
            for raw in reader.feed(chunk):
                f = onbon.parse_frame(raw)
                if f.dst == onbon.SRC_PC and f.src in (board, onbon.ADDRESS_ANY):
                    return Reply.from_frame(f)
        return None
