"""ESC/POS real-time status (DLE EOT n), decoded into one typed answer.

Epson's ESC/POS reference, "DLE EOT n — transmit real-time status": the printer answers each
request with one byte whose bits 0 and 7 are 0 and bits 1 and 4 are 1. Any other byte, or no
byte, is a reply we cannot read. We then report ``UNKNOWN``, never "ready". (python-escpos 3.1's
``paper_status`` reports a silent serial printer as "paper adequate".)

- n = 1, printer status: bit 3 = offline.
- n = 2, offline cause: bit 2 = cover open; bit 5 = stopped by paper end; bit 6 = error.
- n = 4, paper roll sensor: bits 2-3 = paper near end; bits 5-6 = paper end.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

DLE_EOT = b"\x10\x04"
REQUESTS = (1, 2, 4)  # the three requests a full status takes, in order
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12  # bits 0, 1, 4, 7 of every reply byte


class PrinterState(enum.StrEnum):
    """One word for what the printer can do now, the worst condition first."""

    UNKNOWN = "unknown"  # no reply, or a reply that is not an ESC/POS status byte
    OFFLINE = "offline"
    COVER_OPEN = "cover_open"
    PAPER_OUT = "paper_out"
    ERROR = "error"
    PAPER_NEAR_END = "paper_near_end"  # still prints; change the roll soon
    READY = "ready"


STATE_LABELS = {
    PrinterState.UNKNOWN: "打印机无应答或状态不明",
    PrinterState.OFFLINE: "打印机脱机",
    PrinterState.COVER_OPEN: "打印机盖未关好",
    PrinterState.PAPER_OUT: "打印机缺纸",
    PrinterState.ERROR: "打印机故障",
    PrinterState.PAPER_NEAR_END: "打印纸即将用完",
    PrinterState.READY: "打印机正常",
}


def request(n: int) -> bytes:
    """The DLE EOT request for status ``n``."""
    if n not in REQUESTS:
        raise ValueError(f"DLE EOT {n} is not a status this driver asks for")
    return DLE_EOT + bytes([n])


def is_status_byte(value: int) -> bool:
    return value & _FIXED_MASK == _FIXED_BITS


@dataclass(frozen=True)
class PrinterStatus:
    """The decoded replies to DLE EOT 1, 2 and 4 (``None`` where no valid byte came back)."""

    printer: int | None
    offline_cause: int | None
    paper: int | None

    @property
    def state(self) -> PrinterState:
        if self.printer is None or self.offline_cause is None or self.paper is None:
            return PrinterState.UNKNOWN
        if self.offline_cause & 0x04:
            return PrinterState.COVER_OPEN
        if self.paper & 0x60 or self.offline_cause & 0x20:
            return PrinterState.PAPER_OUT
        if self.offline_cause & 0x40:
            return PrinterState.ERROR
        if self.printer & 0x08:
            return PrinterState.OFFLINE
        if self.paper & 0x0C:
            return PrinterState.PAPER_NEAR_END
        return PrinterState.READY

    @property
    def ready(self) -> bool:
        """True when a ticket can be printed now (a near-end roll still prints)."""
        return self.state in (PrinterState.READY, PrinterState.PAPER_NEAR_END)

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @classmethod
    def from_replies(cls, replies: dict[int, bytes]) -> PrinterStatus:
        """Decode the raw reply to each request. A missing, empty or malformed reply is ``None``."""

        def decode(n: int) -> int | None:
            raw = replies.get(n) or b""
            return raw[0] if len(raw) == 1 and is_status_byte(raw[0]) else None

        return cls(decode(1), decode(2), decode(4))

    @classmethod
    def unknown(cls) -> PrinterStatus:
        return cls(None, None, None)
