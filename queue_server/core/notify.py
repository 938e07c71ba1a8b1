"""短信提醒: which reminders a visitor who left a phone number is due, and their words.

Pure: the hall state and a batch's events in, messages out; the notifier (``runtime/notifier.py``)
stores and sends them. Two kinds:

- ``soon`` (快到您了): the waiting ticket has ``rules.notify_ahead`` or fewer ahead of it. Once per
  stretch of waiting: again after a transfer (转移) or a 过号 sent back to waiting, not otherwise.
- ``called`` (请到 N 号窗口): each call and each recall (重呼).

Every message has a ``key`` naming what it is about (the ticket, the kind, which stretch or which
call). A key is made into a message once, so working the same state out again (after a restart,
or when a number is left late) makes no second message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .hall import HallState
from .model import Event, EventKind, HallConfig, Status, Ticket

SOON = "soon"
CALLED = "called"
KINDS = (SOON, CALLED)
_CALLS = (EventKind.CALLED, EventKind.RECALLED)
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_TYPED_APART = re.compile(r"[\s\-()（）]")  # how people type a number: 138 1234 5678, 138-1234-5678
_COUNTRY = ("+86", "0086", "86")


def mainland_mobile(typed: str) -> str | None:
    """The 11 digits of a mainland mobile number as people type it (spaces, dashes, +86 in
    front), or None when it is not one: SMS go to mobiles only, so a landline is refused too."""
    # NFKC: a Chinese input method may type full-width digits (１３８…).
    digits = _TYPED_APART.sub("", unicodedata.normalize("NFKC", typed))
    for prefix in _COUNTRY:
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return digits if _MOBILE.fullmatch(digits) else None


@dataclass(frozen=True)
class Message:
    """One reminder for one ticket's visitor (the number it goes to is the notifier's business)."""

    key: str
    ticket_id: int
    business_day: date
    number: str  # the ticket's, e.g. A012
    kind: str  # SOON or CALLED
    text: str
    window: int | None = None  # CALLED: where to go
    ahead: int | None = None  # SOON: how many were ahead


def soon_text(hall: str, number: str, ahead: int) -> str:
    """``【某某中心】您的 A012 号前面还有 2 人，请回到大厅等候叫号。``"""
    if ahead == 0:
        return f"【{hall}】您的 {number} 号下一位就叫到您，请回到大厅等候叫号。"
    return f"【{hall}】您的 {number} 号前面还有 {ahead} 人，请回到大厅等候叫号。"


def called_text(hall: str, number: str, window: int, zone: str = "") -> str:
    """``【某某中心】请 A012 号到 3 号窗口（B区）办理。``"""
    where = f"{window} 号窗口（{zone}）" if zone else f"{window} 号窗口"
    return f"【{hall}】请 {number} 号到 {where}办理。"


def soon_message(state: HallState, ticket: Ticket) -> Message | None:
    """The 快到您了 reminder a waiting ticket is due now, if it is close enough to the front."""
    if ticket.status is not Status.WAITING:
        return None
    ahead = state.ahead_of(ticket)
    if ahead > state.config.rules.notify_ahead:
        return None
    # A transfer or a 过号 sent back to waiting starts a new stretch: a new key.
    key = f"{ticket.id}:{SOON}:{ticket.transfer_count}.{ticket.no_show_count}"
    text = soon_text(state.config.name, ticket.number, ahead)
    return Message(key, ticket.id, ticket.business_day, ticket.number, SOON, text, ahead=ahead)


def called_message(config: HallConfig, ticket: Ticket) -> Message | None:
    """The 请到 N 号窗口 reminder of the ticket's current call (or recall), if it stands called."""
    if ticket.status is not Status.CALLED or ticket.window is None:
        return None
    window = config.windows.get(ticket.window)
    # Transfers and 过号 reset call_count: with them in the key, each call has its own.
    key = f"{ticket.id}:{CALLED}:{ticket.transfer_count}.{ticket.no_show_count}.{ticket.call_count}"
    text = called_text(config.name, ticket.number, ticket.window, window.zone if window else "")
    return Message(key, ticket.id, ticket.business_day, ticket.number, CALLED, text, window=ticket.window)


def standing_messages(state: HallState, ticket: Ticket) -> list[Message]:
    """What a ticket's visitor is due by where the ticket stands now: for a number left late,
    and after a restart (a message the last process made but never stored is made again)."""
    found = [soon_message(state, ticket), called_message(state.config, ticket)]
    return [m for m in found if m is not None]


def due_messages(state: HallState, watched: Iterable[int], events: Iterable[Event]) -> list[Message]:
    """The messages a committed batch makes due for the watched tickets (those with a number
    left); the caller leaves out the keys it made before.

    Calls come from the events: a ticket called and started in the same batch still had its
    call. 快到您了 comes from the state, for every watched ticket: anybody's call, 过号 or
    cancellation may move a ticket up the line.
    """
    watched = set(watched)
    out: dict[str, Message] = {}
    for e in events:
        if e.kind in _CALLS and e.ticket is not None and e.ticket["id"] in watched:
            message = called_message(state.config, Ticket.from_dict(e.ticket))
            if message is not None:
                out[message.key] = message
    for ticket_id in sorted(watched):
        ticket = state.active.get(ticket_id)
        message = soon_message(state, ticket) if ticket is not None else None
        if message is not None:
            out[message.key] = message
    return list(out.values())
