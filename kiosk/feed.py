"""Live waiting counts for the home screen, pushed by the server's event stream.

``LiveFeed.run`` keeps a WebSocket open, reconnecting after a server restart with the last
sequence number it saw. It calls ``on_change(counts, connected)`` from the event loop whenever
the counts or the connection change.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import aiohttp

Counts = dict[str, int]


class LiveFeed:
    def __init__(self, events_url: str, on_change: Callable[[Counts, bool], None],
                 reconnect_s: float = 2.0) -> None:
        self.events_url, self.on_change, self.reconnect_s = events_url, on_change, reconnect_s
        self.counts: Counts = {}
        self.connected = False
        self.seq: int | None = None

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    await self._follow(session)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                    pass
                if self.connected:
                    self.connected = False
                    self.on_change(dict(self.counts), False)
                await asyncio.sleep(self.reconnect_s)

    async def _follow(self, session: aiohttp.ClientSession) -> None:
        url = self.events_url + (f"?since={self.seq}" if self.seq is not None else "")
        async with session.ws_connect(url, heartbeat=30) as ws:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                self._apply(json.loads(msg.data))

    def _apply(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "snapshot":
            self.counts = {s["code"]: s["waiting"] for s in message["services"]}
        elif kind == "event":
            self.counts.update(message.get("waiting", {}))
        self.seq = message.get("seq", self.seq)
        self.connected = True
        self.on_change(dict(self.counts), True)
