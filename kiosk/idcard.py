"""身份证取号 at the kiosk, the parts without a window: the visitor's ID as the kiosk holds it for
one visit, the 18-key entry checked as it is typed, and the reader polled on a thread of its own.

The ID number is kept in memory for the visit only (``VisitorId``, dropped when the visit ends),
never logged: its ``repr`` is masked, and the poller remembers a card only by a hash of it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from hardware.idcard import IdCard, IdCardError, IdCardReader
from hardware.idcard_text import id_number_valid, mask_name

_LOGGER = logging.getLogger(__name__)

ID_LENGTH = 18
ID_KEYS = "123456789X0"  # the keypad: digits, and X (the check character only)
POLL_S = 0.5  # a read this often while the kiosk waits for a card
IDCARD = "idcard"  # the component name under which the kiosk reports its reader
# A card there but not read (put it back): the reader itself is fine.
CARD_KINDS = ("no_card", "select_failed", "read_failed")


@dataclass(frozen=True, repr=False)
class VisitorId:
    """The visitor's ID for this visit: the number (sent with the 取号 request, shown nowhere),
    the masked name (from a card; "" when typed) and the age today."""

    number: str = field(repr=False)
    name: str  # 张*三, or "" for a typed number
    age: int
    from_card: bool

    @classmethod
    def of_card(cls, card: IdCard, today: date) -> VisitorId:
        return cls(card.id_number.upper(), mask_name(card.name), card.age_on(today), True)

    @classmethod
    def typed(cls, number: str, today: date) -> VisitorId:
        born = birth_of(number)
        assert born is not None
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        return cls(number.upper(), "", age, False)

    def __repr__(self) -> str:
        return f"VisitorId(name={self.name!r}, age={self.age}, from_card={self.from_card})"


def typed_id(number: str, key: str) -> str:
    """The number after one touch on the keypad: a digit is added (up to 18), X only as the
    18th character, ``"delete"`` takes the last one away; anything else changes nothing."""
    if key == "delete":
        return number[:-1]
    if len(number) >= ID_LENGTH:
        return number
    if key.isascii() and key.isdigit() and len(key) == 1:
        return number + key
    if key.upper() == "X" and len(number) == ID_LENGTH - 1:
        return number + "X"
    return number


def birth_of(number: str, today: date | None = None) -> date | None:
    """The birth date characters 7 to 14 give, or None when they are no possible one (a day
    that does not exist, before 1900, after ``today``)."""
    if len(number) < 14 or not number[:14].isdigit():
        return None
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    if born.year < 1900 or (today is not None and born > today):
        return None
    return born


def id_problem(number: str, today: date) -> str:
    """What is wrong with the number so far, as soon as it shows: "bad" (no region starts with
    0; 18 characters whose check character does not match), "bad_birth" (the birth date is no
    possible one, once its 8 digits are typed), or "" (nothing yet)."""
    if number[:1] == "0":
        return "bad"
    if len(number) >= 14 and birth_of(number, today) is None:
        return "bad_birth"
    if len(number) == ID_LENGTH and not id_number_valid(number):
        return "bad"
    return ""


def grouped(number: str) -> str:
    """420106 19661204 123X: region, birth date, the rest; what is still to type as "_"."""
    padded = number + "_" * (ID_LENGTH - len(number))
    return f"{padded[:6]} {padded[6:14]} {padded[14:]}"


def card_key(number: str) -> str:
    """How the poller tells one card from another without keeping its number."""
    return hashlib.sha256(number.encode()).hexdigest()[:16]


class IdCardPoller:
    """Reads the card reader every ``interval_s`` while ``wanted`` is set, on a thread of its own.

    ``on_card(card)`` gets each card laid on the reader, once per placement (lifted, or another
    card, before it is handed over again); ``on_state(ok, kind, message)`` each change of the
    reader's health (a fault: silent, bad_checksum, sam_error, port_missing; a card that cannot
    be read is not the reader's fault). Both are called on the poller's thread."""

    def __init__(
        self,
        reader: IdCardReader,
        on_card: Callable[[IdCard], None],
        on_state: Callable[[bool, str, str], None],
        interval_s: float = POLL_S,
    ) -> None:
        self.reader, self.on_card, self.on_state, self.interval_s = reader, on_card, on_state, interval_s
        self.wanted = threading.Event()
        self.healthy: bool | None = None  # None until the first answer (or silence)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: str | None = None  # the card handed over and not lifted since (a hash)

    def start(self) -> IdCardPoller:
        self._thread = threading.Thread(target=self._run, name="kiosk-idcard", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.wanted.set()  # wake it
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self.reader.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.wanted.wait(self.interval_s):
                continue
            if self._stop.is_set():
                break
            self.poll()
            self._stop.wait(self.interval_s)

    def poll(self) -> None:
        """One read, and what follows from it."""
        try:
            card = self.reader.read()
        except IdCardError as exc:
            if exc.kind == "no_card":
                self._last = None  # lifted: the same card laid again counts again
            if exc.kind in CARD_KINDS:
                self._health(True, "ok", "")
            else:
                self._health(False, exc.kind, exc.message)
            return
        except Exception:  # the poller must outlive anything the reader does
            _LOGGER.exception("the ID card reader failed unexpectedly")
            self._health(False, "read_failed", "身份证阅读器出错")
            return
        self._health(True, "ok", "")
        key = card_key(card.id_number)
        if key == self._last:
            return  # still lying there since it was handed over
        self._last = key
        self.on_card(card)

    def _health(self, ok: bool, kind: str, message: str) -> None:
        if self.healthy is ok and (ok or kind == getattr(self, "_kind", None)):
            return
        self.healthy, self._kind = ok, kind
        self.on_state(ok, kind, message)
