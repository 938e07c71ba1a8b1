"""The second-generation ID card reader (二代身份证阅读器) on a serial port.

Certified readers all speak their SAM module's protocol (GA 467): USB readers show up as a
virtual serial port, 115200 baud unless set otherwise. A request is

    AA AA AA 96 69 · LEN (2, big-endian: the bytes after it) · CMD · PARA · data · CHK

and an answer ``AA AA AA 96 69 · LEN · SW1 SW2 SW3 · data · CHK``, CHK being the XOR of every
byte from LEN to the end of data. SW3 is the reader's status: 0x90 done, 0x9F card found,
0x80 no card, 0x81 not selected, 0x10 our frame arrived garbled, 0x60/0x66 the SAM is broken or
not authorised, and so on (``STATUS``). Reading a card is three commands: find (20 01),
select (20 02), read the text and photo (30 01); the photo is skipped.

``IdCardReader.read()`` raises ``IdCardError`` with one ``kind`` for each way it can fail, and a
Chinese ``message`` for the kiosk's screen. A silent reader is asked again up to ``retries``
times; a garbled answer (or the reader saying ours was) once, if retries > 0. The port is opened
at the first call and kept; when it fails (a USB reader unplugged and plugged back), it is closed
and the next attempt opens it again under the same name, so a call after a re-plug just works.
Calls block (a card read takes most of a second): callers on an event loop use an executor.

Address: ``serial:///dev/ttyUSB0?baudrate=115200`` (also bytesize, parity, stopbits).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import reduce
from operator import xor

import serial

from .idcard_text import IdCard, TextError, decode_text
from .serial_uri import parse_serial_uri

try:
    from termios import error as _TermiosError
except ImportError:  # Windows: pyserial raises SerialException only
    _TermiosError = OSError

__all__ = ["IdCard", "IdCardError", "IdCardReader", "IdCardUriError", "Response", "request_frame"]

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
DEFAULT_BAUDRATE = 115200  # the SAM module's default
MAX_LENGTH = 4096  # the longest answer (text, photo and fingerprints) is 2321 bytes
READ_WAIT_S = 2.0  # the read command talks to the card over the air: give it longer than find

RESET = (0x10, 0xFF)
SAM_STATUS = (0x11, 0xFF)
SAM_ID = (0x12, 0xFF)
FIND = (0x20, 0x01)
SELECT = (0x20, 0x02)
READ_BASIC = (0x30, 0x01)

OK, FOUND, BAD_CHECKSUM = 0x90, 0x9F, 0x10
# A vanished device: pyserial says so with its own error, the OS's, or (flushing on POSIX) termios'.
_PORT_ERRORS = (serial.SerialException, OSError, _TermiosError)
STATUS = {
    0x90: "操作成功",
    0x9F: "找卡成功",
    0x10: "阅读器收到的数据校验和错误",
    0x11: "阅读器收到的数据长度错误",
    0x21: "阅读器收到的命令错误",
    0x23: "越权操作",
    0x24: "无法识别的命令",
    0x31: "证/卡认证机具失败",
    0x32: "机具认证证/卡失败",
    0x33: "信息验证错误",
    0x40: "无法识别的卡类型",
    0x41: "读证/卡操作失败",
    0x47: "取随机数失败",
    0x60: "SAM 自检失败，不能接收命令",
    0x66: "SAM 未经授权，无法使用",
    0x80: "找卡失败（感应区无卡）",
    0x81: "选卡失败",
    0x91: "证/卡中此项无内容",
}
# Statuses about the card on the reader (put it back and try again), not about the reader.
_CARD_STATUSES = {0x31, 0x32, 0x33, 0x40, 0x41, 0x47, 0x91}

MESSAGES = {
    "no_card": "请将身份证放在感应区",
    "select_failed": "读卡失败，请重新放置身份证",
    "read_failed": "读卡失败，请重新放置身份证",
    "silent": "身份证阅读器无响应，请联系工作人员",
    "bad_checksum": "身份证阅读器通信出错，请重试",
    "sam_error": "身份证阅读器故障，请联系工作人员",
    "port_missing": "未连接身份证阅读器，请联系工作人员",
}


class IdCardUriError(ValueError):
    """The reader's address cannot be used; the message says what is wrong."""


