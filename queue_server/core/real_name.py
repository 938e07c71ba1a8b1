"""身份证取号: what an ID number may do at 取号 (the per-ID daily limit, the 特别通道 by age) and
the little the hall keeps of it. Pure: the keyed hash comes in (``runtime/privacy.py`` makes it),
never the number; the day's tickets per ID are kept here, restored from the store at start.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from .errors import QueueError
from .model import Service


class RealName(enum.StrEnum):
    REQUIRED = "required"  # no ticket without an ID number (the capped services: against touts)
    OPTIONAL = "optional"  # an ID given counts against per_id_daily
    OFF = "off"  # an ID given is ignored, and not kept


class IdDailyLimit(QueueError):
    """The ID has taken the service's tickets for today (``per_id_daily``)."""

    code = "id_daily_limit"


class IdRequired(QueueError):
    code = "id_required"


_ID = re.compile(r"[1-9][0-9]{16}[0-9X]")
_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
_CHECK = "10X98765432"


def citizen_id(typed: str) -> str | None:
    """The 18-character 居民身份证号码 as GB 11643 defines it (region, birth date, sequence, the
    ISO 7064 MOD 11-2 check character), upper-cased; None when it is not one."""
    text = unicodedata.normalize("NFKC", typed).strip().upper().replace(" ", "")
    if not _ID.fullmatch(text):
        return None
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return None
    if born.year < 1900:
        return None
    total = sum(int(d) * w for d, w in zip(text[:17], _WEIGHTS, strict=True))
    return text if _CHECK[total % 11] == text[17] else None


def birth_of(id_number: str) -> date:
    """The birth date a checked 18-character ID number carries (characters 7 to 14)."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(age: int) -> str:
    """What the clerk console shows instead of the number or the birth date: 60-69岁."""
    if age < 18:
        return "未满18岁"
    if age >= 80:
        return "80岁以上"
    low = 18 if age < 20 else age // 10 * 10
    return f"{low}-{age // 10 * 10 + 9}岁"


def applies(service: Service) -> bool:
    return RealName(service.real_name) is not RealName.OFF


@dataclass
class IdTickets:
    """Today's tickets taken with an ID: per (service, ID hash) their numbers, per ticket the age
    band. Rebuilt from the store at start; emptied when the business day turns."""

    day: date | None = None
    numbers: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    bands: dict[int, str] = field(default_factory=dict)

    def turn(self, day: date) -> None:
        if day != self.day:
            self.day, self.numbers, self.bands = day, {}, {}

    def check(self, services: list[Service], id_hash: str | None) -> None:
        """Refuse (``IdRequired``, ``IdDailyLimit``) before anything is issued."""
        for s in services:
            real_name = RealName(s.real_name)
            if id_hash is None:
                if real_name is RealName.REQUIRED:
                    raise IdRequired(f"{s.name}需要实名取号，请刷身份证或输入身份证号码", service=s.code)
                continue
            taken = self.numbers.get((s.code, id_hash), [])
            if real_name is not RealName.OFF and s.per_id_daily is not None and len(taken) >= s.per_id_daily:
                raise IdDailyLimit(
                    f"您今天已取过该业务的号：{'、'.join(taken)}",
                    service=s.code,
                    number=taken[-1],
                    per_id_daily=s.per_id_daily,
                )

    def add(self, ticket_id: int, number: str, service: str, id_hash: str, band: str | None) -> None:
        self.numbers.setdefault((service, id_hash), []).append(number)
        if band is not None:  # a booking checked in by its code: the hash, but no age
            self.bands[ticket_id] = band
