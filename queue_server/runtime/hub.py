"""The event hub: pushes committed changes to every WebSocket subscriber, in order.

Each event leaves in at most two forms, each serialised once however many listen:

* the **public** form, for anyone on the hall's network (lobby screens, visitors' phones): only
  what ``/api/state`` shows — numbers, services, windows, waiting counts, notices. No priority
  class (it would single out the elderly and disabled lane), no ratings, follow-ups or device
  faults, and no names. Events of other kinds have no public form at all.
* the **full** form, for callers with a staff or device token: every event, staff names left out.

Every subscriber has a bounded backlog drained by its sender, so a slow screen can never hold up
the hall; one that falls too far behind is disconnected and, on reconnecting with its last
``seq``, catches up. The hub keeps the last ``RECENT_EVENTS_KEPT`` events for that; a ``seq``
older than those gets a fresh snapshot instead, never a replay of the whole day.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from queue_server.core.model import Event, EventKind

RECENT_EVENTS_KEPT = 5000  # a busy hall's morning; older than this, a reconnecting screen gets a snapshot
SUBSCRIBER_QUEUE = 2000  # messages a subscriber may have waiting before it is cut off

# What the lobby screen and /api/state show change only with these.
PUBLIC_KINDS = frozenset(
    {
        EventKind.ISSUED,
        EventKind.CALLED,
        EventKind.RECALLED,
        EventKind.STARTED,
        EventKind.FINISHED,
        EventKind.NO_SHOW,
        EventKind.REQUEUED,
        EventKind.CANCELLED,
        EventKind.TRANSFERRED,
        EventKind.EXPIRED,
        EventKind.WINDOW_OPENED,
        EventKind.WINDOW_CLOSED,
        EventKind.WINDOW_PAUSED,
        EventKind.WINDOW_RESUMED,
        EventKind.DAY_STARTED,
        EventKind.NOTICES_CHANGED,
        EventKind.WINDOW_SERVICES_CHANGED,
        EventKind.CONFIG_RELOADED,  # screens take a fresh snapshot: services and windows may differ
        EventKind.WAIT_NOTICES_CHANGED,  # never the alerts themselves: faults and idle windows are staff's
    }
)
# The ticket as a lobby screen knows it. No priority: the class reveals the elderly/disabled lane.
PUBLIC_TICKET_FIELDS = ("number", "service", "status", "window", "call_count")
# The data of a public event: how the queues and the window stand after it, the notices, the day.
PUBLIC_DATA_FIELDS = (
    "waiting",
    "estimates",
    "window_status",
    "window_ticket",
    "notices",
    "day",
    "services",
    "wait_notices",
)

# The ticket fields staff and devices see; a ticket has no personal data, and staff names stay out.
FULL_TICKET_FIELDS = (
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


def _envelope(e: Event) -> dict[str, Any]:
    return {
        "type": "event",
        "seq": e.seq,
        "kind": e.kind,
        "at": e.at.isoformat(),
        "window": e.window,
        "from": e.from_status,
        "to": e.to_status,
    }


def public_event(e: Event) -> dict[str, Any] | None:
    """The form of an event anyone may see, or ``None`` when it changes nothing a screen shows."""
    if e.kind not in PUBLIC_KINDS:
        return None
    out = _envelope(e)
    out["ticket"] = {k: e.ticket[k] for k in PUBLIC_TICKET_FIELDS} if e.ticket else None
    out.update({k: e.data[k] for k in PUBLIC_DATA_FIELDS if k in e.data})
    return out


def full_event(e: Event) -> dict[str, Any]:
    """The form of an event for staff and devices: all of it but the actor."""
    out = _envelope(e)
    out["ticket"] = {k: e.ticket[k] for k in FULL_TICKET_FIELDS} if e.ticket else None
    out.update(e.data)
    return out


def _dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


class Message(NamedTuple):
    """One event, serialised: its public form (``None``: not public) and its full form."""

    seq: int
    public: str | None
    full: str

    @classmethod
    def of(cls, e: Event) -> Message:
        public = public_event(e)
        return cls(e.seq, _dumps(public) if public is not None else None, _dumps(full_event(e)))

    def text(self, public: bool) -> str | None:
        return self.public if public else self.full


class Subscription:
    """One subscriber: the messages not sent yet, oldest first, in the form it may see.

    ``wake`` is called after each message is added; the subscriber's sender then takes them
    with :meth:`take`. The backlog is created at the first message, so an idle subscriber costs
    a few slots. Past ``SUBSCRIBER_QUEUE`` waiting messages ``overflowed`` is set and nothing more
    is kept: the sender disconnects it, and it reconnects with its last ``seq``.
    """

    __slots__ = ("public", "overflowed", "_backlog", "_wake")

    def __init__(self, public: bool, wake: Callable[[], None]) -> None:
        self.public = public
        self.overflowed = False
        self._backlog: deque[tuple[int, str]] | None = None
        self._wake = wake

    def offer(self, seq: int, text: str) -> None:
        if self.overflowed:
            return
        if self._backlog is None:
            self._backlog = deque()
        if len(self._backlog) >= SUBSCRIBER_QUEUE:
            self.overflowed = True
            self._backlog = None
        else:
            self._backlog.append((seq, text))
        self._wake()

    def take(self) -> tuple[int, str] | None:
        """The oldest message not sent yet, or ``None``."""
        return self._backlog.popleft() if self._backlog else None


class Hub:
    def __init__(self, kept: int = RECENT_EVENTS_KEPT) -> None:
        self._subscribers: set[Subscription] = set()
        self._recent: deque[Message] = deque(maxlen=kept)

    def __len__(self) -> int:
        return len(self._subscribers)

    def publish_restored(self, events: Iterable[Event]) -> None:
        """Refill the catch-up buffer from the store after a restart (nobody listens yet)."""
        self._recent.extend(Message.of(e) for e in events)

    def subscribe(self, public: bool, wake: Callable[[], None]) -> Subscription:
        """A new subscriber to the public form of events, or (``public`` false) to every event;
        ``wake`` is called whenever it has a message to take."""
        sub = Subscription(public, wake)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    def publish(self, events: Iterable[Event]) -> None:
        """Hand committed events to every subscriber (each serialised once per form)."""
        for e in events:
            message = Message.of(e)
            self._recent.append(message)
            for sub in self._subscribers:
                text = message.public if sub.public else message.full
                if text is not None:
                    sub.offer(message.seq, text)

    def missed_since(self, seq: int, up_to: int, public: bool) -> list[tuple[int, str]] | None:
        """The messages after ``seq`` up to ``up_to`` in the public or full form, or ``None`` when
        they are no longer all kept (or ``seq`` is from another database: ahead of anything this
        hall has said). A public subscriber gets only the public ones; the others it never sees."""
        if seq > up_to:
            return None
        if seq == up_to:
            return []
        if not self._recent or self._recent[0].seq > seq + 1:
            return None
        out = []
        for m in self._recent:
            if seq < m.seq <= up_to:
                text = m.text(public)
                if text is not None:
                    out.append((m.seq, text))
        return out
