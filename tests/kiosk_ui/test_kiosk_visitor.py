"""The kiosk for every visitor: 大字 and the 特别通道, reading without being sent home (the idle
countdown), the two languages. Real touches in a real window, against a real server."""

from __future__ import annotations

import re
import time
from pathlib import Path

from kivy.core.window import Window

from hardware.printer import TicketPrinter
from kiosk import strings
from kiosk.theme import HIGH_CONTRAST, NORMAL, contrast

from .checks import assert_screen_fits, texts_on
from .test_kiosk_shapes import find_tile
from .test_kiosk_ui import button, server_tickets, tiles_loaded

KV_DIR = Path(__file__).resolve().parents[2] / "kiosk" / "kv"


def started(kiosk, **options):
    d = kiosk(printer=TicketPrinter("dummy:"), **options)
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    return d


def overlay_shown(d) -> bool:
    return d.app.overlay is not None and d.app.overlay.parent is not None


def open_long_guide(d):
    """In 大字 mode, search 身份证 and open the first item: longer than the screen."""
    d.tap(d.screen().ids.header.ids.large_text)
    d.tap(d.screen().ids.guides)
    d.wait_until(lambda: d.app.root.current == "guides", what="guides")
    guides = d.screen()
    d.tap(guides.ids.query)
    d.type_text("身份证")
    d.tap(guides.ids.results.children[-1])
    d.wait_until(lambda: d.app.root.current == "guide", what="guide item")
    # The screen manager takes no touches while the screens slide: a drag then would be lost.
    d.wait_until(lambda: not d.app.root.transition.is_active, what="the guide item in place")
    guide = d.screen()
    # The labels size themselves over the next frames (more of them on a loaded machine).
    d.wait_until(
        lambda: guide.ids.fields.height > guide.ids.scroll.height, what="the item laid out longer than the screen"
    )
    return guide


# ------------------------------------------------------------------ 大字 and 特别通道


def test_large_text_is_one_touch_on_every_screen_and_resets(kiosk):
    d = started(kiosk, idle_timeout_s=120, countdown_s=1)  # short only for the reset, below
    app = d.app
    for name in ("home", "services", "guides", "guide", "ticket"):
        assert "large_text" in app.root.get_screen(name).ids.header.ids, f"no 大字 button on {name}"
    normal_body = app.ui.body
    toggle = d.screen().ids.header.ids.large_text
    assert toggle.text == "大字"
    d.tap(toggle)
    assert app.large_text and not app.elderly_mode  # 大字 only: the ticket stays a normal one
    assert app.ui.body >= 1.5 * normal_body - 0.1 and app.theme is HIGH_CONTRAST
    d.frames(3)
    assert_screen_fits(d.screen(), app.ui.min_font)
    d.tap(find_tile(d, "户政"))
    d.wait_until(lambda: app.root.current == "services", what="services")
    d.tap(button(d.screen().ids.services, "居民身份证申领"))
    d.wait_until(lambda: app.root.current == "ticket", what="ticket")
    assert d.screen().ids.number.font_size >= 1.5 * 0.99 * (app.ui.number / 1.5)
    d.tap(d.screen().ids.header.ids.large_text)  # and off again, on any screen
    assert not app.large_text and app.theme is NORMAL
    d.tap(d.screen().ids.header.ids.large_text)
    assert app.large_text
    app.idle_timeout_s = 3
    d.wait_until(lambda: app.root.current == "home", timeout=20, what="idle reset")
    assert not app.large_text and app.theme is NORMAL


def test_elderly_lane_turns_on_large_text_and_priority(kiosk, server, tmp_path):
    d = started(kiosk)
    app = d.app
    d.tap(d.screen().ids.elderly)
    assert app.elderly_mode and app.large_text
    home = d.screen()
    assert home.ids.title.text == "特别通道：请选择办理的业务"
    first = [c.text for c in home.ids.tiles.children][-1]
    assert first == "老年人业务"  # the tiles for older visitors come first in the lane
    d.tap(button(home.ids.tiles, "老年人业务"))
    d.wait_until(lambda: app.root.current == "services", what="services")
    d.tap(d.screen().ids.services.children[-1])
    d.wait_until(lambda: app.root.current == "ticket", what="ticket")
    assert server_tickets(server, tmp_path / "hall.db")[0]["priority"] == "elderly"
    d.tap(d.screen().ids.done)
    d.wait_until(lambda: app.root.current == "home", what="home")
    assert not app.elderly_mode and not app.large_text


