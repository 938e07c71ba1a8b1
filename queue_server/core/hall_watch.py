"""Alerts pushed as events: the hall notices when something the manager should act on begins
(``ALERT_RAISED``) and when it ends (``ALERT_CLEARED``), and, where the hall wants it, tells
visitors on the lobby screen that a service's wait is long (``WAIT_NOTICES_CHANGED``).

The conditions are :func:`~.alerts.watched_alerts` (the same ones ``/admin`` shows): a device
fault, a service whose longest wait passed ``rules.wait_alert_s``, an open window idle
``rules.idle_alert_s`` while people wait for it. :meth:`HallWatch.review_alerts` compares them
with the alerts raised before: an alert is raised once and stays raised while its condition
holds, however often it is reviewed, so the event log grows by two events per alert, never per
review. The raised alerts are kept (the store's meta table) so a restart or a reload does not
raise them a second time. A part of ``HallState`` (see :mod:`.hall_base`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .alerts import Alert, watched_alerts
from .hall_base import HallBase
from .journal import Restored
from .model import EventKind, HallConfig


@dataclass(frozen=True)
class RaisedAlert:
    """An alert as it was raised, and since when."""

    alert: Alert
    since: datetime

    def as_dict(self) -> dict[str, Any]:
        return {**self.alert.as_dict(), "since": self.since.isoformat()}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> RaisedAlert:
        fields = {k: row.get(k) for k in ("kind", "level", "message", "window", "service", "followup")}
        return cls(Alert(**fields), datetime.fromisoformat(row["since"]))


class HallWatch(HallBase):
    """The raised alerts, by what each is about (``long_wait:tax``), and the lobby's wait notices."""

    def __init__(self, config: HallConfig, restored: Restored) -> None:
        super().__init__(config, restored)
        self.alerts: dict[str, RaisedAlert] = {k: RaisedAlert.from_dict(v) for k, v in restored.alerts.items()}
        self.wait_notices: tuple[str, ...] = self._wait_notices()

    def review_alerts(self, now: datetime) -> None:
        """Raise the alerts whose condition began and clear those whose condition ended, as of
        ``now``; an alert still standing is left alone. The engine calls this after every batch
        (and so every ``TICK_S`` at least, as time alone starts a long wait or an idle window)."""
        current = watched_alerts(self, now)  # type: ignore[arg-type]  # self is a HallState
        ended = [key for key in self.alerts if key not in current]
        began = [key for key in current if key not in self.alerts]
        for key in ended:
            raised = self.alerts.pop(key)
            self._emit_alert(EventKind.ALERT_CLEARED, key, raised.alert, now, since=raised.since.isoformat())
        for key in began:
            self.alerts[key] = RaisedAlert(current[key], now)
            self._emit_alert(EventKind.ALERT_RAISED, key, current[key], now)
        if ended or began:
            self.journal.alerts = {k: r.as_dict() for k, r in self.alerts.items()}
        notices = self._wait_notices()
        if notices != self.wait_notices:
            self.wait_notices = notices
            self._emit(EventKind.WAIT_NOTICES_CHANGED, "system", now, wait_notices=list(notices))

    def _emit_alert(self, kind: EventKind, key: str, alert: Alert, now: datetime, **extra: Any) -> None:
        # "alert", not "kind": the event's own kind is the envelope's "kind".
        data = {"key": key, "alert": alert.kind, "level": alert.level, "message": alert.message}
        if alert.service is not None:
            data["service"] = alert.service
        window = alert.window if alert.window in self.windows else None
        self._emit(kind, "system", now, window=window, **data, **extra)

    def _wait_notices(self) -> tuple[str, ...]:
        """What the lobby tells visitors of long waits: a line per service past its target, in the
        config's order, when ``rules.lobby_wait_notice`` is on. Never faults or idle windows."""
        if not self.config.rules.lobby_wait_notice:
            return ()
        # Only where the hall has guides does the kiosk have any to read while waiting.
        advice = "，可先在取号机查看办事指南" if self.config.guides_file else ""
        long = {r.alert.service for r in self.alerts.values() if r.alert.kind == "long_wait"}
        return tuple(
            f"{s.name} 等候时间较长，请耐心等候{advice}" for code, s in self.config.services.items() if code in long
        )
