"""The kiosk's screens: thin controllers over the kv layouts in ``kv/``.

They render what the App holds and call the App back; no screen talks to the server. Lists
longer than a screen are cut into pages by measuring each entry at the size it is drawn
(``widgets.paginate``), so 大字 mode shows fewer entries and none is cut.
"""

from __future__ import annotations

import io
import math
from typing import Any

import qrcode
from kivy.app import App
from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from . import widgets
from .booking import CODE_ALPHABET, CODE_LENGTH, slot_label
from .idcard import ID_KEYS, ID_LENGTH, grouped, id_problem
from .layout import LINE_HEIGHT
from .widgets import ServiceButton, TileButton, TogetherButton, discard_children, paginate, text_height

HOME_ACTIONS = ("elderly", "booking", "idcard", "guides")  # the home screen's big buttons, in order
WORST_WAITING = 999  # tiles are measured with a three-digit waiting count, so they never grow
# In the 特别通道 the tiles for older and disabled visitors come first (老年人业务: the 优待证 and
# the free bus card, two cards in one visit), so they are on the first page even in 大字 mode.
LANE_FIRST_WORDS = ("老年", "残疾", "老人")
# A tile for older visitors offers all its services in one visit as one big choice (两证一起办:
# the 优待证 and the free bus card, served together at the 老年人服务 window).
TOGETHER_WORDS = ("老年", "老人", "两证")


def qr_texture(text: str):
    """The QR code of ``text`` as a Kivy texture (black on white, crisp when scaled)."""
    image = qrcode.make(text, border=2, box_size=10)
    data = io.BytesIO()
    image.save(data, format="PNG")
    data.seek(0)
    texture = CoreImage(data, ext="png").texture
    texture.mag_filter = "nearest"
    return texture


def pager_height(pager: Any, width: float, pages: int = 9) -> float:
    """The pager's height when shown in a row ``width`` wide: 上一页 · 第 1/9 页 · 下一页, each a
    third of the row (see the Pager rule)."""
    app = App.get_running_app()
    ui, t = app.ui, app.t
    third = (width - 2 * ui.gap - 2 * ui.gap) / 3
    buttons = max(text_height(w, ui.button, third - 3 * ui.pad, True) for w in (t.prev_page, t.next_page))
    position = text_height(t.get("page", page=pages, pages=pages), ui.body, third, True)
    return max(buttons + 3 * ui.pad, position) + ui.gap


def paginate_under_pager(
    heights: list[float], room: float, cols: int, max_rows: int, pager: Any, width: float, side_pager: bool = False
) -> list[list[int]]:
    """Pages of a list in ``room``; when it takes more than one page and the pager sits below the
    list (not beside it), the pager's own height comes out of the room first."""
    gap = App.get_running_app().ui.gap
    pages = paginate(heights, room, gap, cols, max_rows)
    if len(pages) > 1 and not side_pager:
        pages = paginate(heights, room - pager_height(pager, width), gap, cols, max_rows)
    return pages


class KioskScreen(Screen):
    """Redraws its lists when the layout (shape, 大字) or the language changes."""

    def on_kv_post(self, *_args: Any) -> None:
        app = App.get_running_app()
        self._relayout = Clock.create_trigger(lambda _dt: self.relayout(), -1)
        app.bind(ui=self._relayout, t=self._relayout)
        self.bind(size=self._relayout)

    def relayout(self) -> None:
        """Lay out again what depends on the screen's size and words."""


