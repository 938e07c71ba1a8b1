"""Onbon (仰邦) BX-5K / BX-6K controller protocol: frames as pure functions.

The layout follows Onbon's "BX-5K/6K 通讯协议" (字库卡协议, protocol version 0x02).
All multi-byte fields are little-endian.

    frame   = 8 × A5 | escape(packet) | 5A
    packet  = header (14 bytes) | data | CRC-16/ARC of header+data (low byte first)
    header  = DstAddr(2) SrcAddr(2) Reserved(3) Option(1) CheckMode(1) DisplayMode(1)
              DeviceType(1) ProtocolVersion(1) DataLen(2)
    data    = CmdGroup Cmd Response Reserved(2) command data...      (request)
              CmdGroup Cmd CmdError Reserved(2) data...               (reply: A0 00 = ACK)

Escaping applies to the whole packet, CRC included: A5→A6 02, A6→A6 01, 5A→5B 02, 5B→5B 01.
CRC and lengths are computed on the unescaped bytes. The real-time dynamic area command
(``A3 06``) keeps its text in the controller's RAM. Updating it often never wears the flash, so
it is the one to use for every call.

This module knows bytes only. ``led_board`` sends them over a serial line.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from .gbtext import for_gb_fonts

PREAMBLE = b"\xa5" * 8
FRAME_START, FRAME_END = 0xA5, 0x5A
SRC_PC = 0x8000
ADDRESS_ANY = 0xFFFE  # "whichever controller is on the line": it answers
ADDRESS_BROADCAST = 0xFFFF  # every controller, none answers
DEVICE_ANY = 0xFE
PROTOCOL_VERSION = 0x02
HEADER = struct.Struct("<HH3sBBBBBH")  # 14 bytes
AREA_FIXED = struct.Struct("<BHHHHBBBHBBBBBBBBBI")  # 27 bytes before the text
MAX_PACKET = 1024  # the controllers' receive buffer
_ESCAPES = {0xA5: b"\xa6\x02", 0xA6: b"\xa6\x01", 0x5A: b"\x5b\x02", 0x5B: b"\x5b\x01"}
_UNESCAPES = {b"\xa6\x02": 0xA5, b"\xa6\x01": 0xA6, b"\x5b\x02": 0x5A, b"\x5b\x01": 0x5B}

RESPONSE_REQUIRED, RESPONSE_NONE = 0x01, 0x02
GROUP_REPLY, CMD_ACK, CMD_NACK = 0xA0, 0x00, 0x01
GROUP_DISPLAY, CMD_DYNAMIC_AREA = 0xA3, 0x06

ERRORS = {
    0x00: "no error",
    0x01: "command group error",
    0x02: "command not found",
    0x03: "controller busy",
    0x04: "out of memory",
    0x05: "CRC16 checksum error",
    0x06: "file does not exist",
    0x07: "flash access error",
    0x08: "file download error",
    0x09: "file name error",
    0x0A: "file type error",
    0x0B: "file CRC16 error",
    0x0C: "font library does not exist",
    0x0D: "firmware type error",
    0x0E: "date/time format error",
    0x0F: "file exists",
    0x10: "file block number error",
}
ERR_BUSY = 0x03


class FrameError(ValueError):
    """Bytes that are not a well-formed Onbon frame (bad CRC, bad escape, bad length)."""


def crc16_arc(data: bytes) -> int:
    """CRC-16/ARC: polynomial 0x8005 reflected (0xA001), initial 0, no final XOR."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def escape(packet: bytes) -> bytes:
    return b"".join(_ESCAPES.get(b, bytes((b,))) for b in packet)


