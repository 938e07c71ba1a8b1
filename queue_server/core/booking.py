"""预约: the slots a service offers, the booking code, the ID number check, and when a booking may
check in. Pure: the config and the time in, answers out (the store keeps the bookings,
``store/bookings.py``; the API applies the rules, ``api/bookings.py``).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from .model import WEEKDAY_LABELS, BookingRules, Calendar, HallConfig, OpeningHours, Service

# Codes are read aloud, typed on a keypad and scanned: no 0/O, no 1/I/L. 31 letters, 8 of them:
# 8.5 × 10^11 codes, guessed only with the phone number that goes with them.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
QR_PREFIX = "HQB:"  # what the booking QR carries before the code, so a scan is told from typing
_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
_SCANNED = re.compile(rf"(?:{QR_PREFIX}|/BOOK/)([{CODE_ALPHABET}]{{{CODE_LENGTH}}})$")


class BookingStatus(enum.StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    MISSED = "missed"  # the slot passed without a check-in


STATUS_LABELS = {
    BookingStatus.BOOKED: "已预约",
    BookingStatus.CHECKED_IN: "已签到取号",
    BookingStatus.CANCELLED: "已取消",
    BookingStatus.MISSED: "已过期未到",
}


def new_code(choose: Callable[[str], str]) -> str:
    """A fresh code; ``choose`` picks one character (``secrets.choice``)."""
    return "".join(choose(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def read_code(typed: str) -> str | None:
    """The code in what was typed or scanned: ``k7m2xq9p``, ``HQB:K7M2XQ9P``, a URL ending in
    ``/book/K7M2XQ9P``; None when there is none."""
    text = unicodedata.normalize("NFKC", typed).strip().upper()
    if _CODE.fullmatch(text):
        return text
    m = _SCANNED.search(text)
    return m[1] if m else None


def mask_name(name: str) -> str:
    """张三丰 → 张**: lists name nobody whole."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


# ---------------------------------------------------------------- slots


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, hall time
    end: datetime

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def booking_hours(service: Service) -> OpeningHours:
    assert service.booking is not None
    return service.booking.hours or service.hours


def slots_on(service: Service, day: date, config: HallConfig) -> list[Slot]:
    """The slots ``service`` offers on ``day``: from the start of each opening range, each
    ``slot_minutes`` long, ending by the range's 取号截止 (a booked visitor must still get a
    ticket); none on a holiday, 调休 days as the calendar says."""
    plan = service.booking
    if plan is None:
        return []
    zone, step = config.timezone, timedelta(minutes=plan.slot_minutes)
    cutoff = timedelta(seconds=config.rules.last_ticket_s)
    out = []
    for r in booking_hours(service).ranges_on(day, config.calendar):
        start = datetime.combine(day, r.start, zone)
        if r.end == time.max:  # runs to midnight, with no 取号截止
            last = datetime.combine(day + timedelta(days=1), time(), zone)
        else:
            last = datetime.combine(day, r.end, zone) - cutoff
        while start + step <= last:
            out.append(Slot(start, start + step))
            start += step
    return out


def slot_at(service: Service, start: datetime, config: HallConfig) -> Slot | None:
    """The slot of ``service`` beginning at ``start`` (any time zone), or None."""
    local = start.astimezone(config.timezone)
    return next((s for s in slots_on(service, local.date(), config) if s.start == local), None)


def bookable_days(service: Service, today: date) -> list[date]:
    assert service.booking is not None
    return [today + timedelta(days=n) for n in range(service.booking.days_ahead + 1)]


def day_label(day: date, calendar: Calendar) -> str:
    """``12月4日 周五`` (with the holiday's name on one)."""
    label = f"{day.month}月{day.day}日 {WEEKDAY_LABELS[day.weekday()]}"
    holiday = calendar.holidays.get(day)
    return f"{label}（{holiday}）" if holiday else label


# ---------------------------------------------------------------- check-in


class Arrival(enum.StrEnum):
    """Where a check-in falls against its slot."""

    TOO_EARLY = "too_early"
    ON_TIME = "on_time"  # an appointment ticket
    LATE = "late"  # the same day, after check_in_late: ``BookingRules.late`` decides
    TOO_LATE = "too_late"  # another day


def check_in_window(slot_start: datetime, rules: BookingRules) -> tuple[datetime, datetime]:
    """From when until when (exclusive) a check-in gives an appointment ticket."""
    return (
        slot_start - timedelta(seconds=rules.check_in_early_s),
        slot_start + timedelta(seconds=rules.check_in_late_s),
    )


def arrival(now: datetime, slot_start: datetime, rules: BookingRules, zone: tzinfo) -> Arrival:
    opens, closes = check_in_window(slot_start, rules)
    if now < opens:
        return Arrival.TOO_EARLY
    if now < closes:
        return Arrival.ON_TIME
    if now.astimezone(zone).date() == slot_start.astimezone(zone).date():
        return Arrival.LATE
    return Arrival.TOO_LATE


def missed_by(now: datetime, rules: BookingRules) -> datetime:
    """Bookings whose slot began before this and never checked in are missed."""
    return now - timedelta(seconds=rules.check_in_late_s)


# ---------------------------------------------------------------- what the visitor is told


def when_text(slot: Slot) -> str:
    """``12月4日 周五 08:30-09:00``."""
    day = slot.start.date()
    return f"{day.month}月{day.day}日 {WEEKDAY_LABELS[day.weekday()]} {slot.label}"


def confirmation_text(hall: str, service: str, slot: Slot, code: str, rules: BookingRules) -> str:
    opens, closes = check_in_window(slot.start, rules)
    return (
        f"【{hall}】您已预约{service}，时间 {when_text(slot)}，预约码 {code}。"
        f"请于 {opens:%H:%M} 至 {closes:%H:%M} 到大厅取号机扫码或输入预约码取号。"
    )


def reminder_text(hall: str, service: str, slot: Slot, code: str, rules: BookingRules) -> str:
    opens, closes = check_in_window(slot.start, rules)
    return (
        f"【{hall}】提醒：您预约了明天 {when_text(slot)} 的{service}，预约码 {code}。"
        f"请于 {opens:%H:%M} 至 {closes:%H:%M} 到大厅取号机签到取号；不能前来请在预约页面取消。"
    )


def reminder_due_from(slot_day: date, rules: BookingRules, zone: tzinfo) -> datetime:
    """When the reminder of a booking on ``slot_day`` goes out: the day before, at ``remind_at``."""
    return datetime.combine(slot_day - timedelta(days=1), rules.remind_at, zone)
