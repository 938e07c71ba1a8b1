"""A second-generation ID card reader (its SAM module) on the far side of a real pty.

The code under test opens ``sim.port`` (or ``sim.uri``) like the reader's USB serial port; the
simulator answers each frame as the SAM protocol says, from the card set on it. The framing and
the text block are written here again, not imported from the driver, so that the two checking
each other means something. Knobs, changeable while it runs:

    card            the IdCard on the reader, None for an empty reader
    silent          answer nothing at all
    corrupt_next    answer the next N frames with a wrong checksum
    reject_next     answer the next N frames 0x10 (the request arrived garbled)
    sam_status      what a broken SAM answers to everything (0x60, 0x66 …); 0x90 when fit
    select_fails    select answers 0x81

    with ReaderSim(card) as sim:            # or sim = ReaderSim(card).start() … sim.stop()
        IdCardReader(sim.uri).read()

``stop()`` is the reader being unplugged; ``start()`` again plugs it back in (behind the same
``link`` if one was given, as udev keeps /dev/serial/by-id/… names).
"""

from __future__ import annotations

import os
import select
import threading
import tty
from pathlib import Path

from hardware.idcard_text import ETHNICITIES, IdCard

PREAMBLE = bytes.fromhex("AAAAAA9669")
SEX_CODES = {"未知": "0", "男": "1", "女": "2", "未说明": "9"}
ETHNICITY_CODES = {name: code for code, name in ETHNICITIES.items()}
# What the photo's 1024 bytes hold does not matter to the driver; a preamble inside them must not
# make it lose its place in the frame.
FAKE_PHOTO = (PREAMBLE + bytes(range(123))) * 8


def encode_text(card: IdCard) -> bytes:
    """The 256-byte text block a card holds: UCS-2 little-endian, each field padded with spaces."""
    fields = [
        (card.name, 30),
        (SEX_CODES[card.sex], 2),
        (ETHNICITY_CODES.get(card.ethnicity, card.ethnicity), 4),
        (card.birth.strftime("%Y%m%d"), 16),
        (card.address, 70),
        (card.id_number, 36),
        (card.authority, 30),
        (card.valid_from.strftime("%Y%m%d"), 16),
        (card.valid_to.strftime("%Y%m%d") if card.valid_to else "长期", 16),
        ("", 36),
    ]
    block = b""
    for text, size in fields:
        raw = text.encode("utf-16-le")
        if len(raw) > size:
            raise ValueError(f"{text!r} does not fit in {size} bytes")
        block += raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)
    assert len(block) == 256
    return block


def _xor(data: bytes) -> int:
    out = 0
    for byte in data:
        out ^= byte
    return out


def answer_frame(sw3: int, data: bytes = b"", corrupt: bool = False) -> bytes:
    counted = (len(data) + 4).to_bytes(2, "big") + bytes([0, 0, sw3]) + data
    check = _xor(counted) ^ (0xFF if corrupt else 0)
    return PREAMBLE + counted + bytes([check])


class ReaderSim:
    def __init__(self, card: IdCard | None = None, link: Path | str | None = None) -> None:
        self.card = card
        self.silent = False
        self.corrupt_next = 0
        self.reject_next = 0
        self.sam_status = 0x90
        self.select_fails = False
        self.link = Path(link) if link is not None else None
        self.requests: list[bytes] = []  # every whole frame received, as sent
        self._found = self._selected = False
        self._controller = self._device = -1
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def port(self) -> str:
        if self.link is not None:
            return str(self.link)
        return os.ttyname(self._device)

    @property
    def uri(self) -> str:
        return f"serial://{self.port}?baudrate=115200"

    def start(self) -> ReaderSim:
        self._controller, self._device = os.openpty()
        tty.setraw(self._controller)
        tty.setraw(self._device)  # binary frames: no echo, CR stays CR
        if self.link is not None:
            if self.link.is_symlink():
                self.link.unlink()
            self.link.symlink_to(os.ttyname(self._device))
        self._found = self._selected = False
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="idcard-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """The reader is unplugged: its device goes away."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None
        if self.link is not None and self.link.is_symlink():
            self.link.unlink()
        for fd in (self._controller, self._device):
            if fd >= 0:
                os.close(fd)
        self._controller = self._device = -1

    def __enter__(self) -> ReaderSim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        buffer = bytearray()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._controller], [], [], 0.05)
            if not ready:
                continue
            try:
                buffer += os.read(self._controller, 4096)
            except OSError:
                return
            while (frame := self._next_frame(buffer)) is not None:
                self.requests.append(frame)
                answer = self._answer(frame)
                if answer is not None:
                    os.write(self._controller, answer)

    @staticmethod
    def _next_frame(buffer: bytearray) -> bytes | None:
        start = buffer.find(PREAMBLE)
        if start < 0:
            return None
        del buffer[:start]
        if len(buffer) < 7:
            return None
        end = 7 + int.from_bytes(buffer[5:7], "big")
        if len(buffer) < end:
            return None
        frame = bytes(buffer[:end])
        del buffer[:end]
        return frame

    def _answer(self, frame: bytes) -> bytes | None:
        if self.silent:
            return None
        corrupt = self.corrupt_next > 0
        if corrupt:
            self.corrupt_next -= 1
        sw3, data = self._status_and_data(frame)
        return answer_frame(sw3, data, corrupt)

    def _status_and_data(self, frame: bytes) -> tuple[int, bytes]:
        if len(frame) < 10 or _xor(frame[5:-1]) != frame[-1]:
            return 0x10, b""
        if self.reject_next > 0:
            self.reject_next -= 1
            return 0x10, b""
        command = frame[7:9].hex().upper()
        if command == "11FF":
            return self.sam_status, b""
        if self.sam_status != 0x90:
            return self.sam_status, b""
        if command == "10FF":
            self._found = self._selected = False
            return 0x90, b""
        if command == "12FF":
            return 0x90, bytes.fromhex("0501000020101224000000010000002A")
        if command == "2001":
            self._found, self._selected = self.card is not None, False
            return (0x9F, bytes(4)) if self._found else (0x80, b"")
        if command == "2002":
            self._selected = self._found and self.card is not None and not self.select_fails
            return (0x90, bytes(8)) if self._selected else (0x81, b"")
        if command == "3001":
            if not self._selected or self.card is None:
                return 0x41, b""
            return 0x90, bytes.fromhex("01000400") + encode_text(self.card) + FAKE_PHOTO
        return 0x21, b""
