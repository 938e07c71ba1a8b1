"""好差评: the visitor's rating of the service at a window, and the follow-up a low one opens.

The national five levels (政务服务"好差评"): 非常满意 … 非常不满意. A 不满意 or 非常不满意 opens a
follow-up for the hall manager, due in 15 working days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .model import NO_CALENDAR, Calendar

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
LOW = (1, 2)
REASONS = ("服务态度", "办事效率", "业务水平", "材料一次告知", "等候时间", "办事环境")
FOLLOW_UP_WORKING_DAYS = 15
COMMENT_MAX_CHARS = 200


def mask_phone(phone: str) -> str:
    """How lists show a call-back number: 138****5678 (the first three and last four digits)."""
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    hidden = set(digits[3:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(phone))


def add_working_days(start: date, days: int, calendar: Calendar = NO_CALENDAR) -> date:
    """``days`` working days after ``start``: Monday to Friday, less the calendar's public
    holidays, plus its 调休 working weekends."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if calendar.is_working_day(current):
            days -= 1
    return current


@dataclass(frozen=True)
class Rating:
    """One 好差评 of a served ticket, from the evaluator tablet of the window that served it."""

    ticket_id: int
    number: str
    service: str
    window: int
    clerk: str | None
    level: int
    reasons: tuple[str, ...]
    at: datetime
    business_day: date
    rated_by: str  # the actor who submitted it, e.g. "evaluator:tablet-3"
    comment: str = ""  # the visitor's own words, optional

    def as_dict(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "number": self.number,
            "service": self.service,
            "window": self.window,
            "clerk": self.clerk,
            "level": self.level,
            "level_label": LEVELS[self.level],
            "reasons": list(self.reasons),
            "at": self.at.isoformat(),
            "business_day": self.business_day.isoformat(),
            "rated_by": self.rated_by,
            "comment": self.comment,
        }


@dataclass
class FollowUp:
    """整改跟进: what the hall does about a low rating, closed by the manager with what was done."""

    id: int
    ticket_id: int
    number: str
    window: int
    clerk: str | None
    level: int
    reasons: tuple[str, ...]
    opened_at: datetime
    due: date
    closed_at: datetime | None = None
    resolution: str = ""
    closed_by: str | None = None
    comment: str = ""
    # The number the visitor left for the call-back: personal data, kept only on the open
    # follow-up (erased when it is closed) and never shown whole in a list.
    phone: str | None = None

    def close(self, resolution: str, actor: str, now: datetime) -> None:
        self.closed_at, self.resolution, self.closed_by = now, resolution, actor
        self.phone = None

    def as_row(self) -> dict[str, Any]:
        """What the store keeps (the phone whole, while the follow-up is open)."""
        row = self.as_dict()
        del row["level_label"], row["phone_masked"]
        return {**row, "phone": self.phone}

    def as_dict(self) -> dict[str, Any]:
        """What the API shows: the phone masked."""
        return {
            "id": self.id,
            "ticket_id": self.ticket_id,
            "number": self.number,
            "window": self.window,
            "clerk": self.clerk,
            "level": self.level,
            "level_label": LEVELS[self.level],
            "reasons": list(self.reasons),
            "opened_at": self.opened_at.isoformat(),
            "due": self.due.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "resolution": self.resolution,
            "closed_by": self.closed_by,
            "comment": self.comment,
            "phone_masked": mask_phone(self.phone) if self.phone else None,
        }
