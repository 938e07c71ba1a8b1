"""Which waiting ticket a window calls next (the routing policy).

The policy is one function, :func:`choose_next`, so a hall can swap it. It sees only the
head of each queue the window serves (the oldest ticket of each service and priority class)
and returns one of them. Rules, in order:

1. **Anti-starvation by age**: a head that has waited at least ``rules.starvation_s`` goes
   first, the longest-waiting of them first. Nothing waits forever, whatever its class.
2. **Anti-starvation by streak**: after ``rules.priority_streak`` priority tickets in a row at
   this window, a waiting normal ticket gets the next call (best normal head by rule 3).
3. **Priority, preference, waiting time**: the highest priority class; among equals, the
   service that comes first in the window's preference order; then the earliest in the queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .model import Priority, Rules, Ticket


@dataclass(frozen=True)
class Candidate:
    ticket: Ticket
    preference: int  # index of the ticket's service in the window's list; 0 = preferred


class RoutingPolicy(Protocol):
    def __call__(
        self, candidates: Sequence[Candidate], priority_streak: int, now: datetime, rules: Rules
    ) -> Candidate | None: ...


def _rank_key(c: Candidate) -> tuple:
    return (-c.ticket.priority.rank, c.preference, c.ticket.queued_since, c.ticket.id)


def choose_next(candidates: Sequence[Candidate], priority_streak: int, now: datetime, rules: Rules) -> Candidate | None:
    """Pick the ticket a window calls next; ``None`` when nothing waits for it."""
    if not candidates:
        return None
    starving = [c for c in candidates if (now - c.ticket.queued_since).total_seconds() >= rules.starvation_s]
    if starving:
        return min(starving, key=lambda c: (c.ticket.queued_since, c.preference, c.ticket.id))
    if priority_streak >= rules.priority_streak:
        normal = [c for c in candidates if c.ticket.priority is Priority.NORMAL]
        if normal:
            return min(normal, key=_rank_key)
    return min(candidates, key=_rank_key)
