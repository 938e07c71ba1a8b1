"""The hall's calendar file: public holidays and 调休 working days, as the State Council announces
them each year (国务院办公厅关于某年部分节假日安排的通知). The hall config names it
(``[hall] calendar = "calendar.toml"``, relative to the config)::

    [[holidays]]
    name = "春节"
    from = 2026-02-15
    to = 2026-02-23
    work_on = [2026-02-14, 2026-02-28]   # the weekend days worked instead (调休上班)
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import Field, ValidationError, model_validator

from queue_server.core.model import Calendar

from .hall_file import ConfigError, _Strict, humanize


class _Holiday(_Strict):
    name: str = Field(min_length=1, max_length=20)
    from_: date = Field(alias="from")
    to: date
    work_on: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sane(self) -> _Holiday:
        if self.to < self.from_:
            raise ValueError(f"{self.name}: to ({self.to}) is before from ({self.from_})")
        if (self.to - self.from_).days > 14:
            raise ValueError(f"{self.name}: a holiday of more than two weeks ({self.from_} to {self.to})")
        for day in self.work_on:
            if day.weekday() < 5:
                raise ValueError(f"{self.name}: {day} is a weekday; only a weekend day can be a 调休 working day")
        return self


class _CalendarFile(_Strict):
    holidays: list[_Holiday] = Field(default_factory=list)


def parse_calendar(data: dict[str, Any], shown: str) -> Calendar:
    """Check a parsed calendar file; raises ``ConfigError`` naming the file and the entry."""
    try:
        raw = _CalendarFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(shown, humanize(exc, _CalendarFile)) from None
    holidays: dict[date, str] = {}
    workdays: set[date] = set()
    for h in raw.holidays:
        day = h.from_
        while day <= h.to:
            holidays[day] = h.name
            day += timedelta(days=1)
        workdays.update(h.work_on)
    clash = sorted(workdays & holidays.keys())
    if clash:
        raise ConfigError(shown, [f"{d} is both a holiday and a 调休 working day" for d in clash])
    return Calendar(holidays, frozenset(workdays))
