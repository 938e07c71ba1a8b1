"""预约 for visitors: the services and slots that take bookings, booking, looking up and cancelling
(public, no sign-in), and the booking's QR.

Public and so rate-limited per client address (``[booking] requests_per_minute``; browsing the
slots counts a quarter). A booking code is useless without its phone number: looking it up or
cancelling with a wrong number is the same 404 as a code nobody has. Phone numbers are answered
whole only to whoever just proved they know them.
"""

from __future__ import annotations

import hmac
import io
import math
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from queue_server.api import appkeys
from queue_server.api.errors import ApiError
from queue_server.api.routes import Call, Reply
from queue_server.core import booking
from queue_server.core.booking import BookingStatus, Slot
from queue_server.core.feedback import mask_phone
from queue_server.core.model import HallConfig, Service
from queue_server.core.notify import mainland_mobile
from queue_server.core.real_name import citizen_id
from queue_server.runtime.bookings import CONFIRMATION
from queue_server.runtime.engine import Context
from queue_server.store import bookings as store

BROWSE_WEIGHT = 4  # the slot pages may be read this many times per booking request


def check_rate(call: Call, browse: bool = False) -> None:
    """429 ``booking_rate_limited`` with Retry-After past the address's limit; else count one."""
    limiter = call.app[appkeys.BOOKING_LIMIT]
    key = ("browse:" if browse else "") + (call.request.remote or "local")
    window = limiter.browse if browse else limiter.write
    wait = window.retry_after(key)
    if wait > 0:
        raise ApiError(
            429,
            "booking_rate_limited",
            "操作过于频繁，请稍后再试",
            headers={"Retry-After": str(math.ceil(wait))},
            retry_after_s=math.ceil(wait),
        )
    window.hit(key)


def unknown_booking() -> ApiError:
    return ApiError(404, "unknown_booking", "没有找到这个预约，请核对预约码和手机号码")


def today_of(config: HallConfig, now: datetime) -> date:
    """Today for bookings: the hall's calendar date (a booking's day is its slot's date, which
    between midnight and ``day_start`` is not the queue's business day)."""
    return now.astimezone(config.timezone).date()


def bookable_service(config: HallConfig, code: str) -> Service:
    service = config.services.get(code)
    if service is None:
        raise ApiError(422, "unknown_service", f"没有这项业务：{code}", service=code)
    if service.booking is None:
        raise ApiError(409, "not_bookable", f"{service.name}不需要预约，请直接到大厅取号", service=code)
    return service


def slot_out(slot: Slot, capacity: int, taken: int, blocked: bool, now: datetime) -> dict[str, Any]:
    free = max(0, capacity - taken)
    return {
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "label": slot.label,
        "capacity": capacity,
        "free": 0 if blocked else free,
        "blocked": blocked,
        "past": slot.start <= now,
        "bookable": not blocked and free > 0 and slot.start > now,
    }


def _blocked(blocks: list[dict[str, Any]], service: str, slot: Slot) -> bool:
    start, day = slot.start.isoformat(), slot.start.date().isoformat()
    return any(b["day"] == day and b["service"] in (None, service) and b["slot_start"] in (None, start) for b in blocks)


def day_slots(
    config: HallConfig, service: Service, day: date, taken: dict, blocks: list, now: datetime
) -> list[dict[str, Any]]:
    plan = service.booking
    assert plan is not None
    return [
        slot_out(
            s, plan.per_slot, taken.get((service.code, s.start.isoformat()), 0), _blocked(blocks, service.code, s), now
        )
        for s in booking.slots_on(service, day, config)
    ]


async def get_booking_services(call: Call) -> dict[str, Any]:
    check_rate(call, browse=True)
    config, now = call.files.config, call.app[appkeys.CLOCK]()
    today = today_of(config, now)
    services = [s for s in config.services.values() if s.booking is not None]
    last = today + timedelta(days=max((s.booking.days_ahead for s in services), default=0))
    db_store = call.app[appkeys.STORE]

    def read() -> tuple[dict, list]:
        db = db_store.reader()
        return store.taken_between(db, today.isoformat(), last.isoformat()), store.blocks_between(
            db, today.isoformat(), last.isoformat()
        )

    taken, blocks = await call.read(read)
    out = []
    for s in services:
        days = []
        for day in booking.bookable_days(s, today):
            slots = day_slots(config, s, day, taken, blocks, now)
            free = sum(x["free"] for x in slots if x["bookable"])
            days.append(
                {
                    "date": day.isoformat(),
                    "label": booking.day_label(day, config.calendar),
                    "open": bool(slots),
                    "over": bool(slots) and all(x["past"] for x in slots),
                    "free": free,
                }
            )
        department = config.departments.get(s.department)
        out.append(
            {
                "code": s.code,
                "name": s.name,
                "department": department.name if department else s.department,
                "hours": booking.booking_hours(s).describe(),
                "slot_minutes": s.booking.slot_minutes,
                "per_slot": s.booking.per_slot,
                "days_ahead": s.booking.days_ahead,
                "days": days,
            }
        )
    rules = config.booking
    return {
        "services": out,
        "today": today.isoformat(),
        "check_in_early_minutes": round(rules.check_in_early_s / 60),
        "check_in_late_minutes": round(rules.check_in_late_s / 60),
        "keep_days": rules.keep_days,
        "sms": call.app[appkeys.NOTIFIER].enabled,
    }


