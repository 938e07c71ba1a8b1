"""预约 for staff and devices: check-in at the kiosk or the reception desk (an appointment-priority
ticket), the day's bookings for /admin and the desk, the whole phone number to call a visitor,
and the blocks that close a day or a slot to bookings."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from queue_server.api import appkeys
from queue_server.api.bookings import (
    _blocked,
    _query_date,
    bookable_service,
    booking_view,
    today_of,
    unknown_booking,
)
from queue_server.api.errors import ApiError
from queue_server.api.real_name import person_of, record_id, run_issuing
from queue_server.api.routes import Call, Reply
from queue_server.api.views import ticket_view
from queue_server.core import booking, real_name
from queue_server.core.booking import Arrival, BookingStatus
from queue_server.core.model import Priority
from queue_server.core.notify import mainland_mobile
from queue_server.runtime.engine import Context
from queue_server.store import bookings as store
from queue_server.store.accounts import Role

_PRIVACY = logging.getLogger("hallqueue.privacy")


async def post_check_in(call: Call) -> Reply:
    """签到取号 by the booking's code: the booking's ticket. 预约 within the check-in window; later
    that day a normal ticket (or ``too_late``, as ``[booking] late`` says)."""
    code = booking.read_code(call.params["booking_code"])
    row = await call.read(lambda: store.by_code(call.app[appkeys.STORE].reader(), code)) if code else None
    if row is None:
        raise ApiError(404, "unknown_booking", "没有找到这个预约码，请核对后重新输入，或到咨询台询问")
    return await check_in(call, row, call.body.request_id)


async def post_check_in_by_id(call: Call) -> Reply:
    """签到取号 by the ID card a booking was made with: today's booking of that ID (the one whose
    check-in window is open, else the next)."""
    now = call.app[appkeys.CLOCK]()
    person = person_of(call, call.body.id_number, now)
    today = today_of(call.files.config, now)
    rows = await call.read(lambda: store.of_id_on(call.app[appkeys.STORE].reader(), person.id_hash, today.isoformat()))
    if not rows:
        raise ApiError(404, "unknown_booking", "没有找到用这张身份证预约的今日预约，请直接取号或到咨询台询问")
    rules = call.files.config.booking

    def order(row: dict[str, Any]) -> tuple[bool, bool, str]:
        opens, closes = booking.check_in_window(datetime.fromisoformat(row["slot_start"]), rules)
        return row["status"] != BookingStatus.BOOKED, not (opens <= now < closes), row["slot_start"]

    return await check_in(call, min(rows, key=order), call.body.request_id)


async def check_in(call: Call, row: dict[str, Any], request_id: str | None) -> Reply:
    """Check ``row`` in: the rules of the check-in window, then the ticket, once."""
    config, now, p = call.files.config, call.app[appkeys.CLOCK](), call.principal
    if p.role is Role.KIOSK:  # the kiosk's ticket limit counts check-ins too (a retry is free)
        call.app[appkeys.LIMITS].check_kiosk(p.name, request_id)
    desk, booking_id = call.app[appkeys.BOOKINGS], row["id"]
    status = BookingStatus(row["status"])
    start = datetime.fromisoformat(row["slot_start"])
    rules = config.booking
    service = config.services.get(row["service"])
    if status is BookingStatus.CANCELLED:
        raise ApiError(409, "cancelled", "这个预约已经取消，请重新预约或直接取号")
    if service is None:
        raise ApiError(409, "service_closed", "这项业务已不再办理，请到咨询台询问")
    arrival = booking.arrival(now, start, rules, config.timezone)
    late = arrival is Arrival.TOO_LATE or (arrival is Arrival.LATE and rules.late == "refuse")
    if status is BookingStatus.MISSED or (status is BookingStatus.BOOKED and late):
        raise ApiError(
            409, "too_late", f"您预约的 {start:%H:%M} 时段已过，预约已失效，请直接取号", slot_start=row["slot_start"]
        )
    if status is BookingStatus.BOOKED and arrival is Arrival.TOO_EARLY:
        opens, _ = booking.check_in_window(start, rules)
        same_day = opens.date() == now.astimezone(config.timezone).date()
        when = f"{opens:%H:%M}" if same_day else f"{opens.month}月{opens.day}日 {opens:%H:%M}"
        slot = booking.Slot(start, datetime.fromisoformat(row["slot_end"]))
        raise ApiError(
            409,
            "too_early",
            f"您预约的是 {booking.when_text(slot)}，请于 {when} 后再来签到取号",
            come_back_at=opens.isoformat(),
            come_back_time=when,
        )
    on_time = arrival is Arrival.ON_TIME
    priority = Priority.APPOINTMENT if on_time else Priority.NORMAL
    actor, id_hash = p.actor, row["id_hash"]

    def command(ctx: Context) -> tuple[dict[str, Any] | None, str | None]:
        if request_id is not None and (actor, request_id) in ctx.state.requests:  # a retry: the same ticket
            ticket = ctx.state.active.get(ctx.state.requests[(actor, request_id)])
            return (ticket_view(ctx.state, ticket) if ticket else None), None
        changed = desk.changed.get(booking_id)
        if changed is not None or status is BookingStatus.CHECKED_IN:
            return None, changed or status
        issued = ctx.state.issue(
            service.code, priority, actor, ctx.now, request_id, secrets.token_urlsafe(6), booked=on_time
        )
        ticket = ctx.state.active[issued.ticket_id]
        desk.changed[booking_id] = BookingStatus.CHECKED_IN
        number, ticket_id = ticket.number, ticket.id
        ctx.writes.append(lambda db: store.check_in(db, booking_id, ticket_id, number, on_time, actor, ctx.now))
        if id_hash is not None and real_name.applies(service):  # the booked ticket is the ID's of the day
            record_id(ctx, call, ticket_id, number, service.code, id_hash, None)
        return ticket_view(ctx.state, ticket), None

    try:
        ticket, refused = await run_issuing(call, command)
    except Exception:
        if desk.changed.get(booking_id) == BookingStatus.CHECKED_IN and status is BookingStatus.BOOKED:
            desk.changed.pop(booking_id, None)  # nothing was written: the booking is as it was
        raise
    if refused == BookingStatus.CANCELLED:
        raise ApiError(409, "cancelled", "这个预约已经取消，请重新预约或直接取号")
    if refused is not None:
        number = row["ticket_number"] or ""
        if not number:
            fresh = await call.read(lambda: store.by_id(call.app[appkeys.STORE].reader(), booking_id))
            number = (fresh or {}).get("ticket_number") or ""
        raise ApiError(409, "used", f"这个预约已经签到取号（{number} 号），每个预约只能取号一次", number=number)
    if ticket is None:  # a retried request whose ticket is over by now
        raise ApiError(409, "used", "这个预约已经签到取号，每个预约只能取号一次", number="")
    fresh = await call.read(lambda: store.by_id(call.app[appkeys.STORE].reader(), booking_id))
    view = booking_view(config, fresh or row, False, now)
    if on_time:
        message = f"预约签到成功，您的号码是 {ticket['number']}（预约号，优先叫号）"
    else:
        message = f"您已超过预约时间（{start:%H:%M}），已为您取普通号 {ticket['number']}，请按顺序等候"
    out: dict[str, Any] = {"ticket": ticket, "booking": view, "on_time": on_time, "message": message}
    if p.role is Role.RECEPTION:  # the desk prints the slip as for any ticket it issues
        from queue_server.api.reception import print_at_desk

        out["print"] = await print_at_desk(call, ticket)
    return Reply(out, 201, {"Location": f"/api/tickets/{ticket['id']}"})


# ---------------------------------------------------------------- staff


async def get_admin_bookings(call: Call) -> dict[str, Any]:
    """The day's bookings per service and slot, and each booking (masked); with ``phone``, only
    that visitor's (the desk finding a visitor who lost the code)."""
    config, now = call.files.config, call.app[appkeys.CLOCK]()
    day = _query_date(call, default=today_of(config, now))
    phone_typed = call.request.query.get("phone")
    phone_hash = None
    if phone_typed is not None:
        phone = mainland_mobile(phone_typed)
        if phone is None:
            raise ApiError(422, "invalid_phone", "请填写正确的 11 位手机号码", field="phone")
        phone_hash = call.app[appkeys.HASHER].phone(phone)
    db_store = call.app[appkeys.STORE]

    def read() -> tuple[list, list]:
        db = db_store.reader()
        return store.of_day(db, day.isoformat(), phone_hash), store.blocks_between(db, day.isoformat(), day.isoformat())

    rows, blocks = await call.read(read)
    bookings = [booking_view(config, r, False, now) for r in rows]
    slots = []
    for s in config.services.values():
        if s.booking is None:
            continue
        for slot in booking.slots_on(s, day, config):
            start = slot.start.isoformat()
            mine = [b for b in bookings if b["service"] == s.code and b["slot_start"] == start]
            if phone_hash is not None and not mine:
                continue
            slots.append(
                {
                    "service": s.code,
                    "service_name": s.name,
                    "start": start,
                    "end": slot.end.isoformat(),
                    "label": slot.label,
                    "past": slot.start <= now,
                    "capacity": s.booking.per_slot,
                    "booked": sum(b["status"] != BookingStatus.CANCELLED for b in mine),
                    "checked_in": sum(b["status"] == BookingStatus.CHECKED_IN for b in mine),
                    "missed": sum(b["status"] == BookingStatus.MISSED or b["overdue"] for b in mine),
                    "cancelled": sum(b["status"] == BookingStatus.CANCELLED for b in mine),
                    "blocked": _blocked(blocks, s.code, slot),
                }
            )
    totals = {k: sum(x[k] for x in slots) for k in ("capacity", "booked", "checked_in", "missed", "cancelled")}
    return {
        "date": day.isoformat(),
        "label": booking.day_label(day, config.calendar),
        "slots": slots,
        "bookings": bookings,
        "blocks": [_block_out(config, b) for b in blocks],
        "totals": totals,
    }


