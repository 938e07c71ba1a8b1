"""Which tickets are followed on visitors' phones, and a fresh view for each when it may have changed.

An engine observer (see ``runtime/engine.py``): after each committed batch it works out which
services and tickets the batch touched, rebuilds the view of every followed ticket among them
with the state the batch left, and hands it to that ticket's listeners. A view equal to the one a
listener has is not sent again, so a phone hears of a change that concerns it, and only that.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from queue_server.core.hall import HallState
from queue_server.core.model import Event, EventKind, Ticket

# Events after which any ticket's view may differ (the day turned, windows took other services).
_EVERYTHING = frozenset({EventKind.DAY_STARTED, EventKind.WINDOW_SERVICES_CHANGED})

ViewBuilder = Callable[[HallState, Ticket, datetime], dict[str, Any]]


class Listener:
    """One open phone page: the newest view not sent yet. Only the newest matters, so a slow
    phone never builds up a backlog."""

    __slots__ = ("ticket_id", "number", "latest", "changed", "closed")

    def __init__(self, ticket_id: int, number: str) -> None:
        self.ticket_id, self.number = ticket_id, number
        self.latest: tuple[int, str] | None = None
        self.changed = asyncio.Event()
        self.closed = False

    def offer(self, seq: int, text: str) -> None:
        if self.latest is not None and (seq <= self.latest[0] or text == self.latest[1]):
            return
        self.latest = (seq, text)
        self.changed.set()

    def close(self) -> None:
        self.closed = True
        self.changed.set()


def _touched(state: HallState, events: list[Event]) -> tuple[set[str], set[int]] | None:
    """The services whose queues or windows the events changed, and the tickets they name;
    ``None`` when any view may have changed."""
    services: set[str] = set()
    tickets: set[int] = set()
    windows = state.config.windows
    for e in events:
        if e.kind in _EVERYTHING:
            return None
        if e.ticket:
            tickets.add(e.ticket["id"])
            services.add(e.ticket["service"])
            services.update(e.ticket.get("also_services") or ())
        if isinstance(e.data.get("from_service"), str):
            services.add(e.data["from_service"])
        if isinstance(e.data.get("rating_ticket"), int):
            tickets.add(e.data["rating_ticket"])
        if e.window in windows:
            services.update(windows[e.window].services)
    return services, tickets


class PhoneWatch:
    def __init__(self, build: ViewBuilder) -> None:
        self.build = build
        self._listeners: dict[int, set[Listener]] = {}

    def __len__(self) -> int:
        return sum(len(s) for s in self._listeners.values())

    def add(self, listener: Listener) -> None:
        self._listeners.setdefault(listener.ticket_id, set()).add(listener)

    def remove(self, listener: Listener) -> None:
        held = self._listeners.get(listener.ticket_id)
        if held is not None:
            held.discard(listener)
            if not held:
                del self._listeners[listener.ticket_id]

    def close_all(self) -> None:
        for held in self._listeners.values():
            for listener in held:
                listener.close()

    def observe(self, state: HallState, events: list[Event], now: datetime, everything: bool) -> None:
        """The engine observer: offer a fresh view to every listener whose ticket may have changed."""
        if not self._listeners:
            return
        touched = None if everything else _touched(state, events)
        for ticket_id, held in self._listeners.items():
            ticket = self._find(state, ticket_id, next(iter(held)).number)
            if ticket is None:
                continue  # another day by now: the page's own poll finds it in the database
            if touched is not None:
                services, tickets = touched
                if ticket_id not in tickets and services.isdisjoint(ticket.services):
                    continue
            view = self.build(state, ticket, now)
            view.pop("seq", None)  # the push carries it as its id: a view is "new" only if it reads differently
            text = json.dumps(view, ensure_ascii=False)
            for listener in held:
                listener.offer(state.last_event_seq, text)

    @staticmethod
    def _find(state: HallState, ticket_id: int, number: str) -> Ticket | None:
        ticket = state.active.get(ticket_id)
        if ticket is None:
            ended = state.ended_today.get(number)
            ticket = ended if ended is not None and ended.id == ticket_id else None
        return ticket
