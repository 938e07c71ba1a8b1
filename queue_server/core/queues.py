"""Waiting lines: one sorted line per service and priority class."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator
from datetime import datetime

from .model import PRIORITY_RANK, Priority, Ticket

_CLASSES_HIGH_FIRST = sorted(Priority, key=lambda p: -PRIORITY_RANK[p])
# Per class: it and the classes below it (what ``queued_by`` counts).
_CLASSES_UP_TO = {p: tuple(q for q in Priority if PRIORITY_RANK[q] <= PRIORITY_RANK[p]) for p in Priority}


class ServiceQueue:
    """The waiting tickets of one service, each class ordered by (queued_since, id).

    A transferred ticket keeps its ``queued_since``, so inserting in order puts it ahead of
    everyone who arrived after it, as the hall's rule wants.
    """

    def __init__(self) -> None:
        self._keys: dict[Priority, list[tuple[datetime, int]]] = {p: [] for p in Priority}
        self._tickets: dict[int, Ticket] = {}

    def __len__(self) -> int:
        return len(self._tickets)

    def __contains__(self, ticket: Ticket) -> bool:
        return ticket.id in self._tickets

    def add(self, ticket: Ticket) -> None:
        bisect.insort(self._keys[ticket.priority], (ticket.queued_since, ticket.id))
        self._tickets[ticket.id] = ticket

    def remove(self, ticket: Ticket) -> None:
        keys = self._keys[ticket.priority]
        i = bisect.bisect_left(keys, (ticket.queued_since, ticket.id))
        if i == len(keys) or keys[i][1] != ticket.id:
            raise KeyError(ticket.id)
        del keys[i]
        del self._tickets[ticket.id]

    def heads(self, eligible: Callable[[Ticket], bool] | None = None) -> Iterator[Ticket]:
        """The first ticket of each non-empty class; with ``eligible``, the first one it accepts
        (a window skips a ticket carrying a service it does not serve)."""
        for keys in self._keys.values():
            for _, ticket_id in keys:
                ticket = self._tickets[ticket_id]
                if eligible is None or eligible(ticket):
                    yield ticket
                    break

    def ahead_of(self, ticket: Ticket) -> int:
        """Tickets of this service called before ``ticket`` by class and queue order."""
        ahead = 0
        for p in _CLASSES_HIGH_FIRST:
            keys = self._keys[p]
            if p is ticket.priority:
                return ahead + bisect.bisect_left(keys, (ticket.queued_since, ticket.id))
            ahead += len(keys)
        return ahead

    def split_before(self, priority: Priority) -> tuple[int, int]:
        """(tickets of this service in a higher class than ``priority``, tickets in its class):
        what a window calls before such a newcomer, without or with its own class."""
        higher = 0
        for p in _CLASSES_HIGH_FIRST:
            if p is priority:
                return higher, len(self._keys[p])
            higher += len(self._keys[p])
        return higher, 0

    def queued_by(self, when: datetime, lowest: Priority) -> int:
        """Tickets in line since ``when`` or earlier, of ``lowest``'s class or a lower one: those
        the anti-starvation rule will call before a ticket of that class (``hall_estimate``)."""
        queued, after = 0, (when, math.inf)
        for p in _CLASSES_UP_TO[lowest]:  # the wait estimate asks this often: a plain loop
            if keys := self._keys[p]:
                queued += bisect.bisect_right(keys, after)
        return queued

    def next_numbers(self, limit: int) -> list[str]:
        """The next few numbers of this service in call order (by class, then time in line)."""
        out: list[str] = []
        for p in _CLASSES_HIGH_FIRST:
            for _, ticket_id in self._keys[p]:
                if len(out) == limit:
                    return out
                out.append(self._tickets[ticket_id].number)
        return out

    def oldest(self) -> Ticket | None:
        """The ticket that has waited longest, of any class."""
        heads = list(self.heads())
        return min(heads, key=lambda t: t.queued_since) if heads else None
