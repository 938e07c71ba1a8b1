"""The staffing plan: which windows are open when, for the simulator (``--staffing PLAN.toml``).

    [[windows]]
    numbers = [1, 2, 3]
    hours = ["08:30-12:00", "14:00-17:30"]

    [[windows]]
    numbers = [4]
    hours = ["09:00-11:00"]

A window the plan does not name is closed all day. Without a plan every window is open whenever
one of its services is (on that day, by the hall's calendar). ``hallqueue simulate --advise``
writes its advice in this format, so it can be fed back.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from queue_server.core.model import HallConfig

Span = tuple[int, int]  # seconds after midnight, start and end


class StaffingError(Exception):
    """The plan file cannot be used; the message names the file, the key and the problem."""


def parse_span(text: str) -> Span:
    start, _, end = text.partition("-")

    def seconds(hhmm: str) -> int:
        hours, _, minutes = hhmm.strip().partition(":")
        if not (hours.isdigit() and minutes.isdigit() and 0 <= int(hours) <= 24 and 0 <= int(minutes) < 60):
            raise ValueError(f"{text!r}: a range as HH:MM-HH:MM")
        return int(hours) * 3600 + int(minutes) * 60

    span = (seconds(start), seconds(end))
    if span[0] >= span[1]:
        raise ValueError(f"{text!r}: the range ends before it starts")
    return span


def format_span(span: Span) -> str:
    return "-".join(f"{s // 3600:02d}:{s % 3600 // 60:02d}" for s in span)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    numbers: list[int] = Field(min_length=1)
    hours: list[str]

    @field_validator("hours")
    @classmethod
    def _spans(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_span(text)
        return value


class _PlanFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    windows: list[_Entry] = Field(default_factory=list)


@dataclass(frozen=True)
class StaffingPlan:
    """Open spans per window; ``None`` for a window: the hours of its services."""

    spans: dict[int, tuple[Span, ...]] | None = None  # None: the default, every window all hours

    def open_spans(self, config: HallConfig, number: int, day: date) -> tuple[Span, ...]:
        if self.spans is not None:
            return self.spans.get(number, ())
        return default_spans(config, number, day)


def default_spans(config: HallConfig, number: int, day: date) -> tuple[Span, ...]:
    """When a window is open without a plan: whenever one of its services is, merged."""
    spans = []
    for code in config.windows[number].services:
        for r in config.services[code].hours.ranges_on(day, config.calendar):
            end = 24 * 3600 if r.end == time.max else r.end.hour * 3600 + r.end.minute * 60
            spans.append((r.start.hour * 3600 + r.start.minute * 60, end))
    return merge_spans(spans)


def merge_spans(spans: list[Span]) -> tuple[Span, ...]:
    """Spans in order, those that touch or overlap made one."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def load_plan(path: str | Path, config: HallConfig) -> StaffingPlan:
    path = Path(path)
    try:
        parsed = _PlanFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise StaffingError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise StaffingError(f"{path}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise StaffingError(f"{path}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    spans: dict[int, list[Span]] = {}
    for i, entry in enumerate(parsed.windows):
        for number in entry.numbers:
            if number not in config.windows:
                raise StaffingError(f"{path}: windows.{i}.numbers: window {number} is not in the hall")
            spans.setdefault(number, []).extend(parse_span(h) for h in entry.hours)
    return StaffingPlan({n: tuple(sorted(s)) for n, s in spans.items()})


def plan_toml(spans: dict[int, tuple[Span, ...]], comment: str = "") -> str:
    """The plan as a file ``load_plan`` reads back; windows with the same hours share an entry."""
    by_hours: dict[tuple[Span, ...], list[int]] = {}
    for number in sorted(spans):
        if spans[number]:
            by_hours.setdefault(spans[number], []).append(number)
    lines = [f"# {line}" for line in comment.splitlines()] if comment else []
    for hours, numbers in sorted(by_hours.items(), key=lambda kv: kv[1][0]):
        lines += [
            "",
            "[[windows]]",
            f"numbers = {numbers}",
            f"hours = [{', '.join(repr(format_span(h)) for h in hours)}]",
        ]
    return "\n".join(lines).replace("'", '"') + "\n"
