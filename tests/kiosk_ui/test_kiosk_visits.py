"""Several services in one visit, where to go, and the printed 一次性告知单, tapped like a visitor
would in a real window against a real server (the sample hall):

- 两证一起办 on the 老年人业务 tile: one number for both elderly cards (window 19 serves both);
- 加选 on services no window shares (户口 + 纳税申报, from two tiles): linked numbers, in order;
- 打印告知单 on a guide item: its materials on the printer; paper out said plainly and reported.

Screens are checked on their widgets (no text below the mode's size, none cut or overlapping,
all inside the window) and photographed as test-artifacts/kiosk-<shape>-<mode>-visit-*.png.
"""

from __future__ import annotations

import pytest

from hardware.printer import TicketPrinter
from kiosk import strings
from kiosk.widgets import ChooseBox, ServiceButton, TogetherButton

from ..ids import citizen_id
from .checks import assert_screen_fits
from .driver import SHAPES
from .test_kiosk_shapes import find_tile
from .test_kiosk_ui import server_tickets, tiles_loaded

ZH = strings.ZH
ELDER_CARD, BUS_CARD = "老年人优待证（即办）", "老年人免费乘车卡（即办）"
ELDER_WHERE = "17、18、19 号窗口（一楼B区）"


def started(kiosk, printer="dummy:", shape="portrait", mode="normal", **options):
    d = kiosk(printer=TicketPrinter(printer) if printer else None, size=SHAPES[shape], **options)
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    if mode == "elderly":
        d.tap(d.screen().ids.elderly)
        d.wait_until(lambda: d.app.ui.large and d.app.elderly_mode, what="特别通道 and 大字 on")
    return d


def open_tile(d, name):
    if d.app.root.current != "home":
        d.tap(d.screen().ids.nav.ids.home)
        d.wait_until(lambda: d.app.root.current == "home", what="home")
    d.tap(find_tile(d, name))
    d.wait_until(lambda: d.app.root.current == "services", what=f"the {name} services")
    d.frames(2)
    return d.screen()


def service(d, name) -> ServiceButton:
    """The service ``name`` on the services screen, turning its pages until it shows."""
    screen = d.screen()
    for _ in range(screen.ids.pager.pages):
        for child in screen.ids.services.children:
            if isinstance(child, ServiceButton) and child.text == name:
                return child
        d.tap(screen.ids.pager.ids.next)
    raise AssertionError(f"no service {name!r} on any page")


def choose(d, tile, name) -> None:
    """加选 ``name`` on ``tile`` (or a touch on it, once the visitor is choosing)."""
    open_tile(d, tile)
    before = list(d.app.chosen)
    target = service(d, name)
    d.tap(target.ids.choose if not before else target)
    d.wait_until(lambda: len(d.app.chosen) == len(before) + 1, what=f"{name} chosen")
    assert service(d, name).chosen


def take_chosen(d):
    d.tap(d.screen().ids.visit.ids.take)
    d.wait_until(lambda: d.app.root.current == "ticket", what="the visit's ticket")
    d.frames(4)
    return d.screen()


def check(d, name):
    d.frames(3)
    assert_screen_fits(d.screen(), d.app.ui.min_font)
    if name:
        d.screenshot(name)


def printed_text(printer) -> str:
    return printer.kept_bytes.decode("gb18030", errors="replace")


# ------------------------------------------------------------------ 两证一起办


def test_both_elderly_cards_in_one_visit_is_one_number(kiosk, server, tmp_path):
    d = started(kiosk)
    app = d.app
    services = open_tile(d, "老年人业务")
    together = services.ids.services.children[-1]  # first on the list
    assert isinstance(together, TogetherButton) and together.text == "两证一起办"
    assert ELDER_CARD in together.detail and BUS_CARD in together.detail
    d.tap(together)
    d.wait_until(lambda: app.root.current == "ticket", what="the ticket")
    ticket = d.screen()
    d.frames(4)
    assert ticket.ids.number.text == "J001"
    assert ticket.ids.service.text == ELDER_CARD
    assert ticket.ids.also.text == f"同时办理：{BUS_CARD}"
    assert ticket.ids.where.text == f"办理窗口：{ELDER_WHERE}"
    assert not ticket.has_linked and not ticket.ids.linked.children
    assert_screen_fits(ticket, app.ui.min_font)
    rows = server_tickets(server, tmp_path / "hall.db")
    assert [r["number"] for r in rows] == ["J001"]  # one number carrying both cards
    text = printed_text(app.printer)
    assert "J001" in text and f"同时办理：{BUS_CARD}" in text and ELDER_WHERE in text