def unescape(body: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(body):
        b = body[i]
        if b in (0xA6, 0x5B):
            pair = body[i : i + 2]
            if pair not in _UNESCAPES:
                raise FrameError(f"bad escape {pair.hex(' ')} at byte {i}")
            out.append(_UNESCAPES[pair])
            i += 2
        elif b in (0xA5, 0x5A):
            raise FrameError(f"unescaped {b:02X} inside a frame at byte {i}")
        else:
            out.append(b)
            i += 1
    return bytes(out)


def frame(dst: int, data: bytes, src: int = SRC_PC, device_type: int = DEVICE_ANY) -> bytes:
    """A complete frame carrying ``data`` (command group onwards) to the board at ``dst``."""
    header = HEADER.pack(dst, src, b"\0\0\0", 0, 0, 0, device_type, PROTOCOL_VERSION, len(data))
    packet = header + data
    packet += struct.pack("<H", crc16_arc(packet))
    if len(packet) > MAX_PACKET:
        raise ValueError(f"packet of {len(packet)} bytes exceeds the controller's {MAX_PACKET}-byte buffer")
    return PREAMBLE + escape(packet) + bytes((FRAME_END,))


@dataclass(frozen=True)
class Frame:
    dst: int
    src: int
    device_type: int
    data: bytes

    @property
    def group(self) -> int:
        return self.data[0]

    @property
    def command(self) -> int:
        return self.data[1]


def parse_frame(raw: bytes) -> Frame:
    """Decode one frame (any number of leading A5, then the escaped packet, then 5A)."""
    start = 0
    while start < len(raw) and raw[start] == FRAME_START:
        start += 1
    if start == 0 or not raw.endswith(bytes((FRAME_END,))):
        raise FrameError("a frame starts with A5 and ends with 5A")
    packet = unescape(raw[start:-1])
    if len(packet) < HEADER.size + 2:
        raise FrameError(f"packet of {len(packet)} bytes is shorter than header and CRC")
    body, (crc,) = packet[:-2], struct.unpack("<H", packet[-2:])
    if crc16_arc(body) != crc:
        raise FrameError(f"CRC {crc:04X} does not match the content ({crc16_arc(body):04X})")
    dst, src, _, _, _, _, device_type, _, length = HEADER.unpack(body[: HEADER.size])
    data = body[HEADER.size :]
    if len(data) != length:
        raise FrameError(f"DataLen says {length} bytes, the frame has {len(data)}")
    return Frame(dst, src, device_type, data)


class FrameReader:
    """Cuts a byte stream into frames; bytes before a preamble are skipped."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buffer += chunk
        frames = []
        while True:
            start = self._buffer.find(FRAME_START)
            if start < 0:
                self._buffer.clear()
                return frames
            del self._buffer[:start]
            end = self._buffer.find(FRAME_END)
            if end < 0:
                return frames
            frames.append(bytes(self._buffer[: end + 1]))
            del self._buffer[: end + 1]


# ---------------------------------------------------------------- replies


@dataclass(frozen=True)
class Reply:
    """A controller's answer to a command that asked for one."""

    group: int
    command: int
    error: int

    @property
    def ok(self) -> bool:
        return self.group == GROUP_REPLY and self.command == CMD_ACK and self.error == 0

    @property
    def description(self) -> str:
        if self.ok:
            return "ACK"
        return f"NACK {self.error:#04x} ({ERRORS.get(self.error, 'unknown error')})"

    @classmethod
    def from_frame(cls, f: Frame) -> Reply:
        if len(f.data) < 5:
            raise FrameError(f"reply data of {len(f.data)} bytes (needs 5)")
        return cls(f.data[0], f.data[1], f.data[2])


def reply_data(error: int = 0) -> bytes:
    """The data of an ACK (``error`` 0) or NACK reply, as a controller sends it."""
    return bytes((GROUP_REPLY, CMD_ACK if error == 0 else CMD_NACK, error, 0, 0))


# ---------------------------------------------------------------- dynamic area (A3 06)


class DisplayMode(enum.IntEnum):
    STATIC = 0x01
    TYPE_OUT = 0x02  # 快速打出
    MOVE_LEFT = 0x03  # scrolling, for long text
    MOVE_RIGHT = 0x04
    MOVE_UP = 0x05
    MOVE_DOWN = 0x06


@dataclass(frozen=True)
class Area:
    """One dynamic area. X and width are in bytes (8 pixels) as the protocol counts them;
    Y and height in pixels."""

    x_bytes: int
    y: int
    width_bytes: int
    height: int
    area_id: int = 0
    line_spacing: int = 0
    run_mode: int = 0  # 0: show it in a loop until replaced
    timeout_s: int = 2
    align: int = 0x0A  # bits 1-0 horizontal, 3-2 vertical: 0x0A = centred both ways
    single_line: bool = False
    auto_wrap: bool = True
    display_mode: DisplayMode = DisplayMode.STATIC
    exit_mode: int = 0
    speed: int = 0  # 0 fastest … 0x18 slowest
    stay_half_s: int = 10  # how long each page stays, in 0.5 s

    @classmethod
    def whole_board(cls, width_px: int, height_px: int, **kwargs) -> Area:
        if width_px % 8:
            raise ValueError("board width must be a multiple of 8 pixels")
        return cls(0, 0, width_px // 8, height_px, **kwargs)

    def encode(self, text: bytes) -> bytes:
        fixed = AREA_FIXED.pack(
            0x00,
            self.x_bytes,
            self.y,
            self.width_bytes,
            self.height,
            self.area_id,
            self.line_spacing,
            self.run_mode,
            self.timeout_s,
            0,
            0,
            self.align,  # SoundMode 0, ExtendParaLen 0, TextAlign
            0x01 if self.single_line else 0x02,
            0x02 if self.auto_wrap else 0x01,
            int(self.display_mode),
            self.exit_mode,
            self.speed,
            self.stay_half_s,
            len(text),
        )
        return fixed + text


def encode_text(text: str) -> bytes:
    """Board text in GB2312, the controllers' font encoding; refuses what it cannot show."""
    try:
        return for_gb_fonts(text).encode("gb2312")
    except UnicodeEncodeError as exc:
        raise ValueError(f'"{text[exc.start : exc.end]}" is not in GB2312: the board cannot show it') from None


def dynamic_area_data(
    areas: list[tuple[Area, bytes]],
    reply: bool = True,
    process_mode: int = 0,
    reserved: int = 0,
    delete_ids: bytes = b"",
) -> bytes:
    """Data of an ``A3 06`` command updating ``areas`` (each with its encoded text).

    ``process_mode`` 1 clears and re-initialises the areas first. Onbon's own PC software
    writes DataLen - 5 into ``process_mode``/``reserved``; controllers accept either.
    """
    data = (
        bytes(
            (
                GROUP_DISPLAY,
                CMD_DYNAMIC_AREA,
                RESPONSE_REQUIRED if reply else RESPONSE_NONE,
                process_mode,
                reserved,
                len(delete_ids),
            )
        )
        + delete_ids
        + bytes((len(areas),))
    )
    for area, text in areas:
        block = area.encode(text)
        data += struct.pack("<H", len(block)) + block
    return data