class HomeScreen(KioskScreen):
    screen_name = "home"

    def on_kv_post(self, *args: Any) -> None:
        super().on_kv_post(*args)
        ids = self.ids
        # Held: an action taken out of the row (a hall without bookings) must not be collected.
        self.actions = {name: ids[name].__self__ for name in HOME_ACTIONS}
        ids.tiles_pane.bind(size=self._relayout)
        ids.side.bind(size=self._relayout)
        ids.actions.bind(width=self._relayout)
        ids.pager.bind(height=self._relayout)

    def on_pre_enter(self, *_args: Any) -> None:
        self.refresh()

    def update_actions(self) -> None:
        """特别通道, 预约取号 (when some service takes bookings), 刷身份证取号 (when some takes ID
        numbers) and 服务指南, in that order: no button that would only say no."""
        app = App.get_running_app()
        offered = {"booking": app.takes_bookings, "idcard": app.takes_ids}
        wanted = [self.actions[name] for name in HOME_ACTIONS if offered.get(name, True)]
        grid = self.ids.actions
        if list(reversed(grid.children)) != wanted:
            grid.clear_widgets()
            for action in wanted:
                grid.add_widget(action)
        self._relayout()

    @staticmethod
    def action_height(action: Any, width: float, compact: bool) -> float:
        """What a HomeAction ``width`` wide needs (its kv rule: padding, title, hint, spacing)."""
        ui = App.get_running_app().ui
        if compact:
            pad, inner = ui.pad * 0.5, max(1.0, width - ui.pad)
            return ui.pad + text_height(widgets.nice_wrap(action.text, ui.button, inner, True), ui.button, inner, True)
        pad = ui.pad * 1.5
        inner = max(1.0, width - 2 * pad)
        title = text_height(widgets.nice_wrap(action.text, ui.title, inner, True), ui.title, inner, True)
        hint = text_height(action.hint, ui.caption, inner) if action.hint else 0
        return 2 * pad + title + hint + 3 * ui.gap / 2

    def fit_actions(self) -> None:
        """Portrait: the actions in one row under the tiles (two by two in 大字), as tall as they need. On a
        wide screen, in the side pane under the pager: one under the other when the pane is tall
        enough, else two by two, and with titles only (``compact``) when even that is too low."""
        ui = App.get_running_app().ui
        ids = self.ids
        grid, side, pager = ids.actions, ids.side.__self__, ids.pager
        shown = list(reversed(grid.children))
        if not shown or grid.width <= 1:
            return
        gap = grid.spacing[1]
        if not ui.landscape:  # one row; in 大字 two by two, so no title breaks after every few characters
            options = [(2 if ui.large and len(shown) > 3 else len(shown), False)]
        else:
            options = [(1, False), (2, False), (2, True)]
        room = side.height - (pager.height + side.spacing if pager.parent is side and pager.height > 0 else 0)
        for cols, compact in options:
            width = (grid.width - (cols - 1) * grid.spacing[0]) / cols
            needs = [self.action_height(a, width, compact) for a in shown]
            rows = [max(needs[i : i + cols]) for i in range(0, len(needs), cols)]
            needed = sum(rows) + (len(rows) - 1) * gap
            if not ui.landscape or needed <= room + 0.5:
                break
        for action in shown:
            action.compact = compact
        grid.cols = cols
        grid.rows_minimum = {r: math.ceil(h) for r, h in enumerate(rows)}
        if not ui.landscape:
            grid.height = math.ceil(needed)

    def refresh(self, *_args: Any) -> None:
        self.ids.pager.page = 0
        self.relayout()

    @staticmethod
    def ordered_tiles() -> list[dict[str, Any]]:
        app = App.get_running_app()
        tiles = list(app.tiles)
        if not app.elderly_mode:
            return tiles

        def for_the_lane(tile: dict[str, Any]) -> bool:
            words = tile.get("name", "") + tile.get("subtitle", "")
            return any(w in words for w in LANE_FIRST_WORDS)

        return sorted(tiles, key=lambda tile: not for_the_lane(tile))  # stable: the hall's order otherwise

    def arrange(self) -> None:
        """The pager under the tiles; on a wide landscape screen in the side pane, above 特别通道
        and 服务指南, so the tiles keep the whole height."""
        ids = self.ids
        pager, side = ids.pager, App.get_running_app().ui.side_pager
        target = (ids.side if side else ids.tiles_pane).__self__  # ids are proxies
        if pager.parent is not target:
            pager.parent.remove_widget(pager)
            target.add_widget(pager, index=len(target.children) if side else 0)
        pager.stacked = side

    def relayout(self) -> None:
        app = App.get_running_app()
        ui = app.ui
        self.arrange()
        self.fit_actions()
        pane, pager = self.ids.tiles_pane, self.ids.pager
        tiles = self.ordered_tiles()
        cols = ui.tile_cols
        width = (pane.width - (cols - 1) * ui.gap) / cols
        worst = app.t.get("waiting", n=WORST_WAITING)
        heights = [TileButton.needed_height(t, width, worst) for t in tiles]
        room = pane.height - (pane.spacing if pager.parent is pane else 0)  # the tiles, then the pager
        pages = paginate_under_pager(heights, room, cols, ui.tile_rows, pager, pane.width, ui.side_pager)
        self.pages, self.heights = pages, heights
        pager.pages = len(pages)
        pager.page = min(pager.page, len(pages) - 1)
        self.show_page()

    def show_page(self, *_args: Any) -> None:
        """The tiles of the current page; each row at least as tall as its tallest tile needs,
        and every page with as many rows as the first, so tiles keep their size."""
        app = App.get_running_app()
        grid = self.ids.tiles
        discard_children(grid)
        pages = getattr(self, "pages", [])
        if not pages or not pages[0]:
            return
        cols = grid.cols
        tiles = self.ordered_tiles()
        page = pages[min(self.ids.pager.page, len(pages) - 1)]
        rows = math.ceil(len(pages[0]) / cols)
        grid.rows_minimum = {
            r: max(self.heights[i] for i in page[r * cols : (r + 1) * cols]) for r in range(math.ceil(len(page) / cols))
        }
        for index in page:
            tile = tiles[index]
            button = Factory.TileButton(text=app.name_of(tile), subtitle=app.name_of(tile, "subtitle"))
            button.services = tile["services"]
            button.bind(on_release=lambda b, t=tile: app.choose_tile(t))
            grid.add_widget(button)
        if len(pages) > 1:
            for _ in range(rows * cols - len(page)):  # the last page's tiles as large as the others
                grid.add_widget(Widget())
        self.update_counts()

    def update_counts(self, *_args: Any) -> None:
        app = App.get_running_app()
        for button in self.ids.tiles.children:
            if isinstance(button, TileButton):
                total = sum(app.waiting(code) for code in button.services)
                button.waiting = app.t.get("waiting", n=total)