def test_back_and_home_keep_the_visitors_choices(kiosk):
    d = started(kiosk)
    app = d.app
    d.tap(d.screen().ids.header.ids.large_text)
    d.tap(d.screen().ids.header.ids.language)
    d.tap(find_tile(d, "户政"))
    d.wait_until(lambda: app.root.current == "services", what="services")
    d.tap(d.screen().ids.nav.ids.home)
    d.wait_until(lambda: app.root.current == "home", what="home")
    assert app.large_text and app.lang == "en"


def test_colours_meet_wcag_contrast():
    """Every text colour on its background: 7:1 (AAA) in 大字 mode, 4.5:1 (AA) otherwise."""
    assert contrast((1, 1, 1, 1), (0, 0, 0, 1)) == 21
    grey = (119 / 255, 119 / 255, 119 / 255, 1)  # #777777, the grey that just fails AA on white
    assert round(contrast(grey, (1, 1, 1, 1)), 2) == 4.48
    weak = [(n, round(contrast(f, b), 2)) for n, f, b in HIGH_CONTRAST.text_pairs() if contrast(f, b) < 7]
    assert not weak, weak
    weak = [(n, round(contrast(f, b), 2)) for n, f, b in NORMAL.text_pairs() if contrast(f, b) < 4.5]
    assert not weak, weak


def test_screens_draw_with_the_theme_colours(kiosk):
    """The colours checked above are the ones on screen: a tile in 大字 mode is the high
    contrast tile colour, the page is white."""
    d = started(kiosk)
    d.tap(d.screen().ids.header.ids.large_text)
    d.frames(3)
    tile = d.screen().ids.tiles.children[-1]
    x, y = tile.to_window(tile.x + 4, tile.y + 4)
    path = d.screenshot("kiosk-portrait-large-colours.png")
    from PIL import Image

    image = Image.open(path).convert("RGB")
    pixel = image.getpixel((int(x), image.height - 1 - int(y)))
    expected = tuple(round(c * 255) for c in HIGH_CONTRAST.tile[:3])
    assert all(abs(a - b) <= 2 for a, b in zip(pixel, expected, strict=True)), (pixel, expected)


# ------------------------------------------------------------------ reading without being thrown out


def test_countdown_before_going_home_and_a_touch_keeps_the_visitor(kiosk):
    d = started(kiosk, idle_timeout_s=4, countdown_s=3)
    app = d.app
    d.tap(d.screen().ids.guides)
    d.wait_until(lambda: app.root.current == "guides", what="guides")
    d.tap(button(d.screen().ids.departments, "民政"))
    d.wait_until(lambda: overlay_shown(d), timeout=6, what="the countdown")
    overlay = app.overlay
    assert re.fullmatch(r"[1-3] 秒后返回首页", overlay.ids.countdown.text), overlay.ids.countdown.text
    assert overlay.ids.hint.text == "点击屏幕继续"
    assert_screen_fits(overlay, app.ui.min_font)
    d.screenshot("kiosk-portrait-normal-countdown.png")
    shown = [c.text for c in d.screen().ids.results.children]
    x, y = Window.width / 2, Window.height / 2  # anywhere: over a result, which must not open
    d.tap_at(x, y)
    assert not overlay_shown(d)
    assert app.root.current == "guides" and [c.text for c in d.screen().ids.results.children] == shown
    assert d.screen().selected  # the visitor's department is still highlighted
    d.wait_until(lambda: overlay_shown(d), timeout=6, what="the countdown again")
    d.wait_until(lambda: app.root.current == "home", timeout=6, what="home after the countdown")
    assert not overlay_shown(d) and not d.screen().ids.pager.page


