"""潮汐窗口 (tidal windows): the hall manager changes which services a window serves during the
day, effective for the next call, without a restart. The change is recorded as an event and kept
(the store's meta table) until the manager changes it again, across restarts; the hall config
stays the starting point. A part of ``HallState`` (see :mod:`.hall_base`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .errors import QueueError
from .hall_base import HallBase
from .journal import Restored
from .model import EventKind, HallConfig


class ServiceUnserved(QueueError):
    """The change would leave a service without any window to serve it."""

    code = "service_unserved"


class HallWindowServices(HallBase):
    def __init__(self, config: HallConfig, restored: Restored) -> None:
        super().__init__(config, restored)
        # Kept changes the config (as restarted or reloaded) no longer allows: the config's word
        # stands for those windows. The change stays stored, as the manager made it.
        self.window_services_dropped: list[int] = []
        for number, services in sorted(restored.window_services.items()):
            # A window or service since removed from the config, or a change that would leave a
            # service (one the config added since, say) with no window at all.
            if number not in self.config.windows or not all(code in self.config.services for code in services):
                self.window_services_dropped.append(number)
                continue
            changed = _with_services(self.config, number, tuple(services))
            if _unserved(changed):
                self.window_services_dropped.append(number)
                continue
            self.config = changed

    def set_window_services(self, number: int, services: tuple[str, ...], actor: str, now: datetime) -> bool:
        """The window serves ``services`` (in order of preference) from the next call on.

        Unknown services raise ``UnknownService``; leaving a service with no window at all raises
        ``ServiceUnserved``. Returns whether anything changed.
        """
        self.window(number)
        if not services or len(set(services)) != len(services):
            raise ValueError(f"a window serves each of its services once: {services}")
        for code in services:
            self.service(code)
        before = self.config.windows[number].services
        if services == before:
            return False
        changed = _with_services(self.config, number, services)
        unserved = _unserved(changed)
        if unserved:
            raise ServiceUnserved(
                f"调整后{'、'.join(unserved)}将没有窗口办理，请先安排其他窗口", window=number, services=unserved
            )
        self.config = changed
        self.journal.window_services[number] = services
        self._emit(
            EventKind.WINDOW_SERVICES_CHANGED, actor, now, window=number, services=list(services), before=list(before)
        )
        return True


def _unserved(config: HallConfig) -> list[str]:
    """The names of the services no window of ``config`` serves."""
    return [
        s.name for code, s in config.services.items() if not any(code in w.services for w in config.windows.values())
    ]


def _with_services(config: HallConfig, number: int, services: tuple[str, ...]) -> HallConfig:
    windows = dict(config.windows)
    windows[number] = replace(windows[number], services=services)
    return replace(config, windows=windows)
