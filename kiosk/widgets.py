"""The kiosk's own widgets; their looks are in ``kv/00_common.kv``."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from kivy.app import App
from kivy.core.text import Label as CoreLabel
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout


@lru_cache(maxsize=4096)
def text_height(text: str, font_size: float, width: float, bold: bool = False) -> int:
    """The height of ``text`` wrapped to ``width`` pixels, as a kiosk label draws it."""
    if not text:
        return 0
    label = CoreLabel(text=text, font_size=font_size, text_size=(max(width, 1), None), bold=bold)
    label.refresh()
    return label.texture.size[1]


@lru_cache(maxsize=1024)
def text_width(text: str, font_size: float, bold: bool = False) -> int:
    """The width of ``text`` on one line."""
    if not text:
        return 0
    label = CoreLabel(text=text, font_size=font_size, bold=bold)
    label.refresh()
    return label.texture.size[0]


# Where a line may break when it does not fit: after a number's double space (A004  户口迁移登记),
# a colon or a comma, before a bracket.
_BREAKS = (("  ", True), ("：", True), ("，", True), ("（", False), (": ", True), (", ", True), (" (", False))
# Chinese punctuation that never starts a line (避头点), and brackets that never end one.
_NO_LINE_START = set("，。、；：？！）》」』”’·…")
_NO_LINE_END = set("（《「『“‘")


def _is_cjk(c: str) -> bool:
    return "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef"


def nice_wrap(text: str, font_size: float, width: float, bold: bool = False) -> str:
    """``text`` broken into lines that read well in ``width``, for Kivy, which breaks Chinese
    wherever a line is full (a lone "）" or "。" starting a line) and at any space (inside
    "3 号窗口"): a line of two is broken once where it reads well (办理窗口：| 17、18、19 号窗口,
    纳税申报|（国地税一窗）); a longer Chinese paragraph is filled line by line, no punctuation
    starting a line. English, whose spaces are its places to break, is left to Kivy."""
    if not text or "\n" in text or width <= 0:
        return text
    wide = text_width(text, font_size, bold)
    if wide <= width:
        return text
    if wide <= 2 * width:
        for sep, keep in _BREAKS:
            i = text.find(sep)
            if i <= 0:
                continue
            cut = i + len(sep) if keep else i
            head, tail = text[:cut].rstrip(), text[cut:].lstrip()
            if tail and max(text_width(head, font_size, bold), text_width(tail, font_size, bold)) <= width:
                return f"{head}\n{tail}"
    if sum(map(_is_cjk, text)) * 2 < len(text):
        return text
    return "\n".join(_fill(text, font_size, width, bold))


def _last_break(line: str) -> int:
    """Where ``line`` reads best cut (the length of its first part), 0 for nowhere."""
    for i in range(len(line) - 1, 0, -1):
        if line[i - 1] in "，。；：、" or (line[i] in "（《" and line[i - 1] not in _NO_LINE_END):
            return i
    return 0


def _fill(text: str, font_size: float, width: float, bold: bool) -> list[str]:
    lines: list[str] = []
    line, used = "", 0.0
    for c in text:
        w = text_width(c, font_size, bold) if c != " " else font_size / 4
        if line and used + w > width:
            carry = ""
            cut = _last_break(line)
            if c not in _NO_LINE_START and cut >= len(line) * 0.6:
                carry, line = line[cut:], line[:cut]  # break after a comma, before a bracket
            elif c in _NO_LINE_START or line[-1] in _NO_LINE_END:
                carry, line = line[-1], line[:-1]  # the last character goes down with it
            lines.append(line.rstrip())
            line = carry.lstrip()
            used = text_width(line, font_size, bold) if line else 0.0
        if not line and c == " ":
            continue
        line += c
        used += w
    if line:
        lines.append(line.rstrip())
    if len(lines) > 1 and len(lines[-1]) < 2 and len(lines[-2]) >= 3 and lines[-2][-1] not in _NO_LINE_START:
        lines[-2], lines[-1] = lines[-2][:-1], lines[-2][-1] + lines[-1]  # no single character alone
    return lines


class BigButton(Button):
    """A large, high-contrast touch target; ``tone`` is its colour (darker while pressed)."""

    tone = ColorProperty((0.043, 0.31, 0.54, 1))


class KeypadKey(Button):
    """A key of the 预约码 keypad: a character of the code, 删除 or 确认."""


class Pressable(ButtonBehavior, BoxLayout):
    """A touch target laid out like a box (several lines of text in it). ``text`` is its main
    line, so it is found and read like a Button's."""

    text = StringProperty("")
    tone = ColorProperty((0.043, 0.31, 0.54, 1))


class TileButton(Pressable):
    """A home-screen tile: a department or life event, with its live waiting count."""

    subtitle = StringProperty("")
    waiting = StringProperty("")
    services = ListProperty([])

    @staticmethod
    def needed_height(tile: dict[str, Any], width: float, waiting: str) -> float:
        """How tall a tile ``width`` wide must be to show everything on it (see its kv rule)."""
        ui = App.get_running_app().ui
        inner = width - 2 * ui.pad
        return (
            2 * ui.pad
            + 2 * ui.gap / 2  # spacing between the three lines
            + text_height(waiting, ui.caption, inner, True)
            + text_height(tile.get("name", ""), ui.tile, inner, True)
            + text_height(tile.get("subtitle", ""), ui.caption, inner)
        )