def test_a_single_touch_still_takes_a_ticket_at_once(kiosk, server, tmp_path):
    d = started(kiosk)
    open_tile(d, "户政")
    d.tap(service(d, "出生登记"))
    d.wait_until(lambda: d.app.root.current == "ticket", what="the ticket at once")
    assert d.screen().ids.where.text == "办理窗口：1、2、3 号窗口（一楼A区）"
    assert not d.screen().ids.also.text and not d.screen().has_linked
    assert len(server_tickets(server, tmp_path / "hall.db")) == 1


# ------------------------------------------------------------------ 加选: services no window shares


def test_two_services_no_window_shares_give_linked_numbers_in_order(kiosk, server, tmp_path):
    d = started(kiosk)
    app = d.app
    choose(d, "户政", "户口迁移登记")
    visit = d.screen().ids.visit
    assert visit.shown and visit.ids.take.text == "取号（1 项）"
    assert visit.ids.summary.text == "已选：户口迁移登记"
    d.tap(d.screen().ids.nav.ids.back)
    d.wait_until(lambda: app.root.current == "home", what="home")
    assert d.screen().ids.visit.shown  # the choice is kept, and shown at home too
    assert_screen_fits(d.screen(), app.ui.min_font)
    choose(d, "税务", "纳税申报（国地税一窗）")  # a plain touch now chooses it
    assert d.screen().ids.visit.ids.take.text == "取号（2 项）"
    assert server_tickets(server, tmp_path / "hall.db") == []  # nothing taken yet
    ticket = take_chosen(d)
    rows = server_tickets(server, tmp_path / "hall.db")
    assert sorted(r["service"] for r in rows) == ["hz-hukou", "tax-declare"]
    first = app.outcome.ticket
    assert ticket.ids.number.text == first["number"] and ticket.ids.your_number.text == ZH.first_number
    assert ticket.has_linked and ticket.ids.linked_title.text == "本次还需办理（请依次留意叫号）"
    [card] = ticket.ids.linked.children
    other = first["linked"][0]
    assert card.ids.head.text == f"{other['number']}  {other['service_name']}"
    assert card.ids.where.text == other["where"] and other["where"]
    assert card.ids.wait.text.startswith("前面 0 人")
    assert ticket.ids.where.text == f"办理窗口：{first['where']}"
    assert_screen_fits(ticket, app.ui.min_font)
    text = printed_text(app.printer)
    assert all(r["number"] in text for r in rows) and "本次还需办理" in text
    assert app.chosen == []  # the visit is taken: the next visitor starts afresh
    d.tap(ticket.ids.done)
    assert app.root.current == "home" and not d.screen().ids.visit.shown


def test_the_idle_reset_forgets_the_choice(kiosk, server, tmp_path):
    # Timeouts with room for a loaded CI machine: the test needs the choice to outlive the walk
    # home, then the reset to come.
    d = started(kiosk, idle_timeout_s=6, countdown_s=1)
    choose(d, "户政", "户口迁移登记")
    d.tap(d.screen().ids.nav.ids.home)
    d.wait_until(lambda: d.app.root.current == "home", what="home")
    assert d.app.has_visitor()  # a choice on the home screen is somebody's
    d.wait_until(lambda: not d.app.chosen, timeout=20, what="the idle reset")
    assert not d.screen().ids.visit.shown and server_tickets(server, tmp_path / "hall.db") == []


def test_choosing_can_be_undone_and_is_limited(kiosk, server, tmp_path):
    d = started(kiosk)
    app = d.app
    choose(d, "户政", "居民身份证申领")
    target = service(d, "居民身份证申领")
    d.tap(target.ids.choose)  # 已选 -> off again
    assert app.chosen == [] and not target.chosen and not d.screen().ids.visit.shown
    d.tap(service(d, "出生登记"))  # nothing chosen: a touch takes the ticket at once
    d.wait_until(lambda: app.root.current == "ticket", what="the ticket")
    d.tap(d.screen().ids.done)
    for name in ("居民身份证申领", "户口迁移登记", "出生登记"):
        choose(d, "户政", name)
    open_tile(d, "税务")
    d.tap(service(d, "纳税申报（国地税一窗）"))  # a fourth: refused, said plainly
    assert len(app.chosen) == app.max_chosen == 3 and app.notice == "一次最多可选 3 项"
    d.tap(d.screen().ids.visit.ids.clear_chosen)
    assert app.chosen == [] and app.notice == ""
    assert len(server_tickets(server, tmp_path / "hall.db")) == 1