class ServicesScreen(KioskScreen):
    screen_name = "services"
    heading = StringProperty("")

    def on_kv_post(self, *args: Any) -> None:
        super().on_kv_post(*args)
        self.ids.list_pane.bind(size=self._relayout)

    def on_pre_enter(self, *_args: Any) -> None:
        self.ids.pager.page = 0
        self.relayout()

    def codes(self) -> list[str]:
        app = App.get_running_app()
        return [c for c in (app.tile["services"] if app.tile else ()) if c in app.services]

    def together(self) -> list[str]:
        """The services offered as one choice (两证一起办) on this tile, or none: a tile for
        older visitors with two or more services, all issuing tickets now."""
        app = App.get_running_app()
        tile = app.tile or {}
        words = tile.get("name", "") + tile.get("subtitle", "")
        codes = self.codes()
        if len(codes) < 2 or not any(w in words for w in TOGETHER_WORDS):
            return []
        if len(codes) > app.max_chosen or not all(app.services[c].get("open", True) for c in codes):
            return []
        return codes

    def together_words(self) -> tuple[str, str]:
        app = App.get_running_app()
        t, codes = app.t, self.together()
        title = t.together_two if len(codes) == 2 else t.get("together_many", n=len(codes))
        names = t.names([app.name_of(app.services[c]) for c in codes])
        return title, t.get("together_detail", names=names)

    def detail(self, code: str) -> str:
        app = App.get_running_app()
        service = app.services.get(code, {})
        if service.get("open", True):
            return app.t.get("waiting", n=app.waiting(code))
        return app.t.get("closed_hours", hours=service.get("hours", "")) if service.get("hours") else app.t.closed

    def relayout(self) -> None:
        app = App.get_running_app()
        ui = app.ui
        self.heading = app.name_of(app.tile) if app.tile else ""
        pane, pager = self.ids.list_pane, self.ids.pager
        cols = ui.service_cols
        width = (pane.width - 2 * pane.padding[0] - (cols - 1) * ui.gap) / cols
        codes = self.codes()
        worst = app.t.get("waiting", n=WORST_WAITING)
        heights = [
            ServiceButton.needed_height(app.name_of(app.services[c]), max(self.detail(c), worst, key=len), width)
            for c in codes
        ]
        if self.together():
            heights.insert(0, TogetherButton.needed_height(*self.together_words(), width))
        room = pane.height - 2 * pane.spacing  # the list, a filler and the pager, one under the other
        pages = paginate_under_pager(heights, room, cols, ui.service_rows, pager, pane.width)
        self.pages, self.heights = pages, heights
        pager.pages = len(pages)
        pager.page = min(pager.page, len(pages) - 1)
        self.show_page()

    def show_page(self, *_args: Any) -> None:
        app = App.get_running_app()
        listing = self.ids.services
        discard_children(listing)
        together = self.together()
        entries: list[str | None] = ([None] if together else []) + self.codes()  # None: 两证一起办
        pages = getattr(self, "pages", [])
        if not pages:
            return
        page = [i for i in pages[min(self.ids.pager.page, len(pages) - 1)] if i < len(entries)]
        # Every entry of a row as tall as the row's tallest (two columns on a wide screen).
        cols = listing.cols
        heights = getattr(self, "heights", [])
        listing.rows_minimum = {
            r: max(heights[i] for i in page[r * cols : (r + 1) * cols])
            for r in range(math.ceil(len(page) / cols))
            if all(i < len(heights) for i in page[r * cols : (r + 1) * cols])
        }
        for index in page:
            code = entries[index]
            if code is None:
                title, detail = self.together_words()
                button = Factory.TogetherButton(text=title, detail=detail, codes=together)
                button.bind(on_release=lambda b: app.take(list(b.codes)))
                button.size_hint_y = 1  # the row's height (rows_minimum)
                listing.add_widget(button)
                continue
            service = app.services[code]
            button = Factory.ServiceButton(text=app.name_of(service))
            button.code = code
            button.is_open = service["open"]
            button.chosen = code in app.chosen
            button.bind(on_release=lambda b, c=code: app.tap_service(c))
            button.size_hint_y = 1
            listing.add_widget(button)
        self.update_counts()

    def update_counts(self, *_args: Any) -> None:
        for button in self.ids.services.children:
            if isinstance(button, ServiceButton):
                button.detail = self.detail(button.code)

    def update_chosen(self, *_args: Any) -> None:
        chosen = App.get_running_app().chosen
        for button in self.ids.services.children:
            if isinstance(button, ServiceButton):
                button.chosen = button.code in chosen


