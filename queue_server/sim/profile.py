"""The arrival profile: who comes to the hall, when, for what, and how they behave.

A TOML file (the sample hall's is ``config/sample/arrivals.toml``)::

    [day]                       # the shape of a day: relative weights per half hour
    shape = { "08:30" = 6, "09:00" = 14, ... }
    weekdays = { mon = 1.2, tue = 1.0, ..., sat = 0.3, sun = 0 }

    [month_start]               # utilities are busier when the bills come
    days = 5
    factor = 1.6
    departments = ["water", "power"]

    [visitors]                  # defaults for every service
    no_show = 0.04              # called, never comes (went home, wrong hall)
    balk_over_minutes = 60      # a visitor shown a longer wait at the kiosk may not take a ticket ...
    balk_share = 0.3            # ... this share of them
    patience_minutes = 120      # mean time a waiting visitor stays (exponential): then leaves
    service_time_sigma = 0.45   # log-normal dispersion around each service's avg_minutes
    transfer_share = 0.01       # served tickets the clerk transfers to another service
    priority = { elderly = 0.08, appointment = 0.02, green_channel = 0.005 }

    [ratings]                   # 好差评 on the window's tablet (off without this table)
    share = 0.45                # served visitors who rate
    levels = { 5 = 0.9, 4 = 0.07, 3 = 0.02, 2 = 0.007, 1 = 0.003 }
    low_after_target = 4        # who waited past [rules] wait_target_minutes rates 2 or 1 this much more often
    followup_max_working_days = 20   # each low rating's follow-up is closed 1..this many working days later

    [services]                  # tickets per day on a weekday of factor 1
    "hz-idcard" = 180
    "hz-hukou" = { per_day = 60, minutes = 9, no_show = 0.06, shape = { ... } }

``minutes`` is the service's real mean time at the window in the simulated hall; the hall
config's ``avg_minutes`` is only the estimator's first guess, and by default the same.

A service's arrivals in a half hour are Poisson with mean
``per_day × weekday factor × (month-start factor) × shape share of that half hour``; only the
half hours in which the service issues tickets count, so its ``per_day`` is what it gets.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from queue_server.core.model import HallConfig, Priority

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOT_S = 1800  # the shape's resolution: half an hour


class ProfileError(Exception):
    """The profile file cannot be used; the message names the file, the key and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_shape(shape: dict[str, float]) -> dict[str, float]:
    for key, weight in shape.items():
        hours, _, minutes = key.partition(":")
        if not (hours.isdigit() and minutes in ("00", "30") and 0 <= int(hours) <= 23):
            raise ValueError(f"shape key {key!r}: a half hour as HH:00 or HH:30")
        if weight < 0:
            raise ValueError(f"shape weight {key} is negative")
    if shape and not any(shape.values()):
        raise ValueError("every shape weight is 0")
    return shape


class _Day(_Strict):
    shape: dict[str, float]
    weekdays: dict[str, float] = Field(default_factory=lambda: dict.fromkeys(WEEKDAYS, 1.0))

    _shape = field_validator("shape")(_check_shape)

    @field_validator("weekdays")
    @classmethod
    def _days(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown weekday {sorted(unknown)}: use {', '.join(WEEKDAYS)}")
        if any(v < 0 for v in value.values()):
            raise ValueError("a weekday factor is negative")
        return value


class _MonthStart(_Strict):
    days: int = Field(0, ge=0, le=28)
    factor: float = Field(1.0, ge=0)
    departments: list[str] = Field(default_factory=list)


class _Visitors(_Strict):
    no_show: float = Field(0.04, ge=0, le=1)
    balk_over_minutes: float = Field(60, gt=0)
    balk_share: float = Field(0.3, ge=0, le=1)
    patience_minutes: float = Field(120, gt=0)
    service_time_sigma: float = Field(0.45, ge=0, le=2)
    transfer_share: float = Field(0.01, ge=0, le=0.5)
    priority: dict[Priority, float] = Field(default_factory=dict)

    @field_validator("priority")
    @classmethod
    def _shares(cls, value: dict[Priority, float]) -> dict[Priority, float]:
        if any(v < 0 for v in value.values()) or sum(v for k, v in value.items() if k is not Priority.NORMAL) > 1:
            raise ValueError("priority shares are between 0 and 1 and add up to at most 1")
        return value


class _Ratings(_Strict):
    share: float = Field(0.0, ge=0, le=1)
    levels: dict[int, float] = Field(default_factory=lambda: {5: 0.9, 4: 0.07, 3: 0.02, 2: 0.007, 1: 0.003})
    low_after_target: float = Field(4.0, ge=1, le=100)
    followup_max_working_days: int = Field(20, ge=1, le=60)

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: dict[int, float]) -> dict[int, float]:
        if set(value) - {1, 2, 3, 4, 5} or any(v < 0 for v in value.values()) or not sum(value.values()):
            raise ValueError("levels are 1 to 5, each with a weight of 0 or more, not all 0")
        return value


