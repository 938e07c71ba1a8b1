"""Reading the hall config (one TOML file) into the core's ``HallConfig``.

One schema (pydantic) checks types and shapes; cross-checks (every window's services exist,
no duplicate codes) follow. Every problem is collected and reported as
``hall.toml: windows[3].services[1]: unknown service "gas-pay"``; the server refuses to start
on any of them.
"""

from __future__ import annotations

import re
import tomllib
import typing
from dataclasses import replace
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from queue_server.core.model import (
    WEEKDAY_NAMES,
    BoardWiring,
    BookingPlan,
    BookingRules,
    Department,
    HallConfig,
    Limits,
    NotifyConfig,
    OpeningHours,
    Rules,
    Service,
    Tile,
    TimeRange,
    WebhookConfig,
    Window,
)

SAMPLE_HALL = "sample/hall.toml"


class ConfigError(Exception):
    """The hall config cannot be used; ``problems`` lists every reason, one line each."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


_CODE = r"^[a-z0-9][a-z0-9_-]*$"
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
Code = Annotated[str, Field(pattern=_CODE, max_length=40)]
HoursTable = dict[str, list[str]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _HallSection(_Strict):
    name: str = Field(min_length=1)
    timezone: str = "Asia/Shanghai"
    day_start: time = time(4, 0)
    complaint_phone: str = ""
    session_hours: float = Field(12, gt=0, le=24)
    hours: HoursTable = Field(default_factory=lambda: {"mon-fri": ["08:30-12:00", "14:00-17:30"]})
    notices: list[str] = Field(default_factory=list)
    guides: str | None = None  # the guide file, relative to this config file
    calendar: str | None = None  # public holidays and 调休 working days, relative to this config file
    reception_printer: str | None = None  # the reception desk's ticket printer (a printer URI)
    session_idle_minutes: float = Field(30, ge=0, le=24 * 60)  # staff sign-out after no activity; 0: never
    public_url: str | None = Field(None, pattern=r"^https?://[^/\s]+/?$")  # for ticket QR codes

    @field_validator("day_start", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        return _clock_time(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f'unknown time zone "{value}" (expected e.g. "Asia/Shanghai")') from None
        return value


def _clock_time(value: object) -> object:
    """``"04:00"`` as a ``time`` (TOML's own local times pass through)."""
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
        try:
            return time(int(m[1]), int(m[2])) if m else _bad_time(value)
        except ValueError:
            _bad_time(value)
    return value


def _bad_time(value: object):
    raise ValueError(f'"{value}" is not a time of day like "04:00"')


class _RulesSection(_Strict):
    max_recalls: int = Field(3, ge=0, le=10)
    no_show_requeues: int = Field(0, ge=0, le=5)
    priority_streak: int = Field(3, ge=1, le=100)
    starvation_minutes: float = Field(60, gt=0)
    service_time_weight: float = Field(0.2, gt=0, le=1)
    no_show_recall_minutes: float = Field(30, ge=0, le=24 * 60)  # a 过号 ticket may be called back this long
    last_ticket_minutes: float = Field(30, ge=0, le=240)  # 取号截止: no tickets this long before closing
    serve_out: bool = True  # 延时办理: the windows serve who still waits when a range ends, then close
    wait_alert_minutes: float = Field(30, gt=0, le=24 * 60)  # /admin alerts a service waiting longer
    idle_alert_minutes: float = Field(3, gt=0, le=24 * 60)  # /admin alerts an open window idle while people wait
    notify_ahead: int = Field(3, ge=0, le=50)  # 快到您了: the phone page (and an SMS) when this few are ahead
    lobby_wait_notice: bool = False  # the lobby screen says 等候时间较长 for a service past wait_alert_minutes
    wait_target_minutes: float = Field(20, gt=0, le=24 * 60)  # the hall's promise: served within this
    elderly_age: int = Field(60, ge=50, le=100)  # 身份证取号: this age or over gets the 特别通道 by itself


class _LimitsSection(_Strict):
    kiosk_tickets_per_minute: int = Field(30, ge=0, le=100_000)
    login_failures: int = Field(5, ge=1, le=1000)
    login_failure_window_minutes: float = Field(15, gt=0, le=24 * 60)
    event_sockets: int = Field(2000, ge=1, le=100_000)
    event_sockets_per_address: int = Field(500, ge=1, le=100_000)


class _WebhookSection(_Strict):
    url: str = Field(pattern=r"^https?://[^/\s]+(/\S*)?$")
    # The HMAC key comes from a file (relative to the data folder) or an environment variable,
    # never from this file: hall.toml is copied around, shown and checked in.
    secret_file: str | None = Field(None, min_length=1)
    secret_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    timeout_seconds: float = Field(5, gt=0, le=120)
    max_attempts: int = Field(0, ge=0, le=10_000)  # 0: until the message's business day ends
    backoff_seconds: float = Field(2, gt=0, le=3600)  # the first retry; doubled each time ...
    backoff_max_seconds: float = Field(300, gt=0, le=24 * 3600)  # ... up to this


class _NotifySection(_Strict):
    log_file: str | None = Field(None, min_length=1)  # relative to the data folder (the database's)
    log_full_phone: bool = False
    webhook: _WebhookSection | None = None
    keep_phone_days: int = Field(0, ge=0, le=365)
    signups_per_minute: int = Field(30, ge=1, le=100_000)


class _BookingPlanSection(_Strict):
    """A service's 预约 slots: ``booking = { slot_minutes = 30, per_slot = 4, days_ahead = 7 }``."""

    slot_minutes: int = Field(30, ge=5, le=240)
    per_slot: int = Field(4, ge=1, le=1000)
    days_ahead: int = Field(7, ge=0, le=90)
    hours: HoursTable | None = None  # default: the service's opening hours


class _BookingSection(_Strict):
    check_in_early: float = Field(30, ge=0, le=240)  # minutes before the slot
    check_in_late: float = Field(15, ge=0, le=240)  # minutes after it starts
    late: typing.Literal["normal", "refuse"] = "normal"
    no_show_limit: int = Field(0, ge=0, le=100)  # 0: missed bookings never block
    no_show_days: int = Field(30, ge=1, le=365)
    block_days: int = Field(14, ge=1, le=365)
    keep_days: int = Field(30, ge=1, le=3650)
    remind_at: time = time(18, 0)
    requests_per_minute: int = Field(30, ge=1, le=100_000)

    @field_validator("remind_at", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        return _clock_time(value)


class _DepartmentSection(_Strict):
    code: Code
    name: str = Field(min_length=1)
    short_name: str = ""


class _ServiceSection(_Strict):
    code: Code
    name: str = Field(min_length=1)
    # What screens with little room show (the lobby TV, LED boards): "企业设立" for
    # "企业设立登记（三证合一）". Defaults to the name.
    short_name: str = Field("", max_length=8)
    department: str
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$")
    daily_cap: int | None = Field(None, ge=1)
    avg_minutes: float = Field(10, gt=0, le=480)
    hours: HoursTable | None = None
    booking: _BookingPlanSection | None = None  # 预约 slots; leave out: no bookings
    # 身份证取号: "required" (no ticket without an ID number), "optional", or "off"
    real_name: typing.Literal["required", "optional", "off"] = "off"
    per_id_daily: int | None = Field(None, ge=1, le=100)  # default 1 where real_name is required


class _WindowSection(_Strict):
    number: int = Field(ge=1, le=999)
    name: str = Field(min_length=1)
    services: list[str] = Field(min_length=1)
    clerks: list[str] = Field(default_factory=list)  # logins that may serve (and take over) this window
    zone: str = Field("", max_length=20)  # where it is: 一楼A区 (tickets and screens say so)


class _TileSection(_Strict):
    name: str = Field(min_length=1, max_length=12)
    subtitle: str = ""
    services: list[str] = Field(min_length=1)


class _BoardSection(_Strict):
    port: str = Field(pattern=r"^(serial|tcp)://\S+$")
    address: int = Field(ge=1, le=0xFFFE)
    window: int | None = None  # leave out for a wide board showing the latest calls
    width: int = Field(128, ge=8, le=4096, multiple_of=8)
    height: int = Field(16, ge=8, le=512)
    # A window board shows who serves there (亮牌: "3号窗口 张三") while it has no call to show.
    show_clerk: bool = False


class _PrivacySection(_Strict):
    keep_days: int = Field(30, ge=1, le=3650)  # ID hashes of tickets erased this long after their day


class _HallFile(_Strict):
    hall: _HallSection
    rules: _RulesSection = Field(default_factory=_RulesSection)
    limits: _LimitsSection = Field(default_factory=_LimitsSection)
    departments: list[_DepartmentSection] = Field(min_length=1)
    services: list[_ServiceSection] = Field(min_length=1)
    windows: list[_WindowSection] = Field(min_length=1)
    tiles: list[_TileSection] = Field(default_factory=list)  # the kiosk's home screen
    boards: list[_BoardSection] = Field(default_factory=list)  # LED boards, driven by the display PC
    notify: _NotifySection = Field(default_factory=_NotifySection)  # SMS reminders; off without a sink
    booking: _BookingSection = Field(default_factory=_BookingSection)  # 预约 rules
    privacy: _PrivacySection = Field(default_factory=_PrivacySection)


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def humanize(exc: ValidationError, model: type[BaseModel] | None = None) -> list[str]:
    """One line per schema error, in words a hall's IT staff read without knowing pydantic:
    ``services[0].prefix: expected one or two capital letters, like "A", got "a1"``. With the
    file's ``model``, an unknown key says which key was probably meant."""
    problems = []
    for err in exc.errors():
        msg = _problem(err)
        if err["type"] == "extra_forbidden" and model is not None:
            import difflib  # only a config with a mistake needs it

            close = difflib.get_close_matches(str(err["loc"][-1]), _keys_at(model, err["loc"][:-1]), n=1)
            if close:
                msg = f'unknown key (check its spelling: did you mean "{close[0]}"?)'
        problems.append(f"{_key(err['loc'])}: {msg}")
    return problems


# What a pattern asks for, said plainly (pydantic would print the regular expression).
_PATTERN_WORDS = {
    _CODE: 'lower-case letters, digits, "-" and "_", like "hz-hukou"',
    r"^[A-Z]{1,2}$": 'one or two capital letters, like "A"',
    r"^https?://[^/\s]+/?$": 'an address like "http://192.168.1.10:8080" (no path)',
    r"^(serial|tcp)://\S+$": 'a line like "serial:///dev/ttyUSB0?baudrate=57600" or "tcp://192.168.1.60:4001"',
}


def _shown(value: Any) -> str:
    """A value as the TOML file wrote it, cut short."""
    text = f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _num(bound: Any) -> str:
    """A limit as a person writes it: 0, not 0.0."""
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


def _problem(err: Any) -> str:
    """One pydantic error in plain words: what was expected, and what the file has."""
    kind, ctx, got = err["type"], err.get("ctx") or {}, f", got {_shown(err.get('input'))}"
    match kind:
        case "extra_forbidden":
            return "unknown key (check its spelling)"
        case "missing":
            return "missing (required)"
        case "string_pattern_mismatch":
            return f"expected {_PATTERN_WORDS.get(ctx.get('pattern'), 'another form')}{got}"
        case "string_too_short":
            return "must not be empty"
        case "string_too_long":
            return f"at most {ctx['max_length']} characters{got} ({len(err['input'])})"
        case "too_short":
            return f"must list at least {ctx['min_length']} item(s)"
        case "too_long":
            return f"must list at most {ctx['max_length']} item(s)"
        case "greater_than_equal":
            return f"expected {_num(ctx['ge'])} or more{got}"
        case "greater_than":
            return f"expected more than {_num(ctx['gt'])}{got}"
        case "less_than_equal":
            return f"expected {_num(ctx['le'])} or less{got}"
        case "less_than":
            return f"expected less than {_num(ctx['lt'])}{got}"
        case "multiple_of":
            return f"expected a multiple of {ctx['multiple_of']}{got}"
        case "int_parsing" | "int_type" | "int_from_float":
            return f"expected a whole number{got}"
        case "float_parsing" | "float_type":
            return f"expected a number{got}"
        case "bool_parsing" | "bool_type":
            return f"expected true or false{got}"
        case "string_type":
            return f"expected text in quotes{got}"
        case "list_type":
            return f'expected a list in brackets, like ["a", "b"]{got}'
        case "dict_type" | "model_type" | "model_attributes_type":
            return f"expected a table ([section] or {{ key = value }}){got}"
        case "value_error":
            return err["msg"].removeprefix("Value error, ")
    return err["msg"]


def _keys_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the file may have at ``loc`` (list indexes skipped): for "did you mean"."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        inner = _model_in(field.annotation) if field is not None else None
        if inner is None:
            return []
        model = inner
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``list[M]``, ``M | None`` or ``M``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _parse_clock(hh: str, mm: str, allow_24: bool) -> time:
    h, m = int(hh), int(mm)
    if allow_24 and (h, m) == (24, 0):
        return time.max
    return time(h, m)  # raises ValueError on 25:00 or 12:61


def _parse_days(spec: str) -> list[int]:
    spec = spec.strip().lower()
    if spec == "daily":
        return list(range(7))
    days: list[int] = []
    for part in spec.split(","):
        if "-" in part:
            first, last = (WEEKDAY_NAMES.index(p.strip()) for p in part.split("-", 1))
            if last < first:
                raise ValueError
            days.extend(range(first, last + 1))
        else:
            days.append(WEEKDAY_NAMES.index(part.strip()))
    return days


def _parse_hours(table: HoursTable, key: str, problems: list[str]) -> OpeningHours:
    by_weekday: dict[int, tuple[TimeRange, ...]] = {}
    for day_spec, ranges in table.items():
        try:
            days = _parse_days(day_spec)
        except ValueError:
            problems.append(
                f'{key}: "{day_spec}" is not a day or range of days '
                '(expected e.g. "mon-fri", "sat", "mon,wed", "daily")'
            )
            continue
        parsed = []
        for i, text in enumerate(ranges):
            m = _RANGE.match(text.strip())
            try:
                if not m:
                    raise ValueError
                r = TimeRange(_parse_clock(m[1], m[2], False), _parse_clock(m[3], m[4], True))
                if r.end <= r.start:
                    raise ValueError
            except ValueError:
                problems.append(f'{key}.{day_spec}[{i}]: "{text}" is not a time range like "08:30-12:00"')
                continue
            parsed.append(r)
        for d in days:
            by_weekday[d] = tuple(parsed)
    return OpeningHours(by_weekday)


def parse_hall_config(data: dict[str, Any], path: str = "hall.toml") -> HallConfig:
    """Check a parsed TOML document and build the ``HallConfig``; raises ``ConfigError``."""
    try:
        raw = _HallFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(path, humanize(exc, _HallFile)) from None

    problems: list[str] = []

    def unique(items: list[Any], attr: str, section: str) -> None:
        seen: set[Any] = set()
        for i, item in enumerate(items):
            value = getattr(item, attr)
            if value in seen:
                problems.append(f'{section}[{i}].{attr}: duplicate {attr} "{value}"')
            seen.add(value)

    unique(raw.departments, "code", "departments")
    unique(raw.services, "code", "services")
    unique(raw.windows, "number", "windows")

    hall_hours = _parse_hours(raw.hall.hours, "hall.hours", problems)
    departments = {d.code: Department(d.code, d.name, d.short_name or d.name) for d in raw.departments}
    services: dict[str, Service] = {}
    for i, s in enumerate(raw.services):
        if s.department not in departments:
            problems.append(f'services[{i}].department: unknown department "{s.department}"')
        hours = _parse_hours(s.hours, f"services[{i}].hours", problems) if s.hours else hall_hours
        services[s.code] = Service(
            code=s.code,
            name=s.name,
            short_name=s.short_name or s.name,
            prefix=s.prefix,
            department=s.department,
            hours=hours,
            daily_cap=s.daily_cap,
            avg_service_s=s.avg_minutes * 60,
            booking=_booking_plan(s.booking, f"services[{i}].booking", problems),
            real_name=s.real_name,
            per_id_daily=s.per_id_daily or (1 if s.real_name == "required" else None),
        )
    windows: dict[int, Window] = {}
    served: set[str] = set()
    for i, w in enumerate(raw.windows):
        for j, code in enumerate(w.services):
            if code not in services:
                problems.append(f'windows[{i}].services[{j}]: unknown service "{code}"')
        if len(set(w.services)) != len(w.services):
            problems.append(f"windows[{i}].services: a service is listed twice")
        served.update(w.services)
        windows[w.number] = Window(w.number, w.name, tuple(w.services), tuple(w.clerks), w.zone)
    tiles = []
    for i, t in enumerate(raw.tiles):
        for j, code in enumerate(t.services):
            if code not in services:
                problems.append(f'tiles[{i}].services[{j}]: unknown service "{code}"')
        tiles.append(Tile(t.name, t.subtitle, tuple(t.services)))
    boards = []
    wired: set[tuple[str, int]] = set()
    for i, b in enumerate(raw.boards):
        if b.window is not None and b.window not in windows:
            problems.append(f"boards[{i}].window: no window {b.window}")
        if (b.port, b.address) in wired:
            problems.append(f"boards[{i}].address: two boards at address {b.address} on {b.port}")
        wired.add((b.port, b.address))
        if b.show_clerk and b.window is None:
            problems.append(f"boards[{i}].show_clerk: only a window board names who serves there")
        boards.append(BoardWiring(b.port, b.address, b.window, b.width, b.height, b.show_clerk))
    for i, s in enumerate(raw.services):
        if s.code not in served:
            problems.append(f'services[{i}]: no window serves "{s.code}" (add it to a window\'s services)')
    notify = _notify_config(raw.notify, problems)
    booking = _booking_rules(raw.booking, problems)
    if problems:
        raise ConfigError(path, problems)

    r = raw.rules
    return HallConfig(
        name=raw.hall.name,
        timezone=ZoneInfo(raw.hall.timezone),
        day_start=raw.hall.day_start,
        departments=departments,
        services=services,
        windows=windows,
        rules=Rules(
            max_recalls=r.max_recalls,
            no_show_requeues=r.no_show_requeues,
            priority_streak=r.priority_streak,
            starvation_s=r.starvation_minutes * 60,
            service_time_weight=r.service_time_weight,
            no_show_recall_s=r.no_show_recall_minutes * 60,
            last_ticket_s=r.last_ticket_minutes * 60,
            serve_out=r.serve_out,
            wait_alert_s=r.wait_alert_minutes * 60,
            idle_alert_s=r.idle_alert_minutes * 60,
            notify_ahead=r.notify_ahead,
            lobby_wait_notice=r.lobby_wait_notice,
            wait_target_s=r.wait_target_minutes * 60,
            elderly_age=r.elderly_age,
        ),
        notices=tuple(raw.hall.notices),
        complaint_phone=raw.hall.complaint_phone,
        session_hours=raw.hall.session_hours,
        tiles=tuple(tiles),
        public_url=raw.hall.public_url.rstrip("/") if raw.hall.public_url else None,
        guides_file=raw.hall.guides,
        calendar_file=raw.hall.calendar,
        boards=tuple(boards),
        reception_printer=raw.hall.reception_printer,
        session_idle_s=raw.hall.session_idle_minutes * 60,
        limits=Limits(
            kiosk_tickets_per_minute=raw.limits.kiosk_tickets_per_minute,
            login_failures=raw.limits.login_failures,
            login_failure_window_s=raw.limits.login_failure_window_minutes * 60,
            event_sockets=raw.limits.event_sockets,
            event_sockets_per_address=raw.limits.event_sockets_per_address,
        ),
        notify=notify,
        booking=booking,
        privacy_keep_days=raw.privacy.keep_days,
    )


def _booking_plan(raw: _BookingPlanSection | None, key: str, problems: list[str]) -> BookingPlan | None:
    if raw is None:
        return None
    hours = _parse_hours(raw.hours, f"{key}.hours", problems) if raw.hours else None
    return BookingPlan(raw.slot_minutes, raw.per_slot, raw.days_ahead, hours)


def _booking_rules(raw: _BookingSection, problems: list[str]) -> BookingRules:
    if raw.no_show_limit and raw.no_show_days > raw.keep_days:
        # Missed bookings are counted by phone, and the phone is erased after keep_days.
        problems.append("booking.no_show_days: must not exceed keep_days (the phones counted are erased by then)")
    return BookingRules(
        check_in_early_s=raw.check_in_early * 60,
        check_in_late_s=raw.check_in_late * 60,
        late=raw.late,
        no_show_limit=raw.no_show_limit,
        no_show_days=raw.no_show_days,
        block_days=raw.block_days,
        keep_days=raw.keep_days,
        remind_at=raw.remind_at,
        requests_per_minute=raw.requests_per_minute,
    )


def _notify_config(raw: _NotifySection, problems: list[str]) -> NotifyConfig:
    """``[notify]`` as the notifier uses it; a webhook names where its HMAC key is, once."""
    webhook = None
    if (w := raw.webhook) is not None:
        if (w.secret_file is None) == (w.secret_env is None):
            problems.append("notify.webhook: name the HMAC key's secret_file or its secret_env (one of the two)")
        if w.backoff_max_seconds < w.backoff_seconds:
            problems.append("notify.webhook.backoff_max_seconds: less than backoff_seconds")
        webhook = WebhookConfig(
            url=w.url,
            secret_file=w.secret_file,
            secret_env=w.secret_env,
            timeout_s=w.timeout_seconds,
            max_attempts=w.max_attempts,
            backoff_s=w.backoff_seconds,
            backoff_max_s=w.backoff_max_seconds,
        )
    return NotifyConfig(
        log_file=raw.log_file,
        log_full_phone=raw.log_full_phone,
        webhook=webhook,
        keep_phone_days=raw.keep_phone_days,
        signups_per_minute=raw.signups_per_minute,
    )


def read_toml(path: str | Path | None, sample: str) -> tuple[dict[str, Any], str]:
    """A TOML file (or, for ``None``, the sample hall's ``sample`` file) and how errors name it."""
    if path is None:
        text = resources.files("queue_server.config").joinpath(sample).read_text(encoding="utf-8")
        shown = "sample " + Path(sample).name
    else:
        shown = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(shown, [f"cannot read the file: {exc.strerror}"]) from None
        except UnicodeDecodeError:
            raise ConfigError(shown, ["not UTF-8 text (save the file as UTF-8)"]) from None
    try:
        return tomllib.loads(text), shown
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(shown, [f"not valid TOML: {exc}"]) from None


def load_hall_config(path: str | Path | None = None) -> HallConfig:
    """Read and check a hall config file, and the calendar file it names; ``None`` loads the
    sample hall that ships with us."""
    data, shown = read_toml(path, SAMPLE_HALL)
    config = parse_hall_config(data, shown)
    if config.calendar_file is None:
        return config
    from .calendar_file import parse_calendar  # it builds on this module's pieces

    if path is None:
        calendar, calendar_shown = read_toml(None, str(Path(SAMPLE_HALL).parent / config.calendar_file))
    else:
        calendar, calendar_shown = read_toml(Path(path).parent / config.calendar_file, SAMPLE_HALL)
    return replace(config, calendar=parse_calendar(calendar, calendar_shown))