class TicketScreen(KioskScreen):
    """The number (as large as the room allows), its services, the wait, where to go, the
    visit's other numbers in the order to go, and the QR code of its status page."""

    screen_name = "ticket"
    qr = ObjectProperty(None, allownone=True)
    number_font = NumericProperty(100)
    qr_size = NumericProperty(100)
    body_height = NumericProperty(100)
    has_linked = BooleanProperty(False)

    def on_kv_post(self, *args: Any) -> None:
        super().on_kv_post(*args)
        self._fit = Clock.create_trigger(lambda _dt: self.fit(), 0)
        ids = self.ids
        ids.main.bind(minimum_height=self._fit)
        ids.middle.bind(minimum_height=self._fit)
        ids.side.bind(minimum_height=self._fit, width=self._fit)
        ids.body.bind(width=self._fit)
        ids.body_scroll.bind(size=self._fit)

    def on_pre_enter(self, *_args: Any) -> None:
        outcome = App.get_running_app().outcome
        self.qr = qr_texture(outcome.status_url) if outcome else None
        self.show_linked()
        self.ids.body_scroll.scroll_y = 1
        self.fit()

    def relayout(self) -> None:
        self.show_linked()
        self._fit()

    def show_linked(self) -> None:
        """The visit's other tickets, in the order to go."""
        app = App.get_running_app()
        t = app.t
        container = self.ids.linked
        discard_children(container)
        linked = app.outcome.linked if app.outcome else []
        self.has_linked = bool(linked)
        for other in linked:
            wait = t.get("linked_wait", n=other["waiting_ahead"], estimate=t.minutes(other["estimated_wait_s"]))
            container.add_widget(
                Factory.LinkedTicket(
                    number=other["number"],
                    service=other["service_name"],
                    wait=wait,
                    where=t.place(other.get("where", "")),
                )
            )

    def fit(self) -> None:
        """Make room: the number and the QR code are the only things that may shrink (the QR code
        first, down to 55 mm; then the number, down to twice a title; then the QR code to 40 mm),
        so every line of a visit shows without scrolling, in 大字 mode and on a landscape panel.
        Only when that is not enough (大字 on a small 4:3 panel) does the body scroll."""
        app = App.get_running_app()
        ui, ids = app.ui, self.ids
        scroll, body, main, middle, side = ids.body_scroll, ids.body, ids.main, ids.middle, ids.side
        number, qr = ids.number, ids.qr
        pad_y = body.padding[1] + body.padding[3]
        avail = scroll.height - pad_y
        qr_max = max(1.0, min(ui.mm(95), side.width * 0.8))
        qr_mid, qr_min = min(ui.mm(55), qr_max), min(ui.mm(40), qr_max)
        num_max, num_min = ui.number, min(ui.number, ui.title * 2)
        ratio = number.height / number.font_size if number.text and number.font_size and number.height else LINE_HEIGHT
        main_rest = main.minimum_height - number.height
        side_rest = side.minimum_height - qr.height
        if ui.landscape:
            font = max(num_min, min(num_max, (avail - main_rest) / ratio))
            size = max(qr_min, min(qr_max, avail - side_rest))
            needed = max(main_rest + font * ratio, middle.minimum_height, side_rest + size)
        else:
            spacing = 4 * body.spacing
            room = avail - spacing - main_rest - side_rest - middle.minimum_height
            size = max(qr_mid, min(qr_max, room - num_max * ratio))
            font = max(num_min, min(num_max, (room - size) / ratio))
            size = max(qr_min, min(size, room - font * ratio))
            needed = spacing + main_rest + side_rest + middle.minimum_height + font * ratio + size
        if abs(font - self.number_font) >= 1:
            self.number_font = max(num_min, math.floor(font))
        if abs(size - self.qr_size) >= 1:
            self.qr_size = math.floor(size)
        self.body_height = max(scroll.height, math.ceil(needed + pad_y))

    @staticmethod
    def ahead_text(outcome, t) -> str:
        return t.get("ahead", n=outcome.ticket["waiting_ahead"]) if outcome else ""

    @staticmethod
    def estimate_text(outcome, t) -> str:
        return t.minutes(outcome.ticket["estimated_wait_s"]) if outcome else ""

    @staticmethod
    def also_text(outcome, t) -> str:
        """同时办理：… for a number that carries several services."""
        return t.get("also", services=t.names(outcome.also)) if outcome and outcome.also else ""

    @staticmethod
    def where_text(outcome, t) -> str:
        where = outcome.ticket.get("where") if outcome else ""
        return t.get("where", where=t.place(where)) if where else ""

    @staticmethod
    def priority_text(outcome, t) -> str:
        """【预约】 and the booked time, or the server's word that a late check-in got a normal
        ticket; 【特别通道】 and what to show at the window."""
        if not outcome:
            return ""
        if outcome.booking is not None:
            if not outcome.on_time:
                return outcome.message if outcome.message and t.language == "zh" else t.booking_late
            slot = slot_label(outcome.booking)
            return t.get("booking_ticket", slot=slot) if slot else t.booking_ticket_plain
        return t.priority_check if outcome.ticket["priority"] == "elderly" else ""

    @staticmethod
    def printer_text(outcome, t) -> str:
        if not outcome:
            return ""
        if not outcome.printed and outcome.printer_message:
            return t.printer_problem(outcome.printer_state)
        return t.printed


