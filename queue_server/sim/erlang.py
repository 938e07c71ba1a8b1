"""Erlang C: in an M/M/c queue, the chance of waiting, and the fewest servers for a wait target.

Visitors arrive at rate λ (Poisson), each of c windows serves at rate μ (exponential times), and
all c share one queue in arrival order. With the offered load a = λ/μ (in erlangs) and c > a:

    P(wait > 0) = C(c, a) = c·B / (c − a·(1 − B)),   B = Erlang B(c, a)
    P(wait > t) = C(c, a) · exp(−(c·μ − λ)·t)

B comes from the recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)). It never forms the
powers and factorials of the textbook formula, so it stays exact for hundreds of servers, where
a^c / c! would overflow. Rates are per second, times in seconds.
"""

from __future__ import annotations

import math


def erlang_b(c: int, a: float) -> float:
    """The chance that all ``c`` servers are busy in a loss system offered ``a`` erlangs."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, lam: float, mu: float) -> float:
    """The chance that an arriving visitor waits at all; 1 when the queue grows without end."""
    a = lam / mu
    if c <= a:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1 - b))


def wait_over(c: int, lam: float, mu: float, t: float) -> float:
    """The chance that a visitor waits longer than ``t`` seconds."""
    if c <= lam / mu:
        return 1.0
    return erlang_c(c, lam, mu) * math.exp(-(c * mu - lam) * t)


def fewest_servers(lam: float, mu: float, target_s: float, share: float = 0.8) -> int:
    """The smallest c with P(wait ≤ target_s) ≥ share (0 when nobody comes).

    The search starts at the first c that keeps the queue finite; P(wait > t) falls with every
    server added, so the first c that meets the share is the fewest.
    """
    if lam <= 0:
        return 0
    c = math.floor(lam / mu) + 1
    while 1 - wait_over(c, lam, mu, target_s) < share:
        c += 1
    return c