def test_a_visit_in_english(kiosk, server):
    d = started(kiosk, printer="dummy:")
    d.tap(d.screen().ids.header.ids.language)
    together = open_tile(d, "老年人业务").ids.services.children[-1]
    assert together.text == "Both cards in one visit" and together.detail.endswith(": one number, one window")
    assert service(d, ELDER_CARD).ids.choose.ids.label.text == "Add"
    choose(d, "户政", "户口迁移登记")
    choose(d, "税务", "纳税申报（国地税一窗）")
    visit = d.screen().ids.visit
    assert visit.ids.take.text == "Take a ticket (2)" and visit.ids.summary.text.startswith("Chosen: 户口迁移登记, ")
    check(d, "kiosk-portrait-english-visit-services.png")
    ticket = take_chosen(d)
    assert ticket.ids.your_number.text == "Your number (go here first)"
    assert ticket.ids.where.text.startswith("Go to: window")
    assert ticket.ids.linked_title.text.startswith("Also in this visit")
    [card] = ticket.ids.linked.children
    assert card.ids.where.text.startswith("windows ") and " ahead · " in card.ids.wait.text
    check(d, "kiosk-portrait-english-visit-ticket.png")


# ------------------------------------------------------------------ every shape, normal and 大字


@pytest.mark.parametrize("mode", ["normal", "elderly"])
@pytest.mark.parametrize("shape", ["portrait", "landscape", "square"])
def test_visits_fit_every_shape(kiosk, server, shape, mode):
    d = started(kiosk, shape=shape, mode=mode)
    app = d.app
    open_tile(d, "老年人业务")
    check(d, f"kiosk-{shape}-{mode}-visit-together.png")
    d.tap(d.screen().ids.services.children[-1])  # 两证一起办
    d.wait_until(lambda: app.root.current == "ticket", what="the ticket")
    assert d.screen().ids.also.text and not d.screen().has_linked
    check(d, f"kiosk-{shape}-{mode}-visit-ticket-together.png")
    d.tap(d.screen().ids.done)
    if mode == "elderly":
        d.tap(d.screen().ids.elderly)
        d.wait_until(lambda: app.elderly_mode, what="特别通道 again")
    # The worst case: three services no window shares, from three tiles.
    choose(d, "户政", "户口迁移登记")
    choose(d, "税务", "纳税申报（国地税一窗）")
    choose(d, "出入境", "普通护照办理")
    for b in d.screen().ids.services.children:
        if isinstance(b, ServiceButton):  # the 加选 box beside the name, never over it
            assert b.ids.choose.x >= b.ids.texts.right - 1, b.text
            assert b.ids.choose.width >= ChooseBox.needed_width(app.ui, app.t) - 1
    check(d, f"kiosk-{shape}-{mode}-visit-services.png")
    d.tap(d.screen().ids.nav.ids.back)
    d.wait_until(lambda: app.root.current == "home", what="home")
    check(d, f"kiosk-{shape}-{mode}-visit-home.png")
    d.tap(d.screen().ids.visit.ids.take)
    # 普通护照办理 takes tickets by ID (实名取号): the number first, on the keypad, then the visit.
    d.wait_until(lambda: app.root.current == "idcard", what="the ID screen")
    id_screen = d.screen()
    assert id_screen.mode == "keypad" and app.pending is None
    for c in citizen_id("19800101", region="429005"):
        d.tap(id_screen.key(c))
    check(d, f"kiosk-{shape}-{mode}-visit-idcard.png")
    d.tap(id_screen.ids.confirm)
    d.wait_until(lambda: app.root.current == "ticket", what="the visit's ticket")
    ticket = d.screen()
    d.frames(6)
    assert len(ticket.ids.linked.children) == 2
    assert ticket.ids.number.font_size >= app.ui.title * 2 - 0.5  # still the largest thing by far
    assert ticket.ids.qr.height >= app.ui.mm(40) - 1  # still scans
    check(d, f"kiosk-{shape}-{mode}-visit-ticket-linked.png")
    assert bool(ticket.ids.priority.text) == (mode == "elderly")


