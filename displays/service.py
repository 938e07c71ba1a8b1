"""The display PC's service: follows the queue's events and drives the LED boards and the voice.

- Each serial line gets one worker, so its boards are updated one after another (one RS-485
  bus, one speaker at a time). Lines do not wait for each other.
- A board that does not take its text is logged and reported to the server (staff see it), and
  is tried again every few seconds. The other boards go on.
- Calls and recalls are announced in order, never overlapping (``hardware.voice.Announcer``).
- A dropped connection to the server is resumed from the last event seen.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from hardware.led_board import BoardError, BoardLine
from hardware.voice import Announcement, Announcer
from queue_server.client import HallClient, Refused, ServerUnavailable, follow_events
from queue_server.core.model import BoardWiring, EventKind

from .boards import BoardTexts

_LOGGER = logging.getLogger(__name__)
RETRY_S = 5.0


class DisplayService:
    def __init__(
        self,
        client: HallClient,
        boards: list[BoardWiring],
        announcer: Announcer | None,
        board_timeout_s: float = 0.5,
        board_retries: int = 2,
        retry_s: float = RETRY_S,
    ) -> None:
        self.client, self.announcer = client, announcer
        self.texts = BoardTexts(boards)
        self.board_timeout_s, self.board_retries, self.retry_s = board_timeout_s, board_retries, retry_s
        self._queues: dict[str, asyncio.Queue[BoardWiring]] = {}
        self._lines: dict[str, BoardLine] = {}
        self.failing: dict[BoardWiring, str] = {}  # boards whose last update failed, and why
        self._reported: dict[BoardWiring, str] = {}  # what the server was told, per board
        self._tasks: list[asyncio.Task] = []
        for board in boards:
            self._queues.setdefault(board.port, asyncio.Queue())

    async def run(self) -> None:
        self._tasks = [asyncio.create_task(self._drive(port, q)) for port, q in self._queues.items()]
        self._tasks.append(asyncio.create_task(self._retry_failing()))
        try:
            await follow_events(self.client.events_url(), self._handle, self._link, token=self.client.token)
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            for line in self._lines.values():
                line.close()
            if self.announcer is not None:
                await self.announcer.close()
            await self.client.close()

    def _link(self, connected: bool) -> None:
        _LOGGER.log(
            logging.INFO if connected else logging.WARNING,
            "event stream %s",
            "connected" if connected else "lost; reconnecting",
        )

    def _handle(self, message: dict[str, Any]) -> None:
        if message["type"] == "snapshot":
            changed = self.texts.snapshot(message)
        elif message["type"] == "event":
            changed = self.texts.event(message)
            kind = message["kind"]
            if kind in (EventKind.CALLED, EventKind.RECALLED) and message.get("ticket") and self.announcer:
                self.announcer.say(
                    Announcement(message["ticket"]["number"], message["window"], recall=kind == EventKind.RECALLED)
                )
        else:
            return
        self._follow_staff(message)
        self._queue(changed)

    def _queue(self, changed: dict[BoardWiring, str]) -> None:
        for board in changed:
            self._queues[board.port].put_nowait(board)

    def _follow_staff(self, message: dict[str, Any]) -> None:
        """亮牌 boards: learn who serves at their windows at the start and when a window opens."""
        naming = self.texts.windows_naming_staff()
        if message["type"] == "snapshot":
            windows = naming
        elif message.get("window") in naming and message["kind"] in (EventKind.WINDOW_OPENED, EventKind.WINDOW_CLOSED):
            windows = {message["window"]}
        else:
            return
        for window in windows:
            task = asyncio.create_task(self._fetch_staff(window))
            self._tasks.append(task)
            task.add_done_callback(self._tasks.remove)  # a day of sign-ins does not pile up

    async def _fetch_staff(self, window: int) -> None:
        try:
            card = await self.client.window_staff(window)
        except (ServerUnavailable, Refused) as exc:
            _LOGGER.warning("who serves at window %d is unknown: %s", window, exc)
            return
        self._queue(self.texts.staff(window, card["name"] if card["open"] else None))

    async def _drive(self, port: str, queue: asyncio.Queue[BoardWiring]) -> None:
        while True:
            board = await queue.get()
            text = self.texts.texts[board]  # the newest text, even if several updates queued up
            try:
                line = self._lines.get(port) or await asyncio.to_thread(
                    BoardLine, port, self.board_timeout_s, self.board_retries
                )
                self._lines[port] = line
                await asyncio.to_thread(line.show, board.address, text, board.width, board.height)
            except (BoardError, ValueError, OSError) as exc:
                _LOGGER.warning(
                    "board %s (address %s on %s) did not take %r: %s", board.key, board.address, port, text, exc
                )
                self.failing[board] = str(exc)
                await self._report(board, "silent" if "no reply" in str(exc) else "error", str(exc))
                if isinstance(exc, OSError) or "cannot" in str(exc):
                    self._lines.pop(port, None)  # reopen the port next time (cable, adapter)
            else:
                if self.failing.pop(board, None) is not None:
                    _LOGGER.info("board %s answers again", board.key)
                await self._report(board, "ok", "")
            finally:
                queue.task_done()

    async def _retry_failing(self) -> None:
        while True:
            await asyncio.sleep(self.retry_s)
            for board in list(self.failing):
                self._queues[board.port].put_nowait(board)

    async def _report(self, board: BoardWiring, state: str, message: str) -> None:
        if self._reported.get(board, "ok") == state:
            return
        try:
            await self.client.report(board.key, state, f"{board.port} #{board.address}: {message}"[:200])
        except ServerUnavailable:
            return  # told again at the next change
        except Refused as exc:
            _LOGGER.error("the server refused the report on %s: %s", board.key, exc.message)
            return
        self._reported[board] = state

    async def idle(self) -> None:
        """Wait until every queued board update was tried (for tests and a clean stop)."""
        for queue in self._queues.values():
            await queue.join()