def _block_out(config, b: dict[str, Any]) -> dict[str, Any]:
    service = config.services.get(b["service"]) if b["service"] else None
    start = datetime.fromisoformat(b["slot_start"]) if b["slot_start"] else None
    return {
        "id": b["id"],
        "date": b["day"],
        "service": b["service"],
        "service_name": service.name if service else ("全部预约业务" if b["service"] is None else b["service"]),
        "slot_start": b["slot_start"],
        "label": f"{start:%H:%M} 时段" if start else "全天",
        "reason": b["reason"],
        "created_by": b["created_by"],
        "created_at": b["created_at"],
    }


async def get_booking_phone(call: Call) -> dict[str, Any]:
    """The whole number of a booking's visitor, to call them (a block, a question). Logged."""
    booking_id = call.params["id"]
    row = await call.read(lambda: store.by_id(call.app[appkeys.STORE].reader(), booking_id))
    if row is None:
        raise unknown_booking()
    if row["phone"] is None:
        raise ApiError(404, "no_phone", "这个预约的个人信息已按规定删除")
    _PRIVACY.info("booking %d's phone number shown to %s", booking_id, call.principal.actor)
    return {"id": booking_id, "phone": row["phone"], "name": row["name"] or ""}


async def post_booking_block(call: Call) -> Reply:
    """停约: close a day or one slot, for one service or all, to new bookings. Existing bookings
    stay; the answer lists them for the staff to contact."""
    config, now, body, actor = call.files.config, call.app[appkeys.CLOCK](), call.body, call.principal.actor
    day = body.date
    if day < today_of(config, now):
        raise ApiError(400, "invalid_request", "不能为已经过去的日期停约", field="date")
    service = bookable_service(config, body.service) if body.service else None
    slot_start = None
    if body.slot_start:
        try:
            start = datetime.fromisoformat(body.slot_start)
        except ValueError:
            raise ApiError(400, "invalid_request", "slot_start 应为时段开始时间", field="slot_start") from None
        start = start if start.tzinfo else start.replace(tzinfo=config.timezone)
        # One service's slot, or (no service) the slot of that start in every booking service.
        offering = [service] if service else [s for s in config.services.values() if s.booking is not None]
        slots = [slot for s in offering if (slot := booking.slot_at(s, start, config)) is not None]
        if not slots or slots[0].start.date() != day:
            raise ApiError(409, "slot_unavailable", "这一天没有这个时段", field="slot_start")
        slot_start = slots[0].start.isoformat()
    code, reason = (service.code if service else None), body.reason
    made: dict[str, Any] = {}

    def command(ctx: Context) -> None:
        def write(db) -> None:
            made["id"] = store.add_block(db, day.isoformat(), code, slot_start, reason, actor, ctx.now)
            made["affected"] = store.on_block(db, day.isoformat(), code, slot_start)

        ctx.writes.append(write)
        ctx.state.record_booking_block(
            True, actor, ctx.now, day=day.isoformat(), service=code, slot_start=slot_start, reason=reason
        )

    await call.run(command)
    block = {
        "id": made["id"],
        "day": day.isoformat(),
        "service": code,
        "slot_start": slot_start,
        "reason": reason,
        "created_by": actor,
        "created_at": now.isoformat(),
    }
    return Reply(
        {
            "block": _block_out(config, block),
            "to_contact": [booking_view(config, r, False, now) for r in made["affected"]],
        },
        201,
    )


async def delete_booking_block(call: Call) -> None:
    """解除停约: the day or slot takes bookings again."""
    block_id, actor = call.params["id"], call.principal.actor
    block = await call.read(lambda: store.block(call.app[appkeys.STORE].reader(), block_id))
    if block is None:
        raise ApiError(404, "unknown_block", f"没有这个停约（或已解除）：{block_id}", block=block_id)

    def command(ctx: Context) -> None:
        ctx.writes.append(lambda db: store.remove_block(db, block_id, actor, ctx.now))
        ctx.state.record_booking_block(
            False,
            actor,
            ctx.now,
            block=block_id,
            day=block["day"],
            service=block["service"],
            slot_start=block["slot_start"],
        )

    await call.run(command)
