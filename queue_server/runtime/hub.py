"""The event hub: pushes committed changes to every WebSocket subscriber, in order.

Each event is turned into its public form (no staff names, no personal data) and serialised
once. Every subscriber has a bounded queue drained by its own sender, so a slow screen can
never hold up the hall; one that falls too far behind is disconnected and, on reconnecting
with its last ``seq``, catches up.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Iterable
from typing import Any

from queue_server.core.model import Event

RECENT_EVENTS_KEPT = 5000
SUBSCRIBER_QUEUE = 2000

# The ticket fields a screen may see; a ticket has no personal data, and staff names stay out.
PUBLIC_TICKET_FIELDS = (
    "id",
    "number",
    "service",
    "priority",
    "status",
    "window",
    "call_count",
    "transfer_count",
    "issued_at",
    "called_at",
    "business_day",
)


def public_event(e: Event) -> dict[str, Any]:
    """The form of an event that goes to screens and outside tools."""
    out: dict[str, Any] = {
        "type": "event",
        "seq": e.seq,
        "kind": e.kind,
        "at": e.at.isoformat(),
        "window": e.window,
        "from": e.from_status,
        "to": e.to_status,
        "ticket": {k: e.ticket[k] for k in PUBLIC_TICKET_FIELDS} if e.ticket else None,
    }
    out.update({k: v for k, v in e.data.items()})
    return out


class Subscription:
    """One subscriber's queue of serialised messages, with their sequence numbers."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self.overflowed = False

    def offer(self, seq: int, text: str) -> None:
        try:
            self.queue.put_nowait((seq, text))
        except asyncio.QueueFull:
            self.overflowed = True


class Hub:
    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()
        self._recent: deque[tuple[int, str]] = deque(maxlen=RECENT_EVENTS_KEPT)

    def __len__(self) -> int:
        return len(self._subscribers)

    def publish_restored(self, events: Iterable[Event]) -> None:
        """Refill the catch-up buffer from the store after a restart (nobody listens yet)."""
        self._recent.extend((e.seq, self._serialise(e)) for e in events)

    @staticmethod
    def _serialise(e: Event) -> str:
        return json.dumps(public_event(e), ensure_ascii=False)

    def subscribe(self) -> Subscription:
        sub = Subscription()
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    def publish(self, events: Iterable[Event]) -> None:
        for e in events:
            text = self._serialise(e)
            self._recent.append((e.seq, text))
            for sub in self._subscribers:
                sub.offer(e.seq, text)

    def missed_since(self, seq: int, up_to: int) -> list[tuple[int, str]] | None:
        """Messages after ``seq`` up to ``up_to``, or ``None`` when they are no longer kept
        (or ``seq`` is from another database: ahead of anything this hall has said)."""
        if seq > up_to:
            return None
        if seq == up_to:
            return []
        if not self._recent or self._recent[0][0] > seq + 1:
            return None
        return [m for m in self._recent if seq < m[0] <= up_to]
