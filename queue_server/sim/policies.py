"""Routing policies the simulator can compare (``--policy``, ``--compare``).

``hall`` is the hall's own (``core.routing.choose_next``: priority classes with anti-starvation
by age and by streak). The other two are the usual alternatives, to show what the rules buy:
plain first-come-first-served (priority classes ignored) and strict priority (no anti-starvation:
a steady stream of priority visitors can hold a normal ticket back without limit).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from queue_server.core.model import Rules
from queue_server.core.routing import Candidate, RoutingPolicy, choose_next


def fifo(candidates: Sequence[Candidate], priority_streak: int, now: datetime, rules: Rules) -> Candidate | None:
    """The longest-waiting ticket the window serves, whatever its class."""
    return min(candidates, key=lambda c: (c.ticket.queued_since, c.preference, c.ticket.id), default=None)


def strict_priority(
    candidates: Sequence[Candidate], priority_streak: int, now: datetime, rules: Rules
) -> Candidate | None:
    """The highest class first, always; then the window's preference, then the queue's order."""
    return min(
        candidates,
        key=lambda c: (-c.ticket.priority.rank, c.preference, c.ticket.queued_since, c.ticket.id),
        default=None,
    )


POLICIES: dict[str, RoutingPolicy] = {"hall": choose_next, "fifo": fifo, "strict": strict_priority}
POLICY_LABELS = {"hall": "本大厅规则（优先+防饥饿）", "fifo": "先到先办", "strict": "严格优先（无防饥饿）"}