class _Service(_Strict):
    per_day: float = Field(ge=0)
    minutes: float | None = Field(None, gt=0, le=480)  # the real mean service time; default avg_minutes
    no_show: float | None = Field(None, ge=0, le=1)
    service_time_sigma: float | None = Field(None, ge=0, le=2)
    shape: dict[str, float] | None = None

    _shape = field_validator("shape")(_check_shape)


class _ProfileFile(_Strict):
    day: _Day
    month_start: _MonthStart = Field(default_factory=_MonthStart)
    visitors: _Visitors = Field(default_factory=_Visitors)
    ratings: _Ratings = Field(default_factory=_Ratings)
    services: dict[str, float | _Service]


@dataclass(frozen=True)
class Demand:
    """One service's visitors."""

    per_day: float
    service_s: float  # mean time at the window (the hall config's avg_minutes is only its first guess)
    shape: tuple[float, ...]  # 48 half-hour shares, summing to 1 (or all 0)
    no_show: float
    service_time_sigma: float


@dataclass(frozen=True)
class ArrivalProfile:
    demand: dict[str, Demand]  # by service code
    weekday_factor: tuple[float, ...]  # Monday first
    month_start_days: int
    month_start_factor: float
    month_start_departments: frozenset[str]
    balk_over_s: float
    balk_share: float
    patience_s: float
    transfer_share: float
    priority_shares: dict[Priority, float]  # the classes other than normal
    rating_share: float = 0.0  # served visitors who rate on the tablet (0: nobody)
    rating_levels: tuple[tuple[int, float], ...] = ()  # (level, weight)
    low_rating_after_target: float = 1.0
    followup_max_working_days: int = 20


def _slots(shape: dict[str, float]) -> tuple[float, ...]:
    weights = [0.0] * 48
    for key, weight in shape.items():
        hours, minutes = key.split(":")
        weights[int(hours) * 2 + (minutes == "30")] = weight
    total = sum(weights)
    return tuple(w / total for w in weights) if total else tuple(weights)


def profile_from_dict(raw: dict[str, Any], config: HallConfig, source: str = "<profile>") -> ArrivalProfile:
    try:
        parsed = _ProfileFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise ProfileError(f"{source}: {key}: {first['msg']}") from None
    unknown = sorted(set(parsed.services) - set(config.services))
    if unknown:
        raise ProfileError(f"{source}: services: {', '.join(unknown)} is not a service of the hall")
    departments = set(parsed.month_start.departments) - set(config.departments)
    if departments:
        raise ProfileError(f"{source}: month_start.departments: {', '.join(sorted(departments))} is not a department")
    v = parsed.visitors
    day_shape = _slots(parsed.day.shape)
    demand = {}
    for code, entry in parsed.services.items():
        s = entry if isinstance(entry, _Service) else _Service(per_day=entry)
        demand[code] = Demand(
            per_day=s.per_day,
            service_s=s.minutes * 60 if s.minutes is not None else config.services[code].avg_service_s,
            shape=_slots(s.shape) if s.shape else day_shape,
            no_show=v.no_show if s.no_show is None else s.no_show,
            service_time_sigma=v.service_time_sigma if s.service_time_sigma is None else s.service_time_sigma,
        )
    return ArrivalProfile(
        demand=demand,
        weekday_factor=tuple(parsed.day.weekdays.get(d, 1.0) for d in WEEKDAYS),
        month_start_days=parsed.month_start.days,
        month_start_factor=parsed.month_start.factor,
        month_start_departments=frozenset(parsed.month_start.departments),
        balk_over_s=v.balk_over_minutes * 60,
        balk_share=v.balk_share,
        patience_s=v.patience_minutes * 60,
        transfer_share=v.transfer_share,
        priority_shares={k: share for k, share in v.priority.items() if k is not Priority.NORMAL},
        rating_share=parsed.ratings.share,
        rating_levels=tuple(sorted(parsed.ratings.levels.items(), reverse=True)),
        low_rating_after_target=parsed.ratings.low_after_target,
        followup_max_working_days=parsed.ratings.followup_max_working_days,
    )


def load_profile(path: str | Path, config: HallConfig) -> ArrivalProfile:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from None
    return profile_from_dict(raw, config, str(path))
