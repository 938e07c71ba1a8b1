"""The notices the lobby screens scroll, as the hall manager last set them (else the config's).
A part of ``HallState`` (see :mod:`.hall_base`)."""

from __future__ import annotations

from datetime import datetime

from .hall_base import HallBase
from .journal import Restored
from .model import EventKind, HallConfig


class HallNotices(HallBase):
    """The lobby notices."""

    def __init__(self, config: HallConfig, restored: Restored) -> None:
        super().__init__(config, restored)
        self.notices = restored.notices if restored.notices is not None else config.notices

    def set_notices(self, notices: tuple[str, ...], actor: str, now: datetime) -> None:
        """The hall manager changes the notices the lobby screens scroll."""
        self.notices = notices
        self.journal.notices = notices
        self._emit(EventKind.NOTICES_CHANGED, actor, now, notices=list(notices))
