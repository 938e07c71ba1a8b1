"""Replaying the event log: each event carries the ticket as it stood after the change,
so folding a day's events in order gives every ticket's final state. The audit command
compares that with the tickets table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .model import Event


def fold_tickets(events: Iterable[Event]) -> dict[int, dict[str, Any]]:
    """Ticket id -> the ticket after its last event, for events given in ``seq`` order."""
    tickets: dict[int, dict[str, Any]] = {}
    last_seq = 0
    for e in events:
        if e.seq <= last_seq:
            raise ValueError(f"events out of order: {e.seq} after {last_seq}")
        last_seq = e.seq
        if e.ticket is not None:
            tickets[e.ticket["id"]] = e.ticket
    return tickets
