"""Ticket numbers and business days.

A number is the service's prefix letter plus the prefix's daily sequence, zero-padded to
three digits (A001 … A999, then A1000). Services that share a prefix share its sequence,
so two services can never hand out the same number on one day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo


def business_day(now: datetime, tz: tzinfo, day_start: time) -> date:
    """The business day ``now`` belongs to: days turn over at ``day_start`` local time."""
    local = now.astimezone(tz)
    shift = timedelta(hours=day_start.hour, minutes=day_start.minute, seconds=day_start.second)
    return (local - shift).date()


def day_start_instant(day: date, tz: tzinfo, day_start: time) -> datetime:
    """The moment the business day ``day`` begins."""
    return datetime.combine(day, day_start, tzinfo=tz)


def format_number(prefix: str, seq: int) -> str:
    """``format_number("A", 1) == "A001"``; past 999 the number simply grows (A1000)."""
    if seq < 1:
        raise ValueError(f"sequence numbers start at 1, got {seq}")
    return f"{prefix}{seq:03d}"
