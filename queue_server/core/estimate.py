"""Estimated waiting time for a new ticket.

    estimated_wait_s = round(ahead × T / W)

- ``ahead``: waiting tickets of the same service that the routing policy takes before this one
  (higher priority classes, then earlier in the queue);
- ``T``: the service's running average service time (called → finished), an exponentially
  weighted average of today's finished tickets with weight ``rules.service_time_weight`` on
  the newest, starting from the service's configured ``avg_minutes``;
- ``W``: windows serving the service that are open (signed in and not paused); when none is
  open (before opening, at lunch) the number of windows configured for it, so the figure
  still says how long the queue is.

It ignores tickets of other services competing for shared comprehensive windows, so at a busy
comprehensive window it is optimistic; it is a guide for the visitor, not a promise.
"""

from __future__ import annotations


def updated_average(previous: float, sample: float, weight: float) -> float:
    """One step of the exponentially weighted service-time average."""
    return (1.0 - weight) * previous + weight * sample


def estimated_wait_s(ahead: int, avg_service_s: float, windows: int) -> int:
    """The formula above; ``windows`` below 1 counts as 1."""
    return round(ahead * avg_service_s / max(1, windows))
