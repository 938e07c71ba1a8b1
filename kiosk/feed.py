"""Live waiting counts for the kiosk's home screen, pushed by the server's event stream.

``LiveFeed.run`` follows the stream (reconnecting with its last ``seq`` after a drop) and calls
``on_change(counts, connected)`` whenever the counts or the connection change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from queue_server.client import follow_events

Counts = dict[str, int]


class LiveFeed:
    def __init__(self, events_url: str, on_change: Callable[[Counts, bool], None], reconnect_s: float = 2.0) -> None:
        self.events_url, self.on_change, self.reconnect_s = events_url, on_change, reconnect_s
        self.counts: Counts = {}
        self.connected = False

    async def run(self) -> None:
        await follow_events(self.events_url, self._apply, self._link, self.reconnect_s)

    def _link(self, connected: bool) -> None:
        self.connected = connected
        if not connected:
            self.on_change(dict(self.counts), False)

    def _apply(self, message: dict[str, Any]) -> None:
        if message.get("type") == "snapshot":
            self.counts = {s["code"]: s["waiting"] for s in message["services"]}
        elif message.get("type") == "event":
            self.counts.update(message.get("waiting", {}))
        self.on_change(dict(self.counts), True)