class ChooseBox(ButtonBehavior, BoxLayout):
    """加选 / 已选: the check box at the right of a service, to choose it for a visit of several
    services (a tap on the service itself takes its ticket at once, until one is chosen)."""

    chosen = BooleanProperty(False)

    @staticmethod
    def needed_width(ui: Any, t: Any) -> float:
        """Its words on one line, and never narrower than three letters of a button: a target a
        finger finds (37 mm on a 32" panel, more in 大字 mode)."""
        words = max(text_width(w, ui.body, True) for w in (t.choose_mark, t.chosen_mark))
        return round(max(words + 3 * ui.pad, ChooseBox.box_size(ui) + 3 * ui.pad, 3 * ui.button))

    @staticmethod
    def box_size(ui: Any) -> float:
        return round(ui.button * 0.95)

    @staticmethod
    def needed_height(ui: Any, t: Any) -> float:
        words = max(text_height(w, ui.body, 10_000, True) for w in (t.choose_mark, t.chosen_mark))
        return ChooseBox.box_size(ui) + ui.gap / 2 + words


class ServiceButton(Pressable):
    """A service: a tap takes its ticket; its ``ChooseBox`` chooses it for a visit."""

    code = StringProperty("")
    detail = StringProperty("")
    is_open = BooleanProperty(True)
    chosen = BooleanProperty(False)

    @staticmethod
    def needed_height(name: str, detail: str, width: float) -> float:
        app = App.get_running_app()
        ui = app.ui
        inner = width - ui.pad - ui.gap - ChooseBox.needed_width(ui, app.t)
        texts = ui.gap / 2 + text_height(name, ui.button, inner, True) + text_height(detail, ui.body, inner)
        return 1.5 * ui.pad + max(texts, ChooseBox.needed_height(ui, app.t))


class TogetherButton(Pressable):
    """两证一起办: every service of the tile in one visit, one touch (the 老年人业务 tile)."""

    codes = ListProperty([])
    detail = StringProperty("")

    @staticmethod
    def needed_height(name: str, detail: str, width: float) -> float:
        ui = App.get_running_app().ui
        inner = width - 3 * ui.pad
        detail = nice_wrap(detail, ui.body, inner)
        return 3 * ui.pad + ui.gap / 2 + text_height(name, ui.tile, inner, True) + text_height(detail, ui.body, inner)


class LinkedTicket(BoxLayout):
    """One more number of the visit on the ticket screen: number and service, wait, where."""

    number = StringProperty("")
    service = StringProperty("")
    wait = StringProperty("")
    where = StringProperty("")


class GuideButton(Pressable):
    detail = StringProperty("")


class DepartmentButton(Button):
    selected = BooleanProperty(False)


class Pager(BoxLayout):
    """上一页 · 第 1/3 页 · 下一页: for lists longer than a screen (the 大字 mode shows fewer)."""

    page = NumericProperty(0)  # from 0
    pages = NumericProperty(1)
    stacked = BooleanProperty(False)  # one above the other, in a side pane

    def turn(self, step: int) -> None:
        self.page = max(0, min(self.pages - 1, self.page + step))

    def on_touch_down(self, touch: Any) -> bool:
        # Hidden (one page): its buttons, laid out in no room at all, must not catch touches.
        if self.pages <= 1 or not self.collide_point(*touch.pos):
            return False
        return super().on_touch_down(touch)


class Collapsible(BoxLayout):
    """A row that can be hidden (``shown`` False: no height, invisible, deaf to touches)."""

    shown = BooleanProperty(True)

    def on_touch_down(self, touch: Any) -> bool:
        if not self.shown:
            return False
        return super().on_touch_down(touch)


class IdleOverlay(FloatLayout):
    """Over the whole screen before the kiosk goes back home: "20 秒后返回首页，点击屏幕继续".
    A touch anywhere keeps the visitor; the touch does nothing else."""

    seconds = NumericProperty(0)

    def on_touch_down(self, touch: Any) -> bool:
        App.get_running_app().keep_visitor()
        return True

    def on_touch_move(self, touch: Any) -> bool:
        return True

    def on_touch_up(self, touch: Any) -> bool:
        return True


def discard_children(container: Any) -> None:
    """Remove the widgets made for one list (tiles, services, results) and undo their kv rules'
    bindings now: they read app.ui, app.theme and app.t, which outlive them, and Kivy would
    otherwise call back into them after they are gone (ReferenceError on the next 大字)."""
    for child in list(container.children):
        for widget in child.walk(restrict=True):
            Builder.unbind_widget(widget.uid)
    container.clear_widgets()


def paginate(
    heights: list[float], available: float, spacing: float, cols: int = 1, max_rows: int | None = None
) -> list[list[int]]:
    """Split items (in order, ``cols`` to a row, each row as tall as its tallest item) into
    pages no taller than ``available`` and of at most ``max_rows`` rows. Returns the item
    indexes of each page; a page holds at least one row even when that row alone is too tall."""
    rows = [list(range(i, min(i + cols, len(heights)))) for i in range(0, len(heights), cols)]
    pages: list[list[int]] = []
    current: list[int] = []
    used = 0.0
    for row in rows:
        height = max(heights[i] for i in row)
        extra = height + (spacing if current else 0)
        if current and (used + extra > available or (max_rows and len(current) >= max_rows * cols)):
            pages.append(current)
            current, used = [], 0.0
            extra = height
        current.extend(row)
        used += extra
    if current or not pages:
        pages.append(current)
    return pages


for widget in (
    BigButton,
    KeypadKey,
    Pressable,
    TileButton,
    ChooseBox,
    ServiceButton,
    TogetherButton,
    LinkedTicket,
    GuideButton,
    DepartmentButton,
    Pager,
    Collapsible,
    IdleOverlay,
):
    Factory.register(widget.__name__, cls=widget)
