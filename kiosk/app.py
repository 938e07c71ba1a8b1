"""The kiosk app (取号机): home tiles → service → ticket, the 特别通道 and the 服务指南.

The App wires the pieces; the screens (``screens.py``, ``kv/*.kv``) only show what it decides
and call it back. Everything that talks to the server, the printer or the voice runs on the
``AsyncRunner`` loop and returns here on Kivy's thread.

What a visitor can change, and what the idle reset (``go_home``) changes back:

- 大字 (``large_text``): text 1.5 times larger, high contrast, fewer entries on a screen. The
  button is in every screen's header; choosing 特别通道 turns it on as well.
- 特别通道 (``elderly_mode``): the ticket is a priority one (老年人、残疾人).
- the language (``lang``): 中文 or English, from the header; Chinese by default.
- 预约取号: a booking's code on the keypad of the booking screen, or its QR code on the scanner
  (a serial one, ``scanner``, or a USB one that types like a keyboard), checks it in.
- 身份证取号 (``person``): an ID card on the reader (``idcard``; laid on it on home, the booking
  or the ID screen), or its number on the ID screen's keypad. The card first checks in the
  ID's booking of the day, if it has one; otherwise the visitor chooses a service as usual and
  the number goes with the 取号 request. A service that requires an ID asks for it first. An ID
  of the hall's ``elderly_age`` or over gets the 特别通道. The number is held for the visit only.
- the services chosen for one visit (``chosen``): 加选 on a service starts it; from then on a
  touch on a service chooses it too, and 取号（N 项） takes one visit for them all (one number
  when a window serves them all, else linked numbers, in the order to go). Until then a touch
  on a service takes its ticket at once, as always.

Sizes follow the panel's physical size (``screen_inches``, see ``layout.py``), not its pixels.
Before the idle reset a countdown covers the screen; a touch anywhere keeps the visitor.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from datetime import date
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
from hardware.idcard import IdCard, IdCardReader
from hardware.printer import TicketPrinter
from hardware.printer_status import PrinterState
from hardware.scanner import ScannerUri, SerialScanner
from queue_server.client import HallClient, Refused, ServerUnavailable

from . import strings
from .booking import CODE_LENGTH, WedgeReader, booking_code, typed_code
from .feed import LiveFeed
from .flow import ChecklistOutcome, TicketFlow, TicketOutcome, new_request_id
from .idcard import ID_LENGTH, IDCARD, IdCardPoller, VisitorId, typed_id
from .layout import Layout
from .runner import AsyncRunner
from .screens import SCREENS
from .search import search_guides
from .theme import HIGH_CONTRAST, NORMAL
from .voice import KioskSpeaker, Sentence, sink_for
from .widgets import IdleOverlay

_LOGGER = logging.getLogger(__name__)
KV_DIR = Path(__file__).parent / "kv"
IDLE_TIMEOUT_S = 60.0
TICKET_SHOWN_S = 30.0
COUNTDOWN_S = 20.0  # the countdown before the idle reset ("20 秒后返回首页")
RETRY_S = 5.0
PRINTER_CHECK_S = 10.0
MAX_CHOSEN = 3  # services in one visit: what the ticket screen shows without scrolling
CHECKLIST_SHOWN_S = 15.0  # "告知单已打印，请取走" stays this long
IDLE_CHECK_S = 0.25
CHECK_IN_ROUNDS = 3  # a check-in the server does not answer is asked again this often, then given up
SCANNER = "scanner"  # the component name under which the kiosk reports its serial scanner
# Where a scan checks a booking in; elsewhere (a guide being read, a ticket on screen) it is ignored.
SCAN_SCREENS = ("home", "booking", "booking_result")
# Where a card laid on the reader is taken (the ID screen only while it asks for one).
CARD_SCREENS = ("home", "booking", "booking_result", "idcard")
ENTER_KEYS = (13, 271)  # Enter and the keypad's Enter, as Kivy numbers them


class KioskApp(App):
    """``client`` and ``printer`` are injected, so tests point the app at a loopback server.

    ``voice``: None (silent), "sound" (the sound card), a folder for WAV files, or a sink.
    ``screen_inches``: the panel's diagonal; None guesses from its pixels (layout.default_inches).
    ``scanner``: the serial QR scanner's address (``hardware.scanner``), or None (none, or a USB
    one that types like a keyboard, which needs no setting).
    ``idcard``: the ID card reader's address (``serial:///dev/ttyUSB1``), or None (the ID screen
    then offers its keypad only).
    """

    hall_name = StringProperty("")
    services = DictProperty({})  # code -> service as /api/services gives it
    tiles = ListProperty([])
    counts = DictProperty({})  # live waiting counts from the event stream
    guides = ListProperty([])
    departments = DictProperty({})  # code -> {"name", "short_name"}
    online = BooleanProperty(False)  # the last call to the server got an answer
    takes_bookings = BooleanProperty(True)  # some service takes 预约: home offers 预约取号
    takes_ids = BooleanProperty(False)  # some service takes ID numbers: home offers 刷身份证取号
    elderly_age = NumericProperty(60)  # an ID this old or older gets the 特别通道 (the hall's rule)
    has_reader = BooleanProperty(False)  # an ID card reader is set up
    reader_ok = BooleanProperty(True)  # ... and answers
    visitor_name = StringProperty("")  # the masked name of the ID read for this visit (张*三)
    live = BooleanProperty(False)  # the event stream is connected
    elderly_mode = BooleanProperty(False)  # 特别通道 chosen: the ticket is a priority one
    chosen = ListProperty([])  # service codes chosen for one visit, in the order chosen
    large_text = BooleanProperty(False)  # 大字: larger text, higher contrast, fewer per screen
    lang = StringProperty(strings.DEFAULT_LANGUAGE)
    # rebind: kv rules read through them (app.t.home_title, app.ui.body, app.theme.ink), and must
    # redraw when they are replaced.
    t = ObjectProperty(strings.ZH, rebind=True)  # the words in the current language
    ui = ObjectProperty(Layout.compute(1080, 1920), rebind=True)  # sizes in pixels for this panel and mode
    theme = ObjectProperty(NORMAL, rebind=True)
    tile = ObjectProperty(None, allownone=True)  # the tile whose services are shown
    outcome = ObjectProperty(None, allownone=True)  # the last ticket taken
    notice = StringProperty("")  # a message over the current screen (offline, closed ...)
    notice_key = StringProperty("")  # what the notice is: offline, working, refused, error

    def __init__(
        self,
        client: HallClient,
        printer: TicketPrinter | None,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        ticket_shown_s: float = TICKET_SHOWN_S,
        countdown_s: float = COUNTDOWN_S,
        screen_inches: float | None = None,
        voice: Any = None,
        scanner: ScannerUri | str | None = None,
        idcard: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.client, self.printer = client, printer
        self.idle_timeout_s, self.ticket_shown_s, self.countdown_s = idle_timeout_s, ticket_shown_s, countdown_s
        self.screen_inches = screen_inches
        self.voice_setting = voice
        self.speaker: KioskSpeaker | None = None
        self.runner: AsyncRunner | None = None
        self.flow: TicketFlow | None = None
        # (services, priority, request_id, ID number or None) being taken
        self.pending: tuple[tuple[str, ...], str, str, str | None] | None = None
        # (booking code or None, request_id, rounds asked, the ID when by card) being checked in
        self.checking: tuple[str | None, str, int, VisitorId | None] | None = None
        self.idcard_setting = idcard
        self.idcard: IdCardPoller | None = None
        self.person: VisitorId | None = None  # the visitor's ID, for this visit only
        self.id_for: tuple[str, ...] | None = None  # services chosen that wait for an ID
        self.retry_s = RETRY_S
        self.scanner_setting = scanner
        self.scanner: SerialScanner | None = None
        self.wedge = WedgeReader()
        self.max_chosen = MAX_CHOSEN
        self.last_touch = time.monotonic()
        self.overlay: IdleOverlay | None = None  # made in build(), once its kv rule is loaded
        self._notice: tuple[str, dict[str, Any]] = ("", {})
        self._events: list = []

    # ------------------------------------------------------------ lifecycle

    def build(self) -> ScreenManager:
        self.title = strings.ZH.app_title
        LabelBase.register(DEFAULT_FONT, str(font_path(bold=False)), fn_bold=str(font_path(bold=True)))
        self._fit()
        Window.bind(size=self._fit)
        for kv in sorted(KV_DIR.glob("*.kv")):
            Builder.unload_file(str(kv))  # a second App in one process must not apply rules twice
            Builder.load_file(str(kv))
        self.overlay = IdleOverlay()  # after the rules, so it has its looks
        manager = ScreenManager(transition=NoTransition())  # instant: no half-drawn screens to tap
        for screen in SCREENS:
            manager.add_widget(screen(name=screen.screen_name))
        return manager

    def on_start(self) -> None:
        self.runner = AsyncRunner()
        self.flow = TicketFlow(self.client, self.printer, self.hall_name)
        if self.voice_setting is not None:
            self.speaker = KioskSpeaker(self.runner.loop, sink_for(self.voice_setting))
        # Any touch, drag, wheel or key keeps the visitor: reading a long guide counts.
        Window.bind(
            on_touch_down=self._touched,
            on_touch_move=self._touched,
            on_touch_up=self._touched,
            on_key_down=self._touched,
            on_textinput=self._touched,
        )
        Window.bind(on_textinput=self._wedge_text, on_key_down=self._wedge_key)
        if self.scanner_setting is not None:
            self.scanner = SerialScanner(self.scanner_setting, self._serial_scan, self._scanner_state).start()
        if self.idcard_setting is not None:
            reader = IdCardReader(self.idcard_setting)
            self.idcard = IdCardPoller(reader, self._card_from_reader, self._idcard_state).start()
            self.has_reader = True
        self._events = [
            Clock.schedule_interval(self._check_idle, IDLE_CHECK_S),
            Clock.schedule_interval(lambda _dt: self.check_printer(), PRINTER_CHECK_S),
        ]
        self.load()
        # A reloaded hall config may offer new services: read them again at once.
        feed = LiveFeed(
            self.client.events_url(), self._feed_changed, on_reload=lambda: Clock.schedule_once(lambda _dt: self.load())
        )
        self.runner.submit(feed.run())

    def on_stop(self) -> None:
        Window.unbind(
            on_touch_down=self._touched,
            on_touch_move=self._touched,
            on_touch_up=self._touched,
            on_key_down=self._touched,
            on_textinput=self._touched,
            size=self._fit,
        )
        Window.unbind(on_textinput=self._wedge_text, on_key_down=self._wedge_key)
        if self.scanner is not None:
            self.scanner.stop()
            self.scanner = None
        if self.idcard is not None:
            self.idcard.stop()
            self.idcard = None
        self._hide_overlay()
        for event in self._events:
            event.cancel()
        if self.runner is not None:
            self.runner.submit(self.client.close()).result(5)
            self.runner.stop()
            self.runner = None

    # ------------------------------------------------------------ looks and words

    def _fit(self, *_args: Any) -> None:
        self.ui = Layout.compute(Window.width, Window.height, self.screen_inches, self.large_text)
        self.theme = HIGH_CONTRAST if self.large_text else NORMAL

    def on_large_text(self, *_args: Any) -> None:
        self._fit()

    def on_lang(self, *_args: Any) -> None:
        self.t = strings.catalogue(self.lang)
        self._render_notice()

    def toggle_large_text(self) -> None:
        """The 大字 button: one touch on, one touch off."""
        self.large_text = not self.large_text
        if self.large_text:
            self.speak_screen()

    def switch_language(self) -> None:
        """The 中文 / English button."""
        languages = strings.LANGUAGES
        self.lang = languages[(languages.index(self.lang) + 1) % len(languages)]
        self.speak_screen()

    def name_of(self, thing: dict[str, Any] | None, key: str = "name") -> str:
        """A name from the server in the visitor's language, where the server has it (``name_en``);
        otherwise as the server wrote it, in Chinese."""
        if not thing:
            return ""
        if self.lang != strings.DEFAULT_LANGUAGE and thing.get(f"{key}_{self.lang}"):
            return thing[f"{key}_{self.lang}"]
        return thing.get(key, "")

    # ------------------------------------------------------------ notices

    def set_notice(self, key: str = "", **values: Any) -> None:
        """Show a notice over the screen: offline, working, refused (code, message, details,
        service) or text (text); kept as its key so a language switch says it again."""
        self._notice = (key, values)
        self._render_notice()

    def _render_notice(self) -> None:
        key, values = self._notice
        t = self.t
        if key == "refused":
            text = t.refused(values["code"], values["message"], values.get("details"), values.get("service", ""))
        elif key == "text":
            text = values["text"]
        elif key and values:
            text = t.get(key, **values)
        elif key:
            text = getattr(t, key)
        else:
            text = ""
        self.notice_key = key
        self.notice = text

    def on_takes_bookings(self, *_args: Any) -> None:
        """A hall without bookings has no 预约取号 button (not a button that only says no); one
        without services that take ID numbers no 刷身份证取号."""
        if self.root is not None:
            self.root.get_screen("home").update_actions()

    on_takes_ids = on_takes_bookings

    def on_tiles(self, *_args: Any) -> None:
        if self.root is not None:
            self.root.get_screen("home").refresh()

    def on_chosen(self, *_args: Any) -> None:
        if self.root is not None:
            self.root.get_screen("services").update_chosen()

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
        if self.runner is None:
            return  # a retry that outlived the app (stopped meanwhile)

        async def fetch() -> tuple[dict[str, Any], list[dict[str, Any]]]:
            return await self.client.services(), await self.client.guides()

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                self.online = False
                self.set_notice("offline")
                Clock.schedule_once(lambda _dt: self.load(), RETRY_S)
                return
            services, guides = result
            self.hall_name = self.flow.hall_name = services["hall"]["name"]
            self.services = {s["code"]: s for s in services["services"]}
            self.departments = {d["code"]: d for d in services["departments"]}
            self.counts = {s["code"]: s["waiting"] for s in services["services"]}
            self.tiles = services["tiles"]
            self.takes_bookings = services["hall"].get("bookings", False)
            self.takes_ids = any(s.get("real_name", "off") != "off" for s in services["services"])
            self.elderly_age = services["hall"].get("elderly_age", 60)
            self.guides = guides
            self.online = True
            if self.notice_key == "offline":
                self.set_notice()

        self.runner.submit(fetch(), done)

    # ------------------------------------------------------------ navigation

    def show(self, name: str) -> None:
        self.root.current = name

    def go_home(self) -> None:
        """Back to the start, forgetting everything about the last visitor: the idle reset and
        完成 on the ticket. 特别通道, 大字 and English end here."""
        self._hide_overlay()
        self.elderly_mode = False
        self.large_text = False
        self.lang = strings.DEFAULT_LANGUAGE
        self.tile = None
        self.outcome = None
        self.pending = None
        self.checking = None
        self.chosen = []
        self.forget_id()
        self.root.get_screen("booking").code = ""
        self.root.get_screen("booking_result").result = None
        if self.notice_key != "offline":
            self.set_notice()
        self.root.get_screen("guides").clear()
        self.show("home")
        self.root.get_screen("home").refresh()

    def go_start(self) -> None:
        """首页: the home screen, keeping the visitor's choices (特别通道, 大字, language)."""
        if self.root.current != "home":
            self.show("home")
        if self.notice_key not in ("offline", "working"):
            self.set_notice()

    def go_back(self) -> None:
        """返回: one step back, keeping the visitor's choices (特别通道, 大字, language)."""
        if self.root.current == "guide":
            self.show("guides")
        elif self.root.current == "booking_result":
            self.open_booking()
        elif self.root.current == "idcard" and self.root.get_screen("idcard").mode == "keypad" and self.has_reader:
            self.root.get_screen("idcard").mode = "card"  # back to the card on the reader
        elif self.root.current == "ticket":
            self.go_home()
        else:
            self.show("home")
        if self.notice_key not in ("offline", "working"):
            self.set_notice()

    def choose_elderly_lane(self) -> None:
        """特别通道: a priority ticket, and 大字 with it."""
        self.elderly_mode = True
        self.large_text = True
        self.show("home")
        self.root.get_screen("home").refresh()
        self.speak_screen()

    def choose_tile(self, tile: dict[str, Any]) -> None:
        self.tile = tile
        self.show("services")
        self.speak_screen()

    def open_guides(self) -> None:
        self.show("guides")
        self.speak_screen()

    def open_guide(self, code: str) -> None:
        def done(item: Any, error: BaseException | None) -> None:
            if error is not None:
                if isinstance(error, ServerUnavailable):
                    self.set_notice("offline")
                else:
                    self.set_notice("text", text=str(error))
                return
            guide = self.root.get_screen("guide")
            guide.checklist = ""
            guide.item = item
            self.show("guide")
            self.speak_screen()

        self.runner.submit(self.client.guide(code), done)

    def search(self, query: str) -> list[dict[str, Any]]:
        return search_guides(list(self.guides), query)

    def waiting(self, code: str) -> int:
        return self.counts.get(code, self.services.get(code, {}).get("waiting", 0))

    # ------------------------------------------------------------ taking a ticket

    def tap_service(self, code: str) -> None:
        """A touch on a service: its ticket at once; once the visitor has started choosing
        several (加选), it chooses this one too."""
        if self.chosen:
            self.toggle_choice(code)
        else:
            self.take(code)

    def toggle_choice(self, code: str) -> None:
        """加选 / 已选: choose a service for the visit, or leave it out again."""
        if self.notice_key == "choose_limit":
            self.set_notice()
        if code in self.chosen:
            self.chosen = [c for c in self.chosen if c != code]
        elif len(self.chosen) >= self.max_chosen:
            self.set_notice("choose_limit", n=self.max_chosen)
        else:
            self.chosen = [*self.chosen, code]

    def clear_choice(self) -> None:
        self.chosen = []
        if self.notice_key == "choose_limit":
            self.set_notice()

    def take_chosen(self) -> None:
        if self.chosen:
            self.take(list(self.chosen))

    def chosen_names(self, chosen: Sequence[str], t: strings.Catalogue) -> str:
        return t.names([self.name_of(self.services.get(c, {"name": c})) for c in chosen])

    def take(self, services: str | Sequence[str]) -> None:
        """The visitor chose a service, or several for one visit: take (and print) the ticket."""
        if self.pending is not None:
            return  # one tap at a time: the first is still under way
        codes = (services,) if isinstance(services, str) else tuple(dict.fromkeys(services))
        if not codes:
            return
        if self.person is None and any(self.services.get(c, {}).get("real_name") == "required" for c in codes):
            self.open_idcard(for_services=codes)  # 实名取号: the ID first, then the ticket
            return
        priority = "elderly" if self.elderly_mode else "normal"
        self.pending = (codes, priority, new_request_id(), self.person.number if self.person else None)
        self.set_notice("working")
        self.say("service", kind="service", keep=True, service=self.chosen_names(codes, self.t))
        self._attempt()

    def retry(self) -> None:
        if self.pending is not None:
            self.set_notice("working")
            self._attempt()

    def _attempt(self) -> None:
        codes, priority, request_id, id_number = self.pending

        def done(outcome: TicketOutcome | None, error: BaseException | None) -> None:
            if self.pending is None or self.pending[2] != request_id:
                return  # the visitor went home meanwhile
            if isinstance(error, ServerUnavailable):
                self.online = False
                self.set_notice("offline")
                # The same request id again: the server hands out no second ticket (nor visit).
                Clock.schedule_once(lambda _dt: self.retry(), RETRY_S)
                return
            self.pending = None
            if isinstance(error, Refused):
                refused = (error.details or {}).get("service")
                refused = refused if refused in self.services else codes[0]
                name = self.name_of(self.services.get(refused, {"name": ""}))
                if self.id_refused(error, codes, name):
                    return
                self.set_notice("refused", code=error.code, message=error.message, details=error.details, service=name)
                return
            if error is not None:
                _LOGGER.error("taking a ticket failed", exc_info=error)
                self.set_notice("offline")
                return
            self.online = True
            self.set_notice()
            self.chosen = []
            self.forget_id()  # the ticket is taken: the number is not needed any more
            self.outcome = outcome
            self.show("ticket")
            self.speak_ticket(outcome)

        self.runner.submit(self.flow.take(list(codes), priority, request_id, id_number), done)

    # ------------------------------------------------------------ 预约取号

    def open_booking(self) -> None:
        """The booking screen, its boxes empty (预约取号 on home, 重新输入 after a refusal)."""
        screen = self.root.get_screen("booking")
        screen.code = ""
        screen.incomplete = False
        if self.notice_key not in ("offline", "working", "checking_in"):
            self.set_notice()
        self.show("booking")
        self.speak_screen()

    def booking_key(self, key: str) -> None:
        """A touch on the keypad: a character, or "delete"."""
        if self.checking is not None:
            return  # the code on screen is being checked in
        screen = self.root.get_screen("booking")
        screen.code = typed_code(screen.code, key)
        if self.notice_key == "scan_unreadable":
            self.set_notice()

    def submit_booking(self) -> None:
        """确认: check the typed code in, once all 8 characters are there."""
        screen = self.root.get_screen("booking")
        if len(screen.code) < CODE_LENGTH:
            screen.incomplete = True
            return
        self.check_in(screen.code)

    def scanned(self, text: str) -> None:
        """A scanner read ``text``: on home or the booking screen, check its booking in at once;
        elsewhere (a visitor reading a guide, a ticket on screen) it is not for us."""
        if self.root is None or self.root.current not in SCAN_SCREENS:
            return
        if self.pending is not None or self.checking is not None:
            return  # one at a time
        self.last_touch = time.monotonic()
        code = booking_code(text)
        if code is None:
            _LOGGER.info("scanned %r: no booking code in it", text[:80])
            if self.root.current != "booking":
                self.open_booking()
            self.set_notice("scan_unreadable")
            return
        self.check_in(code)

    def _wedge_text(self, _window: Any, text: str) -> None:
        self.wedge.char(text, time.monotonic())

    def _wedge_key(self, _window: Any, key: int, *_args: Any) -> bool:
        if key not in ENTER_KEYS:
            return False
        text = self.wedge.enter(time.monotonic())
        if text is None or self.root is None or self.root.current not in SCAN_SCREENS:
            return False
        self.scanned(text)
        return True

    def _serial_scan(self, text: str) -> None:
        """From the scanner's thread: the scan goes on on Kivy's."""
        Clock.schedule_once(lambda _dt: self.scanned(text))

    def _scanner_state(self, connected: bool, reason: str) -> None:
        """From the scanner's thread: tell staff the scanner is gone (or back), as for the printer."""
        if self.runner is None:
            return

        async def report() -> None:
            try:
                await self.client.report(SCANNER, "ok" if connected else "offline", reason[:200])
            except (ServerUnavailable, Refused) as exc:
                _LOGGER.warning("could not report the scanner's state: %s", exc)

        self.runner.submit(report())

    def check_in(self, code: str) -> None:
        """Check the booking ``code`` in: its ticket on the ticket screen (printed as any), or
        why not on the booking result screen."""
        if self.pending is not None or self.checking is not None:
            return
        self.checking = (code, new_request_id(), 1, None)
        screen = self.root.get_screen("booking")
        screen.code = code
        if self.root.current != "booking":
            self.show("booking")
        self.set_notice("checking_in")
        self._attempt_check_in()

    def check_in_by_id(self, person: VisitorId) -> None:
        """An ID card on the reader: today's booking of that ID checked in; without one (404
        ``unknown_booking``) the visitor goes on to choose a service with the ID (``got_id``)."""
        if self.pending is not None or self.checking is not None:
            return
        self.checking = (None, new_request_id(), 1, person)
        self.root.get_screen("idcard").mode = "reading"
        if self.root.current != "idcard":
            self.show("idcard")
        self._attempt_check_in()

    def _attempt_check_in(self) -> None:
        code, request_id, rounds, person = self.checking

        def done(outcome: TicketOutcome | None, error: BaseException | None) -> None:
            if self.checking is None or self.checking[1] != request_id:
                return  # the visitor went home meanwhile
            if isinstance(error, ServerUnavailable):
                self.online = False
                if rounds < CHECK_IN_ROUNDS:
                    # The same request id again: the server hands out no second ticket.
                    self.checking = (code, request_id, rounds + 1, person)
                    self.set_notice("offline_retrying")
                    Clock.schedule_once(lambda _dt: self._retry_check_in(request_id), self.retry_s)
                    return
                self.checking = None
                self.show_booking_refusal("offline", "", {}, code or "")
                return
            self.checking = None
            if isinstance(error, Refused):
                self.online = True
                if person is not None and error.code == "unknown_booking":
                    self.set_notice()
                    self.got_id(person)  # no booking today: a ticket with the ID, as usual
                    return
                self.show_booking_refusal(error.code, error.message, error.details, code or "")
                return
            if error is not None:
                _LOGGER.error("checking a booking in failed: %s", type(error).__name__)
                self.show_booking_refusal("other", "", {}, code or "")
                return
            self.online = True
            self.set_notice()
            self.chosen = []
            self.forget_id()
            self.outcome = outcome
            self.show("ticket")
            self.speak_ticket(outcome)
            if not outcome.on_time:
                self.say("booking_late", kind="ticket", keep=True, label=outcome.ticket["number"])

        self.runner.submit(self.flow.check_in(code, request_id, person.number if person else None), done)

    def _retry_check_in(self, request_id: str) -> None:
        if self.runner is not None and self.checking is not None and self.checking[1] == request_id:
            self.set_notice("checking_in")
            self._attempt_check_in()

    def show_booking_refusal(self, code: str, message: str, details: dict[str, Any] | None, booking: str) -> None:
        self.set_notice()
        screen = self.root.get_screen("booking_result")
        screen.result = (code, message, dict(details or {}), booking)
        self.show("booking_result")
        self.speak_screen()

    # ------------------------------------------------------------ 身份证取号

    def open_idcard(self, for_services: Sequence[str] | None = None) -> None:
        """The ID screen: the card on the reader, or (no reader, or it is down) the keypad.
        ``for_services``: the services chosen that require an ID, taken once it is there."""
        if self.pending is not None or self.checking is not None:
            return
        self.id_for = tuple(for_services) if for_services else None
        screen = self.root.get_screen("idcard")
        screen.number = ""
        screen.incomplete = False
        # The title names the services that ask for the ID (not every one of a visit).
        asking = [c for c in self.id_for or () if self.services.get(c, {}).get("real_name") == "required"]
        screen.service = self.chosen_names(asking, self.t) if asking else ""
        screen.mode = "card" if self.has_reader and self.reader_ok else "keypad"
        if self.notice_key not in ("offline", "working"):
            self.set_notice()
        self.show("idcard")
        self.speak_screen()

    def type_id(self) -> None:
        """输入身份证号码 on the card view: the keypad."""
        screen = self.root.get_screen("idcard")
        screen.number = ""
        screen.mode = "keypad"
        self.speak_screen()

    def idcard_key(self, key: str) -> None:
        """A touch on the ID keypad: a digit, X, or "delete"; a wrong number is said at once."""
        if self.checking is not None or self.pending is not None:
            return
        screen = self.root.get_screen("idcard")
        before = screen.problem
        screen.number = typed_id(screen.number, key)
        if screen.problem and not before:
            self.say("idcard_bad", kind="idcard")

    def submit_id(self) -> None:
        """确认: the typed number, once all 18 are there and it checks out."""
        screen = self.root.get_screen("idcard")
        if len(screen.number) < ID_LENGTH:
            screen.incomplete = True
            return
        if screen.problem:
            return
        self.take_id(VisitorId.typed(screen.number, self.today()))

    @staticmethod
    def today() -> date:
        return date.today()

    def take_id(self, person: VisitorId) -> None:
        """An ID given (read or typed): the ID's booking of today first, where the hall takes
        bookings and no service is waiting for it; else on to the service."""
        if self.takes_bookings and self.id_for is None:
            self.check_in_by_id(person)
        else:
            self.got_id(person)

    def got_id(self, person: VisitorId) -> None:
        """The ID is the visit's: 特别通道 by age; then the ticket of the services waiting for
        it, or the result (张*三 76 岁) and 选择办理的业务."""
        self.person = person
        self.visitor_name = person.name
        if person.age >= self.elderly_age and not self.elderly_mode:
            self.elderly_mode = True
            self.large_text = True
        screen = self.root.get_screen("idcard")
        screen.mode = "result"
        if self.root.current != "idcard":
            self.show("idcard")
        if self.id_for:
            codes, self.id_for = self.id_for, None
            if person.age >= self.elderly_age:
                self.say("idcard_lane", keep=True, age=int(self.elderly_age))
            self.take(list(codes))
            return
        self.speak_screen()

    def after_id(self) -> None:
        """选择办理的业务 under the result: the tiles, the ID kept for the ticket."""
        self.show("home")
        self.root.get_screen("home").refresh()
        self.say("home_lane" if self.elderly_mode else "home")

    def forget_id(self) -> None:
        """The visit is over (a ticket, 完成, the idle reset): the number goes."""
        self.person = None
        self.id_for = None
        self.visitor_name = ""
        if self.root is not None:
            screen = self.root.get_screen("idcard")
            screen.number = ""
            screen.mode = "card"
        # The poller still knows the card lying there (by a hash): it starts no new visit
        # until it is lifted.

    def id_refused(self, error: Refused, codes: Sequence[str], service: str) -> bool:
        """The server refused a 取号 because of the ID: said on the ID screen. False: not about it."""
        screen = self.root.get_screen("idcard")
        if error.code == "id_required":
            self.forget_id()
            self.open_idcard(for_services=codes)
            return True
        if error.code == "invalid_id_number":
            self.forget_id()
            self.open_idcard(for_services=codes)
            screen.mode = "keypad"
            self.set_notice("refused", code=error.code, message=error.message, details=error.details, service=service)
            return True
        if error.code == "id_daily_limit":
            self.forget_id()
            self.chosen = []
            screen.heading = self.t.idcard_limit_title
            screen.text = self.t.refused(error.code, error.message, error.details, service)
            screen.mode = "refused"
            self.set_notice()
            self.show("idcard")
            self.speak_screen()
            return True
        return False

    def _card_from_reader(self, card: IdCard) -> None:
        """From the reader's thread: the card goes on on Kivy's."""
        Clock.schedule_once(lambda _dt: self.card_read(card))

    def card_read(self, card: IdCard) -> None:
        """A card laid on the reader: on home, the booking screens and the ID screen asking for
        it, the visit goes on with it; elsewhere (a guide, a ticket) it is not for us."""
        if self.root is None or self.root.current not in CARD_SCREENS:
            return
        if self.pending is not None or self.checking is not None:
            return
        if self.root.current == "idcard" and self.root.get_screen("idcard").mode in ("result", "reading"):
            return
        self.last_touch = time.monotonic()
        self.take_id(VisitorId.of_card(card, self.today()))

    def _want_card(self) -> None:
        """Tell the poller whether a card is awaited now (it reads only then)."""
        if self.idcard is None or self.root is None:
            return
        waiting = (
            self.root.current in CARD_SCREENS
            and self.pending is None
            and self.checking is None
            and not (self.root.current == "idcard" and self.root.get_screen("idcard").mode in ("result", "reading"))
        )
        if waiting:
            self.idcard.wanted.set()
        else:
            self.idcard.wanted.clear()

    def _idcard_state(self, ok: bool, kind: str, message: str) -> None:
        """From the reader's thread: the reader's health, on screen and to staff (as the printer)."""

        def apply(_dt: float) -> None:
            self.reader_ok = ok
            screen = self.root.get_screen("idcard") if self.root is not None else None
            if not ok and screen is not None and self.root.current == "idcard" and screen.mode == "card":
                screen.mode = "keypad"  # the reader is down: the keypad still works

        Clock.schedule_once(apply)
        if self.runner is None:
            return

        async def report() -> None:
            try:
                await self.client.report(IDCARD, "ok" if ok else kind, message[:200])
            except (ServerUnavailable, Refused) as exc:
                _LOGGER.warning("could not report the ID card reader's state: %s", exc)

        self.runner.submit(report())

    # ------------------------------------------------------------ the 一次性告知单

    def print_checklist(self) -> None:
        """打印告知单 on a guide item: its 一次性告知单 on the kiosk's printer."""
        guide = self.root.get_screen("guide")
        item = guide.item
        if item is None or self.printer is None or guide.checklist == "printing":
            return
        guide.checklist = "printing"

        def done(outcome: ChecklistOutcome | None, error: BaseException | None) -> None:
            if guide.item is not item:
                return  # another item (or home) meanwhile
            if error is not None:
                _LOGGER.error("printing a 告知单 failed", exc_info=error)
                guide.checklist = PrinterState.UNKNOWN.value
                return
            if not outcome.printed:
                guide.checklist = outcome.printer_state.value
                return
            guide.checklist = "printed"
            self.say("checklist_printed", kind="checklist", keep=True)

            def fade(_dt: float) -> None:
                if guide.item is item and guide.checklist == "printed":
                    guide.checklist = ""

            Clock.schedule_once(fade, CHECKLIST_SHOWN_S)

        self.runner.submit(self.flow.print_checklist(dict(item)), done)

    def check_printer(self) -> None:
        """While the printer is reported faulty, ask it again: paper back clears the fault."""
        if self.flow is not None and self.flow.reported_state is not None:
            self.runner.submit(self.flow.check_printer())

    # ------------------------------------------------------------ voice guidance

    def say(self, key: str, kind: str = "title", keep: bool = False, label: str = "", **values: Any) -> None:
        """Say the ``speech.key`` sentence in the visitor's language (if the voice is on).
        ``kind`` names it (title, service, ticket); ``keep``: said even if the visitor moves on."""
        if self.speaker is None:
            return
        text = self.t.table("speech")[key].format(**values)
        self.speaker.say(Sentence(text, self.lang, kind, keep, label))

    def speak_screen(self) -> None:
        """Say what the current screen is for."""
        if self.speaker is None or self.root is None:
            return
        current = self.root.current
        if current == "home":
            self.say("home_lane" if self.elderly_mode else "home")
        elif current == "services":
            self.say("services", tile=self.name_of(self.tile))
        elif current == "guides":
            self.say("guides")
        elif current == "guide":
            self.say("guide", name=self.name_of(self.root.get_screen("guide").item))
        elif current == "ticket" and self.outcome is not None:
            self.speak_ticket(self.outcome)
        elif current == "booking":
            self.say("booking")
        elif current == "booking_result":
            result = self.root.get_screen("booking_result")
            self.say("booking_refused", keep=True, title=result.heading, text=result.text)
        elif current == "idcard":
            screen = self.root.get_screen("idcard")
            if screen.mode == "card":
                self.say("idcard")
            elif screen.mode == "keypad":
                self.say("idcard_keypad")
            elif screen.mode == "refused":
                self.say("idcard_refused", keep=True, title=screen.heading, text=screen.text)
            elif screen.mode == "result":
                if self.person is not None and self.person.age >= self.elderly_age:
                    self.say("idcard_lane", keep=True, age=int(self.elderly_age))
                self.say("idcard_read")

    def speak_ticket(self, outcome: TicketOutcome) -> None:
        """您的号码是 A012，前面还有 3 人 (the number read letter and digit by digit); for a visit,
        the services the number also carries, then each further number in the order to go."""
        number, ahead = outcome.ticket["number"], outcome.ticket["waiting_ahead"]
        key = "ticket" if ahead else "ticket_none_ahead"
        self.say(key, kind="ticket", keep=True, label=number, number=number, n=ahead)
        if outcome.also:
            self.say("ticket_also", kind="ticket", keep=True, label=number, services=self.t.names(outcome.also))
        for other in outcome.linked:
            self.say(
                "ticket_linked" if other["waiting_ahead"] else "ticket_linked_none_ahead",
                kind="ticket",
                keep=True,
                label=other["number"],
                number=other["number"],
                service=other["service_name"],
                n=other["waiting_ahead"],
            )
        if not outcome.printed and outcome.printer_message:
            self.say("not_printed", kind="printer", keep=True, label=number)

    # ------------------------------------------------------------ idle timeout

    def _touched(self, *_args: Any) -> None:
        self.last_touch = time.monotonic()

    def keep_visitor(self) -> None:
        """A touch on the countdown (or reading): the visitor stays, the timer starts again."""
        self.last_touch = time.monotonic()
        self._hide_overlay()

    def idle_limit(self) -> float:
        if self.root is not None and self.root.current == "ticket":
            return min(self.ticket_shown_s, self.idle_timeout_s)
        return self.idle_timeout_s

    def has_visitor(self) -> bool:
        """Is anything on screen somebody's: a screen past home, their choices, their notice?"""
        return (
            self.root.current != "home"
            or self.elderly_mode
            or self.large_text
            or self.lang != strings.DEFAULT_LANGUAGE
            or bool(self.chosen)
            or self.person is not None
            or self.notice_key not in ("", "offline")
            or self.root.get_screen("home").ids.pager.page != 0
        )

    def _check_idle(self, _dt: float) -> None:
        if self.root is None:
            return
        self._want_card()
        if self.pending is not None or self.checking is not None or not self.has_visitor():
            self._hide_overlay()
            return
        limit = self.idle_limit()
        left = limit - (time.monotonic() - self.last_touch)
        if left <= 0:
            self.go_home()
        elif left <= min(self.countdown_s, limit / 2) and self.overlay is not None:
            self.overlay.seconds = math.ceil(left)
            if self.overlay.parent is None:
                Window.add_widget(self.overlay)
        else:
            self._hide_overlay()

    def _hide_overlay(self) -> None:
        if self.overlay is not None and self.overlay.parent is not None:
            self.overlay.parent.remove_widget(self.overlay)