class BookingScreen(KioskScreen):
    """预约取号: the keypad of the code's characters (letters, then digits), 删除 and 确认, and
    the code so far in 8 boxes. A scan (see ``KioskApp.scanned``) fills the boxes too."""

    screen_name = "booking"
    code = StringProperty("")
    complete = BooleanProperty(False)  # all 8 characters typed
    incomplete = BooleanProperty(False)  # 确认 was touched before that: "请输入完整的 8 位预约码"
    key_height = NumericProperty(100)
    box_height = NumericProperty(100)
    box_font = NumericProperty(40)

    def on_kv_post(self, *args: Any) -> None:
        super().on_kv_post(*args)
        app = App.get_running_app()
        ids = self.ids
        letters = [c for c in CODE_ALPHABET if c.isalpha()]
        digits = [c for c in CODE_ALPHABET if c.isdigit()]
        cols = ids.keypad_keys.cols
        blanks = -len(letters) % cols  # the digits on a row of their own
        for c in letters + [""] * blanks + digits:
            if c:
                key = Factory.KeypadKey(text=c, height=self.key_height)
                key.bind(on_release=lambda _key, c=c: app.booking_key(c))
            else:
                key = Widget(size_hint_y=None, height=self.key_height)
            self.bind(key_height=key.setter("height"))
            ids.keypad_keys.add_widget(key)
        self._boxes = [Factory.CodeBox(font_size=self.box_font) for _ in range(CODE_LENGTH)]
        for box in self._boxes:
            self.bind(box_font=box.setter("font_size"))
            ids.boxes.add_widget(box)
        ids.entry.bind(width=self._relayout)
        ids.keypad.bind(size=self._relayout)
        self.on_code()

    def on_code(self, *_args: Any) -> None:
        code = self.code
        for i, box in enumerate(getattr(self, "_boxes", ())):
            box.text = code[i] if i < len(code) else ""
            box.next = i == len(code)
        self.complete = len(code) == CODE_LENGTH
        self.incomplete = False

    def relayout(self) -> None:
        """Keys as large as the room allows (five rows: four of characters, then 删除 and 确认),
        up to a square, and never lower than their words need; boxes as wide as the entry."""
        ui = App.get_running_app().ui
        ids = self.ids
        keypad, cols = ids.keypad, ids.keypad_keys.cols
        key_width = (keypad.width - (cols - 1) * ui.gap) / cols
        room = (keypad.height - 6 * ui.gap) / 5  # the grid's three gaps, the keypad's three
        needed = max(text_height("W", ui.tile, 10_000, True), text_height("删除", ui.button, 10_000, True)) * 1.2
        largest = min(key_width, ui.mm(42 if ui.large else 36))
        self.key_height = math.floor(max(needed, min(room, largest)))
        box_width = (ids.entry.width - (CODE_LENGTH - 1) * ui.gap) / CODE_LENGTH
        self.box_font = math.floor(max(ui.button, min(ui.tile * 1.3, box_width * 0.8)))
        self.box_height = math.ceil(self.box_font * LINE_HEIGHT + ui.pad)


