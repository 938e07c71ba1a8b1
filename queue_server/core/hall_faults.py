"""Device faults: what the kiosks and display PCs report about their printers and boards, kept
until cleared. A part of ``HallState`` (see :mod:`.hall_base`)."""

from __future__ import annotations

from datetime import datetime

from .hall_base import HallBase
from .journal import Restored
from .model import EventKind, Fault, HallConfig


class HallFaults(HallBase):
    """The open faults, one per (device, component)."""

    def __init__(self, config: HallConfig, restored: Restored) -> None:
        super().__init__(config, restored)
        self.faults: dict[tuple[str, str], Fault] = {(f.device, f.component): f for f in restored.faults}

    def report_fault(self, device: str, component: str, state: str, message: str, now: datetime) -> bool:
        """A device says how one of its parts is (``state`` "ok" clears a fault).

        Returns whether anything changed; a repeated report of the same state changes nothing.
        """
        key = (device, component)
        current = self.faults.get(key)
        if state == "ok":
            if current is None:
                return False
            current.cleared_at = now
            del self.faults[key]
            self.journal.faults[key] = current
            self._emit(EventKind.DEVICE_FAULT_CLEARED, device, now, **{**current.as_dict(), "state": current.state})
            return True
        if current is not None and current.state == state:
            return False
        # A fault that changes state (paper low -> paper out) keeps the time it began.
        fault = Fault(device, component, state, message, current.since if current else now)
        self.faults[key] = fault
        self.journal.faults[key] = fault
        self._emit(EventKind.DEVICE_FAULT, device, now, **fault.as_dict())
        return True