def test_scrolling_a_long_guide_keeps_the_visitor(kiosk):
    # Getting there with room to spare (a loaded machine may take seconds over it, and a reset to
    # home would undo 大字), then the short timeout the test is about.
    d = started(kiosk, idle_timeout_s=30, countdown_s=1)
    app = d.app
    guide = open_long_guide(d)
    app.idle_timeout_s = 3
    app.keep_visitor()
    scroll = guide.ids.scroll
    # Reading for twice the idle timeout, a drag now and then: never sent home.
    deadline = time.monotonic() + 2 * app.idle_timeout_s
    direction = 1  # finger up: the text moves up, scroll_y falls towards 0
    lowest = scroll.scroll_y
    while time.monotonic() < deadline:
        before = scroll.scroll_y
        d.drag(scroll, 250 * direction)
        assert app.root.current == "guide" and not overlay_shown(d)
        # Reading on until the text stands still: a finger landing on a moving list stops it
        # instead of dragging it, which would make this loop's drags depend on the frame rate.
        settle(d, scroll)
        lowest = min(lowest, scroll.scroll_y)
        # At an edge the view only bounces (overscroll leaves it a hair past 1 or 0): turn back.
        at_edge = scroll.scroll_y <= 0.001 if direction > 0 else scroll.scroll_y >= 0.999
        if at_edge or abs(scroll.scroll_y - before) < 0.001:
            direction = -direction
    assert lowest < 0.99  # the drags did scroll the guide
    settle(d, scroll)
    # The buttons for those who do not drag: 向上翻 back to the top, then 向下翻 and up again.
    while scroll.scroll_y < 1:
        d.tap(guide.ids.scroll_up)
    d.tap(guide.ids.scroll_down)
    settle(d, scroll)
    assert scroll.scroll_y < 1
    d.tap(guide.ids.scroll_up)
    settle(d, scroll)
    assert scroll.scroll_y == 1
    # Mouse wheel (a kiosk with a trackball) counts as well.
    deadline = time.monotonic() + 1.5 * app.idle_timeout_s
    while time.monotonic() < deadline:
        wheel(d, scroll)
        assert app.root.current == "guide"
        for _ in range(20):
            d.frame()
    d.wait_until(lambda: app.root.current == "home", timeout=8, what="home once the reading stops")


def settle(d, scroll) -> None:
    """Frames until a fling has stopped."""
    last = None
    while scroll.scroll_y != last:
        last = scroll.scroll_y
        d.frames(3)


def wheel(d, widget) -> None:
    from kivy.tests.common import UnitTestTouch

    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.profile.append("button")
    touch.button = "scrolldown"
    touch.touch_down()
    d.frame()
    touch.touch_up()
    d.frame()


def test_ticket_screen_keeps_its_shorter_timeout(kiosk):
    d = started(kiosk, idle_timeout_s=120, ticket_shown_s=2, countdown_s=1)
    app = d.app
    d.tap(find_tile(d, "户政"))
    d.wait_until(lambda: app.root.current == "services", what="services")
    d.tap(button(d.screen().ids.services, "出生登记"))
    d.wait_until(lambda: app.root.current == "ticket", what="ticket")
    d.wait_until(lambda: app.root.current == "home", timeout=8, what="home after the ticket's own timeout")
    assert app.outcome is None


# ------------------------------------------------------------------ two languages


def test_catalogues_have_the_same_words():
    zh, en = strings.catalogue("zh"), strings.catalogue("en")
    assert zh.keys() == en.keys()
    used = set()
    for kv in KV_DIR.glob("*.kv"):
        used |= set(re.findall(r"app\.t\.(\w+)", kv.read_text(encoding="utf-8")))
        used |= set(re.findall(r"app\.t\.get\(\"(\w+)\"", kv.read_text(encoding="utf-8")))
    for source in (KV_DIR.parent).glob("*.py"):
        used |= set(re.findall(r"\bt\.get\(\"(\w+)\"", source.read_text(encoding="utf-8")))
    used -= {
        "get",
        "table",
        "minutes",
        "printer_problem",
        "guide_fields",
        "kind",
        "refused",
        "language",
        "checklist_problem",
        "names",
        "place",
    }
    assert used and used <= zh.keys(), used - zh.keys()


LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
ALLOWED_LATIN_IN_CHINESE = {"English", "hkqr"}  # the language button, and the pinyin example


def english_words(d) -> list[str]:
    words = []
    for t in texts_on(d.screen()):
        for word in LATIN_WORD.findall(t.text):
            if word not in ALLOWED_LATIN_IN_CHINESE:
                words.append(f"{word} in {t.text!r}")
    return words