class IdCardError(Exception):
    """A read that did not give a card: ``kind`` for the program, ``message`` for the screen."""

    def __init__(self, kind: str, detail: str = "", status: int | None = None, message: str | None = None) -> None:
        self.kind, self.status, self.detail = kind, status, detail
        self.message = message or MESSAGES[kind]
        code = f" 0x{status:02X}" if status is not None else ""
        super().__init__(f"{self.message}（{kind}{code}）" + (f": {detail}" if detail else ""))


@dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes


class _Garbled(Exception):
    pass


class _NoReply(Exception):
    pass


def checksum(data: bytes) -> int:
    return reduce(xor, data, 0)


def request_frame(cmd: int, para: int, data: bytes = b"") -> bytes:
    body = bytes([cmd, para]) + data
    counted = (len(body) + 1).to_bytes(2, "big") + body
    return PREAMBLE + counted + bytes([checksum(counted)])


def parse_response(frame: bytes) -> Response:
    """One whole answer frame (preamble to CHK); raises ``_Garbled`` if it does not add up."""
    if not frame.startswith(PREAMBLE) or len(frame) < 11:
        raise _Garbled(f"not an answer frame: {frame[:16].hex(' ')}")
    if len(frame) != 7 + int.from_bytes(frame[5:7], "big"):
        raise _Garbled("length field does not match the frame")
    if checksum(frame[5:-1]) != frame[-1]:
        raise _Garbled(f"checksum {frame[-1]:02X}, computed {checksum(frame[5:-1]):02X}")
    return Response(frame[7], frame[8], frame[9], frame[10:-1])


def parse_reader_uri(text: str) -> tuple[str, dict[str, str]]:
    return parse_serial_uri(text, "an ID card reader", IdCardUriError)