class BookingResultScreen(KioskScreen):
    """Why a booking was not checked in, in plain words, and the way on: 重新输入 or 首页."""

    screen_name = "booking_result"
    # (the refusal's code, the server's message, its details, the booking code asked for)
    result = ObjectProperty(None, allownone=True)
    heading = StringProperty("")
    text = StringProperty("")
    detail = StringProperty("")

    def on_result(self, *_args: Any) -> None:
        self.relayout()

    def relayout(self) -> None:
        t = App.get_running_app().t
        if self.result is None:
            self.heading = self.text = self.detail = ""
            return
        code, message, details, booking_code = self.result
        self.heading, self.text = t.booking_refusal(code, message, details)
        self.detail = t.get("booking_code_shown", code=booking_code) if booking_code else ""


class IdCardScreen(KioskScreen):
    """身份证取号: ``mode`` "card" (the picture of a card on the reader, and 输入身份证号码),
    "keypad" (the 18 characters, checked as they are typed), "reading" (the card read, being
    looked up), "result" (张*三 76 岁, the 特别通道 when old enough, 选择办理的业务) or "refused"
    (the server's word: this ID has taken its ticket today). Never the whole number on screen
    once read: the typed one only while typed."""

    screen_name = "idcard"
    mode = StringProperty("card")
    number = StringProperty("")  # typed so far
    problem = StringProperty("")  # "", bad, bad_birth: what is wrong with it already
    incomplete = BooleanProperty(False)  # 确认 touched before all 18 were typed
    service = StringProperty("")  # the services waiting for the ID (需要实名取号), or ""
    heading = StringProperty("")  # refused: the heading, and the server's message
    text = StringProperty("")
    key_height = NumericProperty(100)
    number_font = NumericProperty(40)
    picture_height = NumericProperty(100)

    def on_kv_post(self, *args: Any) -> None:
        super().on_kv_post(*args)
        app = App.get_running_app()
        ids = self.ids
        self.panes = {name: ids[name].__self__ for name in ("card", "keypad", "result", "refused", "reading")}
        for c in ID_KEYS:
            key = Factory.IdKey(text=c, height=self.key_height)
            key.bind(on_release=lambda _key, c=c: app.idcard_key(c))
            self.bind(key_height=key.setter("height"))
            ids.id_keys.add_widget(key)
        delete = Factory.IdKey(height=self.key_height, text=app.t.booking_delete)
        app.bind(t=lambda *_a: setattr(delete, "text", app.t.booking_delete))
        delete.bind(on_release=lambda _key: app.idcard_key("delete"))
        self.bind(key_height=delete.setter("height"))
        ids.id_keys.add_widget(delete)
        self.delete_key = delete
        ids.key_area.bind(size=self._relayout)
        ids.entry.bind(width=self._relayout)
        ids.card.bind(size=self._relayout)
        self.on_mode()
        self.on_number()

    def key(self, character: str) -> Any:
        """The keypad's key for ``character`` (a digit, X, or "delete")."""
        if character == "delete":
            return self.delete_key
        return next(k for k in self.ids.id_keys.children if getattr(k, "text", None) == character)

    def on_mode(self, *_args: Any) -> None:
        pane = self.ids.pane
        wanted = self.panes[self.mode]
        if list(pane.children) != [wanted]:
            pane.clear_widgets()
            pane.add_widget(wanted)
        self._relayout()

    def on_number(self, *_args: Any) -> None:
        app = App.get_running_app()
        self.problem = id_problem(self.number, app.today())
        self.incomplete = False
        for k in self.ids.id_keys.children:
            if getattr(k, "text", None) == "X":  # the check character only
                k.disabled = len(self.number) != ID_LENGTH - 1
                k.opacity = 0.4 if k.disabled else 1

    @staticmethod
    def shown_number(number: str) -> str:
        return grouped(number)

    @staticmethod
    def problem_text(t: Any, problem: str, incomplete: bool) -> str:
        if problem == "bad":
            return t.idcard_bad
        if problem == "bad_birth":
            return t.idcard_bad_birth
        return t.idcard_incomplete if incomplete else ""

    @staticmethod
    def who_text(t: Any, *_bound: Any) -> str:
        person = App.get_running_app().person
        if person is None:
            return ""
        if person.name:
            return t.get("idcard_who", name=person.name, age=person.age)
        return t.get("idcard_who_typed", age=person.age)

    @staticmethod
    def lane_text(t: Any, *_bound: Any) -> str:
        app = App.get_running_app()
        person = app.person
        if person is None or person.age < app.elderly_age:
            return ""
        return t.get("idcard_lane", age=int(app.elderly_age))

    def relayout(self) -> None:
        """Keys as large as the room allows (five rows), never lower than their words need;
        the number as large as its row allows; the picture as large as the card pane allows."""
        app = App.get_running_app()
        ui, ids = app.ui, self.ids
        keypad = ids.key_area
        cols = ids.id_keys.cols
        key_width = (keypad.width - (cols - 1) * ui.gap) / cols
        room = (keypad.height - 8 * ui.gap) / 5  # four rows of keys and 确认, and the gaps
        delete = app.t.booking_delete
        needed = max(text_height("8", ui.button, 10_000, True), text_height(delete, ui.button, 10_000, True))
        self.key_height = math.floor(max(needed * 1.1, min(room, key_width * 0.7, ui.mm(36 if not ui.large else 42))))
        width = max(1.0, ids.entry.width - 2 * ui.pad)
        wide = max(1.0, widgets.text_width(grouped("1" * ID_LENGTH), 100, True) / 100)
        self.number_font = math.floor(max(ui.body, min(ui.tile, width / wide)))
        card = ids.card
        rest = ids.prompt.height + ids.prompt_detail.height + ids.type.height + card.spacing * 5
        self.picture_height = math.ceil(max(ui.mm(30), min(ui.mm(110), card.height - rest, card.width * 0.55)))


