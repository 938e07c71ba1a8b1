"""预约取号 at the kiosk, the parts without a window: what a scanned or typed text means, and
telling a scanner's keystrokes from a person's.

A booking code is 8 characters of ``CODE_ALPHABET`` (no 0/O, 1/I/L, so nothing reads as
another). The booking's QR code carries ``HQB:`` and the code; a visitor may also show the
booking page, whose address ends in ``/book/CODE``, or a code printed as text.

A USB scanner is usually a keyboard ("keyboard wedge"): it types what it read and presses Enter,
a character every few milliseconds. ``WedgeReader`` takes the characters as they come and
answers a scan when Enter follows a fast run of them; a person typing (slower, or without
Enter) is never taken for a scan.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
QR_PREFIX = "HQB:"
_CODE = re.compile(rf"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
_BOOK_PATH = re.compile(r"/book/([A-Za-z0-9]{8})/?(?:[?#].*)?$")


def booking_code(text: str) -> str | None:
    """The booking code in a scanned or typed text, upper case; None when it holds none.

    Takes ``HQB:K7M2XQ9P``, ``K7M2XQ9P`` (any case) and ``https://hall.example/book/K7M2XQ9P``.
    """
    text = text.strip()
    if text[: len(QR_PREFIX)].upper() == QR_PREFIX:
        text = text[len(QR_PREFIX) :].strip()
    else:
        found = _BOOK_PATH.search(text)
        if found:
            text = found[1]
    code = text.upper()
    return code if _CODE.fullmatch(code) else None


def typed_code(code: str, key: str) -> str:
    """The code after one touch on the keypad: a character of the alphabet is added (up to 8),
    ``"delete"`` takes the last one away; anything else changes nothing."""
    if key == "delete":
        return code[:-1]
    if len(key) == 1 and key in CODE_ALPHABET and len(code) < CODE_LENGTH:
        return code + key
    return code


def slot_label(booking: dict[str, Any]) -> str:
    """The booked time as the visitor booked it, 09:30-10:00 (hall time, as the server wrote it)."""
    try:
        start, end = (datetime.fromisoformat(booking[k]) for k in ("slot_start", "slot_end"))
    except (KeyError, TypeError, ValueError):
        return ""
    return f"{start:%H:%M}-{end:%H:%M}"


class WedgeReader:
    """Characters in, a scan out: ``char(c, t)`` for each character typed, ``enter(t)`` for Enter
    (``t`` in seconds, any monotonic clock). ``enter`` returns the scanned text when at least
    ``min_chars`` characters came with no pause longer than ``max_gap_s`` between them, nor
    before the Enter; otherwise None, and the characters are forgotten.

    Scanners type a character every 2-20 ms; nobody types 8 characters with less than 80 ms
    between each, so the default gap tells them apart."""

    def __init__(self, max_gap_s: float = 0.08, min_chars: int = CODE_LENGTH, max_chars: int = 200) -> None:
        self.max_gap_s, self.min_chars, self.max_chars = max_gap_s, min_chars, max_chars
        self._chars: list[str] = []
        self._last = 0.0

    def char(self, text: str, t: float) -> None:
        if self._chars and t - self._last > self.max_gap_s:
            self._chars.clear()  # a pause: what came before was typed by hand
        if len(self._chars) < self.max_chars:
            self._chars.extend(text)
        self._last = t

    def enter(self, t: float) -> str | None:
        chars, self._chars = self._chars, []
        if len(chars) < self.min_chars or t - self._last > self.max_gap_s:
            return None
        return "".join(chars)

    def clear(self) -> None:
        self._chars.clear()
