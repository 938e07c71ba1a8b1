"""Where to go in the building: the windows that serve a service, and their zones, in words."""

from __future__ import annotations

from .model import HallConfig


def where_to_go(config: HallConfig, *services: str) -> str:
    """The windows serving every one of ``services``: ``4、5 号窗口（一楼B区）``; windows in several
    zones are named zone by zone, in window order: ``35 号窗口（一楼C区）、31 号窗口（二楼）``.
    Empty when no window serves them all."""
    by_zone: dict[str, list[int]] = {}
    for number in sorted(n for n, w in config.windows.items() if set(services) <= set(w.services)):
        by_zone.setdefault(config.windows[number].zone, []).append(number)
    parts = []
    for zone, numbers in by_zone.items():
        text = "、".join(str(n) for n in numbers) + " 号窗口"
        parts.append(f"{text}（{zone}）" if zone else text)
    return "、".join(parts)