class GuidesScreen(KioskScreen):
    screen_name = "guides"
    selected = StringProperty("")  # the department browsed, highlighted

    def clear(self) -> None:
        self.ids.query.text = ""
        self.selected = ""
        self.show_results([])

    def on_query(self, text: str) -> None:
        app = App.get_running_app()
        if text.strip():
            self.selected = ""
        self.show_results(app.search(text) if text.strip() else [], searched=bool(text.strip()))

    def browse(self, department_code: str) -> None:
        app = App.get_running_app()
        self.ids.query.text = ""
        self.selected = department_code
        self.show_results([g for g in app.guides if g["department"] == department_code])
        self.ids.results_scroll.scroll_y = 1

    def on_selected(self, *_args: Any) -> None:
        for button in self.ids.departments.children:
            button.selected = button.code == self.selected

    def show_results(self, items: list[dict[str, Any]], searched: bool = False) -> None:
        app = App.get_running_app()
        self._shown = (items, searched)
        listing = self.ids.results
        discard_children(listing)
        if searched and not items:
            listing.add_widget(Factory.HintLabel(text=app.t.search_empty))
        for item in items[:40]:
            detail = app.t.get("guide_detail", department=item["department_name"], kind=app.t.kind(item["kind"]))
            button = Factory.GuideButton(text=app.name_of(item), detail=detail)
            button.bind(on_release=lambda b, c=item["code"]: app.open_guide(c))
            listing.add_widget(button)

    def relayout(self) -> None:
        if hasattr(self, "_shown"):
            self.show_results(*self._shown)

    def on_pre_enter(self, *_args: Any) -> None:
        app = App.get_running_app()
        departments = self.ids.departments
        discard_children(departments)
        seen: dict[str, str] = {}
        for g in app.guides:
            department = app.departments.get(g["department"], {})
            seen.setdefault(g["department"], department.get("short_name") or g["department_name"])
        for code, name in seen.items():
            button = Factory.DepartmentButton(text=name)
            button.code = code
            button.selected = code == self.selected
            button.bind(on_release=lambda b, c=code: self.browse(c))
            departments.add_widget(button)


