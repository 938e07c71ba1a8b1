"""Live waiting counts for the kiosk's home screen, pushed by the server's event stream.

``LiveFeed.run`` follows the stream (reconnecting with its last ``seq`` after a drop) and calls
``on_change(counts, connected)`` whenever the counts or the connection change, and
``on_reload()`` when the hall's services may have changed: the server reloaded its config
(``config_reloaded``), or a fresh snapshot lists other services than the last one did (a server
restarted on another config). The kiosk then reads ``/api/services`` again, so a new service is
offered at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from queue_server.client import follow_events
from queue_server.core.model import EventKind

Counts = dict[str, int]


class LiveFeed:
    def __init__(
        self,
        events_url: str,
        on_change: Callable[[Counts, bool], None],
        reconnect_s: float = 2.0,
        on_reload: Callable[[], None] | None = None,
    ) -> None:
        self.events_url, self.on_change, self.reconnect_s = events_url, on_change, reconnect_s
        self.on_reload = on_reload
        self.counts: Counts = {}
        self.services: set[str] | None = None  # the codes of the last snapshot
        self.connected = False

    async def run(self) -> None:
        await follow_events(self.events_url, self._apply, self._link, self.reconnect_s)

    def _link(self, connected: bool) -> None:
        self.connected = connected
        if not connected:
            self.on_change(dict(self.counts), False)

    def _apply(self, message: dict[str, Any]) -> None:
        reloaded = False
        if message.get("type") == "snapshot":
            self.counts = {s["code"]: s["waiting"] for s in message["services"]}
            codes = set(self.counts)
            reloaded = self.services is not None and codes != self.services
            self.services = codes
        elif message.get("type") == "event":
            self.counts.update(message.get("waiting", {}))
            reloaded = message.get("kind") == EventKind.CONFIG_RELOADED
        self.on_change(dict(self.counts), True)
        if reloaded and self.on_reload is not None:
            self.on_reload()