def _query_date(call: Call, name: str = "date", default: date | None = None) -> date:
    text = call.request.query.get(name)
    if text is None and default is not None:
        return default
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise ApiError(400, "invalid_request", f"{name} 应为日期，如 2026-12-04", field=name) from None


async def get_booking_slots(call: Call) -> dict[str, Any]:
    check_rate(call, browse=True)
    config, now = call.files.config, call.app[appkeys.CLOCK]()
    service = bookable_service(config, call.request.query.get("service", ""))
    day = _query_date(call)
    today = today_of(config, now)
    in_range = today <= day <= today + timedelta(days=service.booking.days_ahead)
    db_store = call.app[appkeys.STORE]

    def read() -> tuple[dict, list]:
        db = db_store.reader()
        return store.taken_on(db, day.isoformat(), service.code), store.blocks_between(
            db, day.isoformat(), day.isoformat()
        )

    taken, blocks = await call.read(read)
    slots = day_slots(config, service, day, taken, blocks, now)
    if not in_range:
        slots = [{**s, "bookable": False} for s in slots]
    return {
        "service": service.code,
        "service_name": service.name,
        "date": day.isoformat(),
        "label": booking.day_label(day, config.calendar),
        "in_range": in_range,
        "slots": slots,
    }


def booking_view(config: HallConfig, row: dict[str, Any], whole: bool, now: datetime | None = None) -> dict[str, Any]:
    """A booking as the API answers it: with the name and phone whole for its owner (``whole``);
    masked for staff lists (``now`` given), with its id and whether it is overdue."""
    service = config.services.get(row["service"])
    start = datetime.fromisoformat(row["slot_start"])
    opens, closes = booking.check_in_window(start, config.booking)
    status = BookingStatus(row["status"])
    name, phone = row["name"] or "", row["phone"] or ""
    view = {
        "code": row["code"],
        "service": row["service"],
        "service_name": service.name if service else row["service"],
        "slot_start": row["slot_start"],
        "slot_end": row["slot_end"],
        "when": booking.when_text(Slot(start, datetime.fromisoformat(row["slot_end"]))),
        "status": status.value,
        "status_label": booking.STATUS_LABELS[status],
        "name": name if whole else booking.mask_name(name),
        "phone": phone if whole else (row["phone_masked"] or ""),
        "check_in_from": opens.isoformat(),
        "check_in_until": closes.isoformat(),
        "ticket_number": row["ticket_number"],
        "on_time": None if row["on_time"] is None else bool(row["on_time"]),
        # A path on this server: the page showing it may be opened under another address.
        "qr_url": f"/api/bookings/{row['code']}/qr.svg",
        "created_at": row["created_at"],
    }
    if not whole:
        # Past its check-in window and not checked in: missed, though the keeper marks it so only
        # when the day is over (a late visitor may still come, with ``late = "normal"``).
        overdue = now is not None and status is BookingStatus.BOOKED and start < booking.missed_by(now, config.booking)
        view |= {"id": row["id"], "overdue": overdue}
    return view


def _field_error(code: str, field: str, message: str) -> ApiError:
    return ApiError(422, code, message, field=field)


