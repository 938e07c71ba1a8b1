"""身份证取号 at the API: the ID number a 取号 names is checked and turned into a keyed hash and an
age before anything else; the number itself goes no further than this module's caller's stack.

Inside the issuing command (one at a time) the day's tickets per ID are checked (``id_required``,
``id_daily_limit``), an ID of ``[rules] elderly_age`` or over gets the 特别通道, and each ticket
of a service that takes IDs is recorded: in memory for the rules, and in ``ticket_ids`` in the
same batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from queue_server.api import appkeys
from queue_server.api.errors import ApiError
from queue_server.api.routes import Call
from queue_server.core.model import Priority
from queue_server.core.real_name import age_band, age_on, applies, birth_of, citizen_id
from queue_server.runtime.engine import Context, StoreUnavailable
from queue_server.store import ticket_ids


@dataclass(frozen=True)
class Person:
    """What the hall keeps of an ID number: its keyed hash, and an age."""

    id_hash: str
    age: int

    @property
    def band(self) -> str:
        return age_band(self.age)


def person_of(call: Call, typed: str | None, now: datetime) -> Person | None:
    """The person behind an ``id_number`` field, or None without one; 422 ``invalid_id_number``."""
    if not typed:
        return None
    number = citizen_id(typed)
    today = now.astimezone(call.files.config.timezone).date()
    if number is None or birth_of(number) > today:
        raise ApiError(
            422, "invalid_id_number", "身份证号码有误，请核对 18 位号码（最后一位可能是 X）", field="id_number"
        )
    return Person(call.app[appkeys.HASHER].id_number(number), age_on(birth_of(number), today))


def issue_as(
    ctx: Context, call: Call, person: Person | None, services: tuple[str, ...], priority: Priority, issue: Callable
) -> list[int]:
    """A command's 取号 under the ID rules: check, issue (``issue(priority)`` returns the new
    tickets' ids), record. An elderly ID turns a normal ticket into 特别通道."""
    state, tickets = ctx.state, call.app[appkeys.ID_TICKETS]
    tickets.turn(state.day)
    chosen = [state.service(code) for code in services]
    tickets.check(chosen, person.id_hash if person else None)
    if person is not None and priority is Priority.NORMAL and person.age >= state.config.rules.elderly_age:
        priority = Priority.ELDERLY
    ids = issue(priority)
    if person is None:
        return ids
    for ticket_id in ids:
        ticket = state.active[ticket_id]
        for code in (ticket.service, *ticket.also_services):
            if not applies(state.config.services[code]):
                continue  # an ID given where the hall does not ask for one is not kept
            record_id(ctx, call, ticket_id, ticket.number, code, person.id_hash, person.band)
    return ids


def record_id(
    ctx: Context, call: Call, ticket_id: int, number: str, service: str, id_hash: str, band: str | None
) -> None:
    """Within a command: the ticket was taken with this ID (in memory now, in the store with the batch)."""
    call.app[appkeys.ID_TICKETS].add(ticket_id, number, service, id_hash, band)
    day = ctx.state.day
    ctx.writes.append(lambda db: ticket_ids.add(db, ticket_id, day, service, id_hash, band))


async def run_issuing(call: Call, command: Callable[[Context], object]):
    """Run an issuing command; if its batch is not written, forget what it put in memory (the
    engine rebuilds the hall from the database; the day's IDs are read again from it too)."""
    try:
        return await call.run(command)
    except StoreUnavailable:
        store, tickets = call.app[appkeys.STORE], call.app[appkeys.ID_TICKETS]
        if tickets.day is not None:
            day = tickets.day
            stored = await call.read(lambda: ticket_ids.of_day(store.reader(), day))
            tickets.numbers, tickets.bands = stored.numbers, stored.bands
        raise