class GuideScreen(KioskScreen):
    screen_name = "guide"
    item = ObjectProperty(None, allownone=True)
    # The 告知单 on the printer: "", printing, printed, or why not (a PrinterState's value).
    checklist = StringProperty("")

    def on_kv_post(self, *args: Any) -> None:
        super().on_kv_post(*args)
        self.print_button = self.ids.print_checklist.__self__  # held: the kv rules read it when it is out
        if App.get_running_app().printer is None:  # nothing to print on: no button
            self.print_button.parent.remove_widget(self.print_button)
        self.arrange()

    @staticmethod
    def where_text(item: dict[str, Any] | None, t) -> str:
        where = (item or {}).get("where")
        return t.get("where", where=t.place(where)) if where else ""

    @staticmethod
    def checklist_text(state: str, t) -> str:
        if not state:
            return ""
        if state == "printing":
            return t.printing_checklist
        if state == "printed":
            return t.checklist_printed
        return t.checklist_problem(state)

    def arrange(self) -> None:
        """Portrait: name, text, buttons; landscape: name and buttons beside the text."""
        ids = self.ids
        controls = ids.controls
        landscape = App.get_running_app().ui.landscape
        target = ids.side if landscape else ids.body
        if controls.parent is not target:
            controls.parent.remove_widget(controls)
            if landscape:
                ids.side.add_widget(Factory.Widget(), index=0)  # pushes the buttons down
                ids.side.add_widget(controls, index=0)
            else:
                for spacer in [c for c in ids.side.children if type(c) is Widget]:
                    ids.side.remove_widget(spacer)
                ids.body.add_widget(controls, index=0)

    def relayout(self) -> None:
        self.arrange()
        self.on_item(self, self.item)

    def on_item(self, _screen: Any, item: dict[str, Any] | None) -> None:
        body = self.ids.fields
        discard_children(body)
        self.ids.scroll.scroll_y = 1
        if not item:
            return
        t = App.get_running_app().t
        for key, label in t.guide_fields():
            body.add_widget(Factory.FieldTitle(text=label))
            body.add_widget(Factory.FieldText(text=self.format_field(key, item.get(key), t)))

    def scroll_page(self, direction: int) -> None:
        """向上翻 (+1) / 向下翻 (-1): most of a screen at a time."""
        scroll = self.ids.scroll
        hidden = scroll.children[0].height - scroll.height if scroll.children else 0
        if hidden <= 0:
            return
        step = scroll.height * 0.8 / hidden
        if scroll.effect_y is not None:
            scroll.effect_y.cancel()  # a fling still going would carry on past the page
        scroll.scroll_y = max(0.0, min(1.0, scroll.scroll_y + direction * step))
        App.get_running_app().keep_visitor()

    @staticmethod
    def format_field(key: str, value: Any, t=None) -> str:
        from .strings import ZH

        t = t or ZH
        if key == "fees":
            if not value:
                return t.no_fee
            return "\n".join(
                f"{f['name']}：{f['standard']}" + (t.get("fee_basis", basis=f["basis"]) if f.get("basis") else "")
                for f in value
            )
        if key == "kind":
            return t.kind(str(value or ""))
        if isinstance(value, list):
            if key in ("materials", "procedure", "conditions"):
                # "1、" with no space: Kivy wraps at spaces, and would strand the number.
                return "\n".join(t.get("list_item", i=i, text=v) for i, v in enumerate(value, start=1))
            return "\n".join(value)
        return str(value or "")


SCREENS = (
    HomeScreen,
    ServicesScreen,
    TicketScreen,
    GuidesScreen,
    GuideScreen,
    BookingScreen,
    BookingResultScreen,
    IdCardScreen,
)
__all__ = ["SCREENS", "qr_texture", "widgets"]