async def post_booking(call: Call) -> Reply:
    check_rate(call)
    body, hasher = call.body, call.app[appkeys.HASHER]
    config, now = call.files.config, call.app[appkeys.CLOCK]()
    name = " ".join(body.name.split())
    if not name or any(not (ch.isalpha() or ch in "·• ") for ch in name):
        raise _field_error("invalid_name", "name", "请填写姓名（汉字或字母）")
    phone = mainland_mobile(body.phone)
    if phone is None:
        raise _field_error("invalid_phone", "phone", "请填写正确的 11 位手机号码，如 13812345678")
    id_number = None
    if body.id_number:
        id_number = citizen_id(body.id_number)
        if id_number is None:
            raise _field_error("invalid_id_number", "id_number", "身份证号码有误，请核对 18 位号码（最后一位可能是 X）")
    service = bookable_service(config, body.service)
    try:
        start = datetime.fromisoformat(body.slot_start)
    except ValueError:
        raise _field_error(
            "invalid_request", "slot_start", "slot_start 应为时段开始时间，如 2026-12-04T08:30:00+08:00"
        ) from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=config.timezone)
    slot = booking.slot_at(service, start, config)
    today = today_of(config, now)
    if slot is None or slot.start <= now or slot.start.date() > today + timedelta(days=service.booking.days_ahead):
        raise ApiError(409, "slot_unavailable", "这个时段不能预约，请重新选择", service=service.code)
    rules = config.booking
    day = slot.start.date()
    reminded = now.isoformat() if now >= booking.reminder_due_from(day, rules, config.timezone) else None
    new = store.NewBooking(
        code=booking.new_code(secrets.choice),
        service=service.code,
        day=day.isoformat(),
        slot_start=slot.start.isoformat(),
        slot_end=slot.end.isoformat(),
        name=name,
        phone=phone,
        phone_masked=mask_phone(phone),
        phone_hash=hasher.phone(phone),
        id_hash=hasher.id_number(id_number) if id_number else None,
        created_at=now.isoformat(),
        reminded_at=reminded,
    )
    no_shows = (rules.no_show_limit, rules.no_show_days, rules.block_days) if rules.no_show_limit else None
    notifier = call.app[appkeys.NOTIFIER]

    def command(ctx: Context) -> store.BookOutcome:
        outcome, sent = store.BookOutcome(), []

        def write(db) -> None:
            done = store.book(db, new, service.booking.per_slot, no_shows, lambda: booking.new_code(secrets.choice))
            vars(outcome).update(vars(done))
            if done.result == "ok":
                text = booking.confirmation_text(config.name, service.name, slot, done.code, rules)
                message = notifier.booking_message(done.id, done.code, CONFIRMATION, phone, text, ctx.now)
                sent.extend(notifier.store_booking_messages(db, [message]))

        ctx.writes.append(write)
        ctx.after_commit.append(lambda: notifier.send_stored(sent))
        return outcome

    outcome = await call.run(command)
    if outcome.result == "full":
        raise ApiError(409, "slot_full", f"{slot.label} 已约满，请选择其他时段", slot_start=slot.start.isoformat())
    if outcome.result == "blocked":
        raise ApiError(409, "slot_unavailable", "这个时段已停止预约，请选择其他时段", service=service.code)
    if outcome.result == "already_booked":
        raise ApiError(
            409, "already_booked", f"您已预约了{day.month}月{day.day}日的{service.name}，同一天同一业务只能预约一次"
        )
    if outcome.result == "no_shows":
        until = date.fromisoformat(outcome.until)
        raise ApiError(
            409,
            "booking_blocked",
            f"您近期多次预约未到，{until.month}月{until.day}日前不能预约，请直接到大厅取号",
            until=outcome.until,
        )
    row = await call.read(lambda: store.by_id(call.app[appkeys.STORE].reader(), outcome.id))
    return Reply(booking_view(config, row, True), 201, {"Location": f"/book/{outcome.code}"})


async def owned_booking(call: Call, phone_typed: str) -> dict[str, Any]:
    """The booking of the path's code if ``phone_typed`` is its phone; else 404 ``unknown_booking``."""
    code = booking.read_code(call.params["booking_code"])
    phone = mainland_mobile(phone_typed or "")
    if code is None or phone is None:
        raise unknown_booking()
    row = await call.read(lambda: store.by_code(call.app[appkeys.STORE].reader(), code))
    if (
        row is None
        or row["phone_hash"] is None
        or not hmac.compare_digest(row["phone_hash"], call.app[appkeys.HASHER].phone(phone))
    ):
        raise unknown_booking()
    return row


async def get_booking(call: Call) -> dict[str, Any]:
    check_rate(call)
    row = await owned_booking(call, call.request.query.get("phone", ""))
    return booking_view(call.files.config, row, True)


async def post_cancel_booking(call: Call) -> dict[str, Any]:
    check_rate(call)
    row = await owned_booking(call, call.body.phone)
    desk, now = call.app[appkeys.BOOKINGS], call.app[appkeys.CLOCK]()
    booking_id = row["id"]
    if row["status"] == BookingStatus.CANCELLED:
        return booking_view(call.files.config, row, True)  # cancelling twice: the same answer
    if row["status"] != BookingStatus.BOOKED or datetime.fromisoformat(row["slot_end"]) <= now:
        raise ApiError(409, "booking_over", "这个预约已签到或已过期，不能取消", booking_status=row["status"])

    def command(ctx: Context) -> str | None:
        if (changed := desk.changed.get(booking_id)) is not None:
            return changed
        desk.changed[booking_id] = BookingStatus.CANCELLED
        ctx.writes.append(lambda db: store.cancel(db, booking_id, ctx.now))
        return None

    try:
        changed = await call.run(command)
    except Exception:
        desk.changed.pop(booking_id, None)
        raise
    if changed == BookingStatus.CHECKED_IN:
        raise ApiError(409, "booking_over", "这个预约已签到取号，不能取消", booking_status=changed)
    row = await call.read(lambda: store.by_id(call.app[appkeys.STORE].reader(), booking_id))
    return booking_view(call.files.config, row, True)


async def get_booking_qr(call: Call) -> web.Response:
    """The QR a visitor shows at the kiosk: ``HQB:`` and the code. Made for any well-formed code
    without a lookup, so it tells nobody whether a code exists."""
    import qrcode
    import qrcode.image.svg

    code = booking.read_code(call.params["booking_code"])
    if code is None:
        raise unknown_booking()
    image = qrcode.make(booking.QR_PREFIX + code, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    out = io.BytesIO()
    image.save(out)
    return web.Response(body=out.getvalue(), content_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