# ------------------------------------------------------------------ 打印告知单


def open_guide(d, name):
    """Search the guide for ``name`` and open it."""
    d.tap(d.screen().ids.guides)
    d.wait_until(lambda: d.app.root.current == "guides", what="guides")
    guides = d.screen()
    d.tap(guides.ids.query)
    d.type_text(name)
    d.tap(next(c for c in guides.ids.results.children if c.text == name))
    d.wait_until(lambda: d.app.root.current == "guide", what="guide item")
    d.frames(3)
    return d.screen()


def test_print_the_checklist_of_a_guide_item(kiosk, server):
    d = started(kiosk)
    app = d.app
    guide = open_guide(d, "老年人优待证委托代办")
    assert guide.ids.where.text == f"办理窗口：{ELDER_WHERE}"
    d.tap(guide.ids.print_checklist)
    d.wait_until(lambda: guide.checklist == "printed", what="the 告知单 printed")
    assert guide.ids.checklist_status.text == "告知单已打印，请取走"
    text = printed_text(app.printer)
    assert "一次性告知单" in text and "老年人优待证委托代办" in text
    for material in guide.item["materials"]:
        assert material in text
    assert "不收费" in text and ELDER_WHERE in text
    assert guide.item["page_url"].encode() in app.printer.kept_bytes  # its QR code
    check(d, "kiosk-portrait-normal-guide-printed.png")
    d.tap(d.screen().ids.header.ids.language)
    assert guide.ids.checklist_status.text == "Checklist printed: please take it"
    assert guide.ids.print_checklist.text == "Print the checklist"


@pytest.mark.parametrize("shape", ["portrait", "landscape"])
def test_paper_out_for_the_checklist_is_said_and_reported(kiosk, server, tmp_path, shape):
    d = started(kiosk, printer="dummy:?state=paper_out", shape=shape, mode="elderly")
    guide = open_guide(d, "首次申请普通护照")
    d.tap(guide.ids.print_checklist)
    d.wait_until(lambda: guide.checklist == "paper_out", what="paper out")
    assert guide.ids.checklist_status.text.replace("\n", "") == ZH.checklist_problem("paper_out")
    assert d.app.root.current == "guide" and guide.ids.fields.children  # the page is still there
    check(d, f"kiosk-{shape}-elderly-guide-paper-out.png")
    from queue_server.store.database import open_database

    db = open_database(tmp_path / "hall.db")
    faults = list(db.query("SELECT component, state FROM device_faults WHERE cleared_at IS NULL"))
    db.close()
    assert faults == [{"component": "printer", "state": "paper_out"}]


def test_no_printer_no_print_button(kiosk):
    d = started(kiosk, printer=None)
    guide = open_guide(d, "老年人优待证办理")
    assert guide.ids.print_checklist.parent is None
    assert guide.ids.take.width > 0.9 * guide.ids.actions.width  # the ticket button takes the row
    check(d, None)


def test_long_lines_break_where_they_read_well(kiosk):
    from kiosk.widgets import nice_wrap, text_width

    started(kiosk)  # the kiosk's font
    font = 40.0
    em = text_width("一", font)
    assert nice_wrap("办理窗口：1、2、3 号窗口（一楼A区）", font, 17 * em) == "办理窗口：\n1、2、3 号窗口（一楼A区）"
    assert nice_wrap("E001  纳税申报（国地税一窗）", font, 10 * em, True).startswith("E001  纳税申报\n")
    assert nice_wrap("前面还有 3 人等候", font, 20 * em) == "前面还有 3 人等候"  # fits: as it is
    paragraph = nice_wrap(ZH.checklist_problem("paper_out"), font, 9.5 * em)
    lines = paragraph.split("\n")
    assert "".join(lines) == ZH.checklist_problem("paper_out")
    assert all(text_width(line, font) <= 9.5 * em for line in lines)
    assert not any(line[0] in "，。、：）" for line in lines) and all(len(line) > 1 for line in lines)
    english = "The printer is out of paper: the checklist was not printed."
    assert nice_wrap(english, font, 10 * em) == english  # English breaks at its spaces, in Kivy
