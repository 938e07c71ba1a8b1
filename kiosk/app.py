"""The kiosk app (取号机): home tiles → service → ticket, the 特别通道 and the 服务指南.

The App wires the pieces; the screens (``screens.py``, ``kv/*.kv``) only show what it decides
and call it back. Everything that talks to the server or the printer runs on the
``AsyncRunner`` loop and returns here on Kivy's thread.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    DictProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.screenmanager import NoTransition, ScreenManager

from hardware.fonts import font_path
from hardware.printer import TicketPrinter
from queue_server.client import HallClient, Refused, ServerUnavailable

from . import strings
from .feed import LiveFeed
from .flow import TicketFlow, TicketOutcome, new_request_id
from .runner import AsyncRunner
from .screens import SCREENS
from .search import search_guides

_LOGGER = logging.getLogger(__name__)
KV_DIR = Path(__file__).parent / "kv"
IDLE_TIMEOUT_S = 60.0
TICKET_SHOWN_S = 30.0
RETRY_S = 5.0
PRINTER_CHECK_S = 10.0


class KioskApp(App):
    """``client`` and ``printer`` are injected, so tests point the app at a loopback server."""

    hall_name = StringProperty("")
    services = DictProperty({})  # code -> service as /api/services gives it
    tiles = ListProperty([])
    counts = DictProperty({})  # live waiting counts from the event stream
    guides = ListProperty([])
    departments = DictProperty({})  # code -> {"name", "short_name"}
    online = BooleanProperty(False)  # the last call to the server got an answer
    live = BooleanProperty(False)  # the event stream is connected
    elderly_mode = BooleanProperty(False)  # 特别通道 chosen on the home screen
    tile = ObjectProperty(None, allownone=True)  # the tile whose services are shown
    outcome = ObjectProperty(None, allownone=True)  # the last ticket taken
    notice = StringProperty("")  # a message over the current screen (offline, closed ...)
    scale = NumericProperty(1.0)  # the layouts are drawn for 1080 x 1920; other screens scale them

    def __init__(
        self, client: HallClient, printer: TicketPrinter | None, idle_timeout_s: float = IDLE_TIMEOUT_S, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.client, self.printer = client, printer
        self.idle_timeout_s = idle_timeout_s
        self.runner: AsyncRunner | None = None
        self.flow: TicketFlow | None = None
        self.pending: tuple[str, str, str] | None = None  # (service, priority, request_id) being taken
        self.last_touch = time.monotonic()
        self._events: list = []

    # ------------------------------------------------------------ lifecycle

    def build(self) -> ScreenManager:
        self.title = "政务服务中心 取号机"
        self._fit(Window, Window.size)
        Window.bind(size=self._fit)
        LabelBase.register(DEFAULT_FONT, str(font_path(bold=False)), fn_bold=str(font_path(bold=True)))
        for kv in sorted(KV_DIR.glob("*.kv")):
            Builder.unload_file(str(kv))  # a second App in one process must not apply rules twice
            Builder.load_file(str(kv))
        manager = ScreenManager(transition=NoTransition())  # instant: no half-drawn screens to tap
        for screen in SCREENS:
            manager.add_widget(screen(name=screen.screen_name))
        return manager

    def on_start(self) -> None:
        self.runner = AsyncRunner()
        self.flow = TicketFlow(self.client, self.printer, self.hall_name)
        Window.bind(on_touch_down=self._touched)
        self._events = [
            Clock.schedule_interval(self._check_idle, 1.0),
            Clock.schedule_interval(lambda _dt: self.check_printer(), PRINTER_CHECK_S),
        ]
        self.load()
        feed = LiveFeed(self.client.events_url(), self._feed_changed)
        self.runner.submit(feed.run())

    def on_stop(self) -> None:
        Window.unbind(on_touch_down=self._touched, size=self._fit)
        for event in self._events:
            event.cancel()
        if self.runner is not None:
            self.runner.submit(self.client.close()).result(5)
            self.runner.stop()
            self.runner = None

    def _fit(self, _window: Any, size: tuple[int, int]) -> None:
        self.scale = min(size[0] / 1080, size[1] / 1920)

    def on_tiles(self, *_args: Any) -> None:
        if self.root is not None:
            self.root.get_screen("home").refresh()

    def on_counts(self, *_args: Any) -> None:
        if self.root is not None:
            for name in ("home", "services"):
                self.root.get_screen(name).update_counts()

    def _feed_changed(self, counts: dict[str, int], connected: bool) -> None:
        def apply(_dt: float) -> None:
            self.live = connected
            if connected:
                self.counts = counts

        Clock.schedule_once(apply)

    # ------------------------------------------------------------ loading

    def load(self) -> None:
        """Services, tiles and guides from the server; retried until the server answers."""

        async def fetch() -> tuple[dict[str, Any], list[dict[str, Any]]]:
            return await self.client.services(), await self.client.guides()

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                self.online = False
                self.notice = strings.OFFLINE
                Clock.schedule_once(lambda _dt: self.load(), RETRY_S)
                return
            services, guides = result
            self.hall_name = self.flow.hall_name = services["hall"]["name"]
            self.services = {s["code"]: s for s in services["services"]}
            self.tiles = services["tiles"]
            self.departments = {d["code"]: d for d in services["departments"]}
            self.counts = {s["code"]: s["waiting"] for s in services["services"]}
            self.guides = guides
            self.online = True
            if self.notice == strings.OFFLINE:
                self.notice = ""

        self.runner.submit(fetch(), done)

    # ------------------------------------------------------------ navigation

    def show(self, name: str) -> None:
        self.root.current = name

    def go_home(self) -> None:
        """Back to the start, forgetting everything about the last visitor."""
        self.elderly_mode = False
        self.tile = None
        self.outcome = None
        self.pending = None
        if self.notice != strings.OFFLINE:
            self.notice = ""
        self.root.get_screen("guides").clear()
        self.show("home")

    def choose_elderly_lane(self) -> None:
        self.elderly_mode = True
        self.show("home")

    def choose_tile(self, tile: dict[str, Any]) -> None:
        self.tile = tile
        self.show("services")

    def open_guides(self) -> None:
        self.show("guides")

    def open_guide(self, code: str) -> None:
        def done(item: Any, error: BaseException | None) -> None:
            if error is not None:
                self.notice = strings.OFFLINE if isinstance(error, ServerUnavailable) else str(error)
                return
            self.root.get_screen("guide").item = item
            self.show("guide")

        self.runner.submit(self.client.guide(code), done)

    def search(self, query: str) -> list[dict[str, Any]]:
        return search_guides(list(self.guides), query)

    def waiting(self, code: str) -> int:
        return self.counts.get(code, self.services.get(code, {}).get("waiting", 0))

    # ------------------------------------------------------------ taking a ticket

    def take(self, service: str) -> None:
        """The visitor chose a service: take (and print) its ticket."""
        if self.pending is not None:
            return  # one tap at a time: the first is still under way
        priority = "elderly" if self.elderly_mode else "normal"
        self.pending = (service, priority, new_request_id())
        self.notice = strings.WORKING
        self._attempt()

    def retry(self) -> None:
        if self.pending is not None:
            self.notice = strings.WORKING
            self._attempt()

    def _attempt(self) -> None:
        service, priority, request_id = self.pending

        def done(outcome: TicketOutcome | None, error: BaseException | None) -> None:
            if self.pending is None or self.pending[2] != request_id:
                return  # the visitor went home meanwhile
            if isinstance(error, ServerUnavailable):
                self.online = False
                self.notice = strings.OFFLINE
                # The same request id again: the server hands out no second ticket.
                Clock.schedule_once(lambda _dt: self.retry(), RETRY_S)
                return
            self.pending = None
            if isinstance(error, Refused):
                self.notice = error.message
                return
            if error is not None:
                _LOGGER.error("taking a ticket failed", exc_info=error)
                self.notice = strings.OFFLINE
                return
            self.online = True
            self.notice = ""
            self.outcome = outcome
            self.show("ticket")

        self.runner.submit(self.flow.take(service, priority, request_id), done)

    def check_printer(self) -> None:
        """While the printer is reported faulty, ask it again: paper back clears the fault."""
        if self.flow is not None and self.flow.reported_state is not None:
            self.runner.submit(self.flow.check_printer())

    # ------------------------------------------------------------ idle timeout

    def _touched(self, *_args: Any) -> None:
        self.last_touch = time.monotonic()

    def _check_idle(self, _dt: float) -> None:
        idle = time.monotonic() - self.last_touch
        on_ticket = self.root.current == "ticket"
        limit = min(TICKET_SHOWN_S, self.idle_timeout_s) if on_ticket else self.idle_timeout_s
        personal = self.root.current != "home" or self.elderly_mode or (self.notice not in ("", strings.OFFLINE))
        if idle >= limit and personal and self.pending is None:
            self.go_home()
