"""What each LED board shows, decided from the queue's events (pure: no ports, no clock).

A window's board shows the number called to it (``A001 请到3号窗口``), ``暂停服务`` while the
window is paused or closed, and ``欢迎光临`` while it is open with nobody called; a board wired
with ``show_clerk`` names who serves there instead (亮牌: ``王芳 为您服务``). A wide board (no
window) shows the latest calls, one per 16-pixel line.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from queue_server.core.model import BoardWiring, EventKind

PAUSED = "暂停服务"
IDLE = "欢迎光临"
LINE_HEIGHT = 16  # pixels of the controllers' 16-dot Chinese font


def call_text(number: str, window: int) -> str:
    return f"{number} 请到{window}号窗口"


def staff_text(name: str) -> str:
    return f"{name} 为您服务"


class BoardTexts:
    """Keeps each board's text; ``snapshot`` and ``event`` return the boards whose text changed."""

    def __init__(self, boards: list[BoardWiring]) -> None:
        self.boards = boards
        self.texts: dict[BoardWiring, str] = {}
        self._windows: dict[int, dict[str, Any]] = {}
        self._staff: dict[int, str] = {}  # window -> the shown name of who serves there
        lines = max((b.height // LINE_HEIGHT for b in boards if b.window is None), default=1)
        self._calls: deque[str] = deque(maxlen=max(1, lines))

    def snapshot(self, snap: dict[str, Any]) -> dict[BoardWiring, str]:
        self._windows = {w["number"]: {"status": w["status"], "ticket": w["ticket"]} for w in snap["windows"]}
        self._calls.clear()
        for call in reversed(snap["recent_calls"][: self._calls.maxlen]):
            self._calls.appendleft(call_text(call["number"], call["window"]))
        return self._update(self.boards)

    def event(self, e: dict[str, Any]) -> dict[BoardWiring, str]:
        window = e.get("window")
        if window is None or window not in self._windows:
            return {}
        w = self._windows[window]
        if e.get("window_status"):
            w["status"] = e["window_status"]
        if "window_ticket" in e:  # the server says who stands at the window now
            w["ticket"] = e["window_ticket"]
        ticket = e.get("ticket")
        affected = [b for b in self.boards if b.window == window]
        if e["kind"] in (EventKind.CALLED, EventKind.RECALLED) and ticket:
            self._calls.appendleft(call_text(ticket["number"], window))
            affected += [b for b in self.boards if b.window is None]
        return self._update(affected)

    def windows_naming_staff(self) -> set[int]:
        """The windows whose boards name who serves there (``show_clerk``)."""
        return {b.window for b in self.boards if b.show_clerk and b.window is not None}

    def staff(self, window: int, name: str | None) -> dict[BoardWiring, str]:
        """Who serves at ``window`` now (None: nobody); returns the boards whose text changed."""
        if name:
            self._staff[window] = name
        else:
            self._staff.pop(window, None)
        return self._update([b for b in self.boards if b.window == window])

    def _text(self, board: BoardWiring) -> str:
        if board.window is None:
            return "\n".join(self._calls) or IDLE
        w = self._windows.get(board.window, {"status": "closed", "ticket": None})
        if w["status"] in ("paused", "closed"):
            return PAUSED
        if w["ticket"]:
            return call_text(w["ticket"], board.window)
        name = self._staff.get(board.window) if board.show_clerk else None
        return staff_text(name) if name else IDLE

    def _update(self, boards: list[BoardWiring]) -> dict[BoardWiring, str]:
        changed = {}
        for board in boards:
            text = self._text(board)
            if self.texts.get(board) != text:
                self.texts[board] = changed[board] = text
        return changed