class IdCardReader:
    def __init__(self, uri: str, timeout_s: float = 1.0, retries: int = 2) -> None:
        self.uri = uri
        self.device, self.options = parse_reader_uri(uri)
        self.timeout_s, self.retries = timeout_s, max(0, retries)
        self._port: serial.SerialBase | None = None
        self._lock = threading.Lock()  # one exchange at a time: a poll and a close may race

    def __enter__(self) -> IdCardReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._drop_port()

    def read(self) -> IdCard:
        """Find, select and read the card on the reader; raises ``IdCardError``."""
        with self._lock:
            self._expect(self._exchange(*FIND), FOUND)
            self._expect(self._exchange(*SELECT), OK)
            answer = self._expect(self._exchange(*READ_BASIC, wait_s=max(self.timeout_s, READ_WAIT_S)), OK)
        return _basic_info(answer.data)

    def sam_status(self) -> int:
        """The SAM's status (SW3): 0x90 when it is fit; raises ``IdCardError`` if there is no answer."""
        with self._lock:
            return self._exchange(*SAM_STATUS).sw3

    # -- one command ----------------------------------------------------------------------

    def _exchange(self, cmd: int, para: int, wait_s: float | None = None) -> Response:
        """Send one command until a readable answer comes back, within the retry bounds."""
        request = request_frame(cmd, para)
        silences_left, garbles_left = self.retries, min(1, self.retries)
        while True:
            port = self._open()
            try:
                port.reset_input_buffer()  # a late answer to an earlier try is not this one's
                port.write(request)
                port.flush()
                answer = parse_response(self._read_frame(port, wait_s or self.timeout_s))
            except _PORT_ERRORS as exc:
                self._drop_port()  # gone mid-call (unplugged): the next try opens it afresh
                if silences_left == 0:
                    raise IdCardError("port_missing", f"{self.device}: {exc}") from None
                silences_left -= 1
                continue
            except _NoReply:
                if silences_left == 0:
                    detail = f"{self.device}: no answer to {cmd:02X} {para:02X} after {self.retries + 1} tries"
                    raise IdCardError("silent", detail) from None
                silences_left -= 1
                continue
            except _Garbled as exc:
                if garbles_left == 0:
                    raise IdCardError("bad_checksum", f"{self.device}: {exc}") from None
                garbles_left -= 1
                continue
            if answer.sw3 == BAD_CHECKSUM:  # our request arrived garbled: line noise, send it again
                if garbles_left == 0:
                    raise IdCardError("bad_checksum", f"{self.device}: {STATUS[BAD_CHECKSUM]}", BAD_CHECKSUM)
                garbles_left -= 1
                continue
            return answer

    def _open(self) -> serial.SerialBase:
        if self._port is None:
            o = self.options
            try:
                self._port = serial.Serial(
                    self.device,
                    baudrate=int(o.get("baudrate", DEFAULT_BAUDRATE)),
                    bytesize=int(o.get("bytesize", 8)),
                    parity=o.get("parity", "N"),
                    stopbits=float(o.get("stopbits", 1)),
                    timeout=self.timeout_s,
                )
            except _PORT_ERRORS as exc:
                raise IdCardError("port_missing", f"{self.device}: {exc}") from None
        return self._port

    def _drop_port(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except _PORT_ERRORS:
                pass  # already gone with its device
            self._port = None

    def _read_frame(self, port: serial.SerialBase, wait_s: float) -> bytes:
        """One answer frame: it must start within ``wait_s``, and no gap inside it may be longer
        than ``timeout_s`` (at 9600 baud the 1295-byte read answer alone takes 1.35 s)."""
        buffer = bytearray()
        deadline = time.monotonic() + wait_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _NoReply
            port.timeout = left
            chunk = port.read(max(1, min(port.in_waiting, MAX_LENGTH)))
            if not chunk:
                continue
            buffer += chunk
            start = buffer.find(PREAMBLE)
            if start < 0:
                del buffer[: max(0, len(buffer) - len(PREAMBLE) + 1)]  # noise; keep a preamble's start
                continue
            del buffer[:start]
            deadline = time.monotonic() + self.timeout_s
            if len(buffer) < 7:
                continue
            length = int.from_bytes(buffer[5:7], "big")
            if not 4 <= length <= MAX_LENGTH:
                raise _Garbled(f"impossible length {length}")
            if len(buffer) >= 7 + length:
                return bytes(buffer[: 7 + length])

    @staticmethod
    def _expect(answer: Response, wanted: int) -> Response:
        if answer.sw3 == wanted:
            return answer
        raise _refusal(answer.sw3)


def _refusal(status: int) -> IdCardError:
    """The error for a reader that answered, but not with success."""
    described = STATUS.get(status, "未知状态")
    if status == 0x80:
        return IdCardError("no_card", described, status)
    if status == 0x81:
        return IdCardError("select_failed", described, status)
    if status == 0x40:
        return IdCardError("read_failed", described, status, message="无法识别此证件，请放置居民身份证")
    if status in _CARD_STATUSES:
        return IdCardError("read_failed", described, status)
    return IdCardError("sam_error", described, status)


def _basic_info(data: bytes) -> IdCard:
    """The read answer's data: text length, photo length (2 bytes each, big-endian), text, photo."""
    if len(data) < 4:
        raise IdCardError("read_failed", "answer too short for the text and photo lengths")
    text_len, photo_len = int.from_bytes(data[0:2], "big"), int.from_bytes(data[2:4], "big")
    if len(data) < 4 + text_len + photo_len:
        raise IdCardError("read_failed", f"answer holds {len(data) - 4} bytes, lengths say {text_len + photo_len}")
    try:
        return decode_text(data[4 : 4 + text_len])
    except TextError as exc:
        raise IdCardError("read_failed", f"text block: {exc}") from None
