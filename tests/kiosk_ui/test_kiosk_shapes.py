"""Every kiosk shape (portrait 1080x1920, landscape 1920x1080, the older 1280x1024), for a normal
visitor and an elderly one (特别通道: 大字 and a priority ticket): the screens a visitor goes
through, tapped like a visitor would, each checked on its widgets (no text below the mode's size,
none cut, none overlapping, all inside the window) and photographed as
test-artifacts/kiosk-<shape>-<mode>-<screen>.png (mode: normal or elderly)."""

from __future__ import annotations

import pytest

from hardware.printer import TicketPrinter
from kiosk.layout import CAP_HEIGHT, MIN_CAP_MM, Layout
from kiosk.widgets import TileButton

from .checks import assert_screen_fits, texts_on
from .driver import SHAPES
from .test_kiosk_ui import button, tiles_loaded


def find_tile(d, name):
    """The tile ``name``, turning the home screen's pages until it shows."""
    home = d.app.root.get_screen("home")
    for _ in range(home.ids.pager.pages):
        for child in home.ids.tiles.children:
            if getattr(child, "text", None) == name:
                return child
        d.tap(home.ids.pager.ids.next)
    raise AssertionError(f"no tile {name!r} on any page")


def check(d, shape, mode, screen):
    d.frames(3)
    root = d.screen()
    assert_screen_fits(root, d.app.ui.min_font)
    d.screenshot(f"kiosk-{shape}-{mode}-{screen}.png")


def start(kiosk, shape, mode):
    d = kiosk(printer=TicketPrinter("dummy:"), size=SHAPES[shape])
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    if mode == "elderly":
        d.tap(d.screen().ids.elderly)
        d.wait_until(lambda: d.app.ui.large and d.app.elderly_mode, what="特别通道 and 大字 on")
    return d


@pytest.mark.parametrize("mode", ["normal", "elderly"])
@pytest.mark.parametrize("shape", ["portrait", "landscape"])
def test_every_screen_fits_the_shape(kiosk, shape, mode):
    d = start(kiosk, shape, mode)
    app = d.app
    assert app.ui.shape == shape and app.ui.large == (mode == "elderly")
    check(d, shape, mode, "home")
    home = d.screen()
    shown = [c for c in home.ids.tiles.children if isinstance(c, TileButton)]
    if mode == "elderly":  # fewer at once, the rest a page away
        assert len(shown) <= len(app.tiles) / 2 and home.ids.pager.pages >= 2
    else:  # all twelve on one screen
        assert len(shown) == len(app.tiles) == 12 and home.ids.pager.pages == 1

    d.tap(find_tile(d, "户政"))
    d.wait_until(lambda: app.root.current == "services", what="services")
    services = d.screen()
    check(d, shape, mode, "services")
    for b in services.ids.services.children:  # the 等候 line under the name, never on it
        assert b.ids.detail.top <= b.ids.name.y + 1, (b.text, b.ids.detail.top, b.ids.name.y)

    d.tap(services.ids.nav.ids.back)
    d.wait_until(lambda: app.root.current == "home", what="home")
    assert app.ui.large == app.elderly_mode == (mode == "elderly")  # 返回 keeps the visitor's choices
    d.tap(d.screen().ids.guides)
    d.wait_until(lambda: app.root.current == "guides", what="guides")
    guides = d.screen()
    d.tap(button(guides.ids.departments, "民政"))
    check(d, shape, mode, "guides")
    d.tap(next(c for c in guides.ids.results.children if "老年人优待证" in c.text))
    d.wait_until(lambda: app.root.current == "guide", what="guide item")
    check(d, shape, mode, "guide")

    d.tap(d.screen().ids.take)
    d.wait_until(lambda: app.root.current == "ticket", what="ticket")
    check(d, shape, mode, "ticket")
    assert bool(d.screen().ids.priority.text) == (mode == "elderly")


@pytest.mark.parametrize("mode", ["normal", "elderly"])
def test_the_older_4_to_3_kiosk_home(kiosk, mode):
    d = start(kiosk, "square", mode)
    assert d.app.ui.shape == "square"
    check(d, "square", mode, "home")
    d.tap(find_tile(d, "户政"))
    d.wait_until(lambda: d.app.root.current == "services", what="services")
    check(d, "square", mode, "services")


def test_text_is_sized_in_millimetres():
    """The same panel size shows the same text whatever its orientation; the smallest text has
    capitals of 5 mm or more; 大字 is 1.5 times larger."""
    portrait, landscape = Layout.compute(1080, 1920, 32), Layout.compute(1920, 1080, 32)
    assert portrait.caption == landscape.caption and portrait.body == landscape.body
    for w, h in SHAPES.values():
        for large in (False, True):
            ui = Layout.compute(w, h, None, large)
            assert ui.min_font * CAP_HEIGHT >= MIN_CAP_MM * ui.ppmm
            if large:
                normal = Layout.compute(w, h, None, False)
                assert ui.min_font >= 1.5 * normal.min_font - 0.1
                assert ui.body >= 1.5 * normal.body - 0.1


def test_the_smallest_text_measures_5_mm(kiosk):
    """Rendered, not computed: the capital H of the smallest text is at least 5 mm tall."""
    from kivy.core.text import Label as CoreLabel

    d = kiosk(printer=TicketPrinter("dummy:"))
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    ui = d.app.ui
    label = CoreLabel(text="H", font_size=ui.min_font)
    label.refresh()
    texture = label.texture
    w, h = texture.size
    pixels = texture.pixels
    inked = [y for y in range(h) if any(pixels[(y * w + x) * 4 + 3] > 128 for x in range(w))]
    cap_mm = (max(inked) - min(inked) + 1) / ui.ppmm
    assert cap_mm >= MIN_CAP_MM, cap_mm
    smallest = min(t.widget.font_size for t in texts_on(d.screen()))
    assert smallest >= ui.min_font - 0.05