def test_english_and_back_to_chinese_on_the_idle_reset(kiosk):
    # A long timeout while the test looks at each screen (a fit check and a screenshot can
    # take seconds on a loaded machine, and the countdown would catch the next tap), then a
    # short one for the reset itself.
    d = started(kiosk, idle_timeout_s=120, countdown_s=1)
    app = d.app
    en = strings.catalogue("en")
    assert english_words(d) == []
    header = d.screen().ids.header.ids
    assert header.language.text == "English"
    d.tap(header.language)
    home = d.screen()
    assert app.lang == "en" and header.language.text == "中文"
    assert home.ids.title.text == en.home_title and header.large_text.text == en.large_text
    assert home.ids.elderly.text == en.elderly_lane and home.ids.guides.text == en.guides
    assert all(re.fullmatch(r"\d+ waiting", c.waiting) for c in home.ids.tiles.children)
    assert_screen_fits(home, app.ui.min_font)
    d.screenshot("kiosk-portrait-english-home.png")
    d.tap(find_tile(d, "户政"))  # service names stay Chinese: the server has no English for them
    d.wait_until(lambda: app.root.current == "services", what="services")
    services = d.screen()
    assert services.ids.title.text == "户政 · take a ticket"
    assert services.ids.nav.ids.back.text == "Back" and services.ids.nav.ids.home.text == "Start"
    assert_screen_fits(services, app.ui.min_font)
    d.screenshot("kiosk-portrait-english-services.png")
    d.tap(button(services.ids.services, "户口迁移登记"))
    d.wait_until(lambda: app.root.current == "ticket", what="ticket")
    ticket = d.screen()
    assert ticket.ids.ahead.text == "0 people ahead of you"
    assert_screen_fits(ticket, app.ui.min_font)
    d.screenshot("kiosk-portrait-english-ticket.png")
    app.idle_timeout_s = 3
    d.wait_until(lambda: app.root.current == "home", timeout=20, what="the idle reset")
    assert app.lang == "zh" and d.screen().ids.title.text == "请选择办理的业务"
    assert english_words(d) == []


def test_no_english_anywhere_in_chinese(kiosk):
    d = started(kiosk)
    app = d.app
    seen = []

    def look() -> None:
        d.frames(2)
        seen.append(app.root.current)
        assert english_words(d) == [], app.root.current

    look()
    d.tap(find_tile(d, "户政"))
    d.wait_until(lambda: app.root.current == "services", what="services")
    look()
    d.tap(d.screen().ids.nav.ids.back)
    d.tap(d.screen().ids.guides)
    d.wait_until(lambda: app.root.current == "guides", what="guides")
    d.tap(button(d.screen().ids.departments, "公安"))
    look()
    d.tap(d.screen().ids.results.children[-1])
    d.wait_until(lambda: app.root.current == "guide", what="guide")
    look()
    d.tap(d.screen().ids.take)
    d.wait_until(lambda: app.root.current == "ticket", what="ticket")
    look()
    assert seen == ["home", "services", "guides", "guide", "ticket"]


def test_a_refusal_is_said_in_english(kiosk, server):
    server.clock.advance(hours=11)  # 20:00: the 户政 windows are closed
    d = started(kiosk)
    app = d.app
    d.tap(d.screen().ids.header.ids.language)
    d.tap(find_tile(d, "户政"))
    d.wait_until(lambda: app.root.current == "services", what="services")
    closed = button(d.screen().ids.services, "户口迁移登记")
    assert closed.detail.startswith("Not issuing tickets now")
    d.tap(closed)
    d.wait_until(lambda: "does not issue tickets now" in app.notice, what="the refusal in English")
    assert "08:30-12:00" in app.notice
    d.tap(d.screen().ids.header.ids.language)  # and in Chinese, the server's own words
    assert "现在不办理" in app.notice


def test_large_text_after_many_visitors(kiosk):
    """The lists are rebuilt for every visitor; 大字 later must not reach the widgets gone."""
    import gc

    d = started(kiosk)
    app = d.app
    for _ in range(6):
        d.tap(find_tile(d, "户政"))
        d.wait_until(lambda: app.root.current == "services", what="services")
        d.tap(d.screen().ids.nav.ids.back)
        d.tap(d.screen().ids.guides)
        d.tap(button(d.screen().ids.departments, "民政"))
        d.tap(d.screen().ids.nav.ids.back)
    gc.collect()
    for _ in range(2):
        d.tap(d.screen().ids.header.ids.large_text)
        d.tap(d.screen().ids.header.ids.language)
    assert not app.large_text and app.lang == "zh"
    d.tap(d.screen().ids.header.ids.large_text)
    d.frames(3)
    assert_screen_fits(d.screen(), app.ui.min_font)
