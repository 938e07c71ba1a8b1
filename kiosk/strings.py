"""Every word the kiosk shows or says, one catalogue per language (``kiosk/locale/*.toml``).

The screens read the current catalogue as ``app.t`` (``app.t.home_title``); switching the
language replaces ``app.t``, and every kv rule bound to it redraws. Chinese is the default.
The upper-case names below are the Chinese words, for code that has no App (the ticket flow)
and for the tests.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from hardware.printer_status import PrinterState

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_WINDOWS = re.compile(r"(\d+(?:、\d+)*) ?号窗口")


class Catalogue:
    """One language's words: ``cat.home_title``, ``cat.get("waiting", n=3)``, ``cat.table("speech")``."""

    def __init__(self, language: str, words: dict[str, Any]) -> None:
        self.language = language
        self._words = words

    def __getattr__(self, key: str) -> str:
        try:
            value = self._words[key]
        except KeyError:
            raise AttributeError(f"no word {key!r} in the {self.language} catalogue") from None
        if not isinstance(value, str):
            raise AttributeError(f"{key!r} is a table: use table({key!r})")
        return value

    def get(self, key: str, **values: Any) -> str:
        return getattr(self, key).format(**values)

    def table(self, name: str) -> dict[str, str]:
        return dict(self._words[name])

    def keys(self) -> set[str]:
        """Every key, tables as ``table.key``: the catalogues of all languages have the same."""
        out = set()
        for key, value in self._words.items():
            if isinstance(value, dict):
                out |= {f"{key}.{k}" for k in value}
            else:
                out.add(key)
        return out

    def values(self) -> list[str]:
        out = []
        for value in self._words.values():
            out.extend(value.values() if isinstance(value, dict) else [value])
        return out

    # ------------------------------------------------------------ composed words

    def minutes(self, seconds: int) -> str:
        m = round(seconds / 60)
        return self.get("estimate", m=m) if m >= 1 else self.estimate_soon

    def printer_problem(self, state: PrinterState | str | None) -> str:
        problems = self._words["printer_problem"]
        return problems.get(str(state), problems["unknown"])

    def checklist_problem(self, state: PrinterState | str | None) -> str:
        """Why the 一次性告知单 was not printed (the visitor can still read the page)."""
        problems = self._words["checklist_problem"]
        return problems.get(str(state), problems["unknown"])

    def names(self, names: list[str] | tuple[str, ...]) -> str:
        """Several names in a row: 户口迁移登记、纳税申报 (Chinese), a, b (English)."""
        return self.name_separator.join(names)

    def place(self, where: str) -> str:
        """The server's "17、18、19 号窗口（一楼B区）" in this language (the zone stays as written)."""
        if not where or self.language == DEFAULT_LANGUAGE:
            return where

        def windows(m: re.Match[str]) -> str:
            numbers = m[1].split("、")
            word = self.window_one if len(numbers) == 1 else self.window_many
            return word.format(numbers=self.names(numbers))

        text = _WINDOWS.sub(windows, where)
        return text.replace("）、", "), ").replace("（", " (").replace("）", ")")

    def guide_fields(self) -> tuple[tuple[str, str], ...]:
        return tuple(self._words["guide_fields"].items())

    def kind(self, kind: str) -> str:
        return self._words["kinds"].get(kind, kind)

    def refused(self, code: str, message: str, details: dict[str, Any] | None, service: str) -> str:
        """What to show when the server said no: its own (Chinese) message, or ours when we
        have the same sentence in this language."""
        details = details or {}
        template = self._words["refused"].get(code)
        if template is None or self.language == DEFAULT_LANGUAGE:
            return message
        try:
            return template.format(service=service, hours=details.get("hours", ""), cap=details.get("daily_cap", ""))
        except (KeyError, IndexError):
            return message

    def booking_refusal(self, code: str, message: str, details: dict[str, Any] | None) -> tuple[str, str]:
        """(heading, what to do) when a booking was not checked in: ``code`` as the server
        refused it, or ``offline``. Our own plain words where we have them; the server's
        (Chinese) message where it says more (the hours of a closed service) or we have none."""
        words, details = self._words["booking_refused"], details or {}
        key = code if f"{code}_title" in words else "other"
        text = words[key]
        if key == "too_early":
            time = details.get("come_back_time")
            text = text.format(time=time) if time else words["too_early_no_time"]
        elif key == "used":
            number = details.get("number")
            text = text.format(number=number) if number else words["used_no_number"]
        else:
            text = text.format(message=message) or words["other_no_message"]
        return words[f"{key}_title"], text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Catalogue) and other.language == self.language

    def __hash__(self) -> int:
        return hash(self.language)

    def __repr__(self) -> str:
        return f"Catalogue({self.language!r})"


@cache
def catalogue(language: str = DEFAULT_LANGUAGE) -> Catalogue:
    if language not in LANGUAGES:
        raise ValueError(f"the kiosk speaks {', '.join(LANGUAGES)}, not {language!r}")
    with (LOCALE_DIR / f"{language}.toml").open("rb") as f:
        return Catalogue(language, tomllib.load(f))


ZH = catalogue("zh")

# The Chinese words by their old names (the ticket flow and the tests use them).
HOME_TITLE = ZH.home_title
ELDERLY_LANE = ZH.elderly_lane
GUIDES = ZH.guides
WAITING = ZH.waiting
CLOSED = ZH.closed
AHEAD = ZH.ahead
PRINTED = ZH.printed
WORKING = ZH.working
OFFLINE = ZH.offline
PRIORITY_CHECK = ZH.priority_check
NO_FEE = ZH.no_fee
SEARCH_EMPTY = ZH.search_empty
GUIDE_FIELDS = ZH.guide_fields()
PRINTER_PROBLEM = {state: ZH.printer_problem(state) for state in PrinterState}
CHECKLIST_PRINTED = ZH.checklist_printed
CHECKLIST_PROBLEM = {state: ZH.checklist_problem(state) for state in PrinterState}


def minutes(seconds: int) -> str:
    return ZH.minutes(seconds)
