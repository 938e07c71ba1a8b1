"""The kiosk in a real Kivy window, tapped like a visitor would, against a real server."""

from __future__ import annotations

from hardware.printer import TicketPrinter
from kiosk import strings
from queue_server.client import HallClient

from ..serverproc import free_port
from .conftest import LoopbackServer


def tiles_loaded(d) -> bool:
    return d.app.root.current == "home" and len(d.app.root.get_screen("home").ids.tiles.children) > 0


def button(container, text):
    for child in container.children:
        if getattr(child, "text", None) == text:
            return child
    raise AssertionError(f"no button {text!r} among {[getattr(c, 'text', None) for c in container.children]}")


def server_tickets(server, db_path) -> list[dict]:
    from queue_server.store.database import open_database

    db = open_database(db_path)
    try:
        return list(db.query("SELECT number, service, priority FROM tickets ORDER BY id"))
    finally:
        db.close()


def test_two_touches_to_a_printed_ticket(kiosk, server, tmp_path):
    printer = TicketPrinter("dummy:")
    d = kiosk(printer=printer)
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    home = d.screen()
    d.screenshot("kiosk-home.png")
    d.tap(button(home.ids.tiles, "户政"))  # touch 1
    d.wait_until(lambda: d.app.root.current == "services", what="services")
    services = d.screen()
    d.screenshot("kiosk-services.png")
    d.tap(button(services.ids.services, "居民身份证申领"))  # touch 2
    d.wait_until(lambda: d.app.root.current == "ticket", what="ticket screen")
    ticket = d.screen()
    assert ticket.ids.number.text == "A001"
    assert ticket.ids.ahead.text == "前面还有 0 人等候"
    assert ticket.ids.printer_message.text == strings.PRINTED
    assert ticket.qr is not None
    d.screenshot("kiosk-ticket.png")
    assert server_tickets(server, tmp_path / "hall.db") == [
        {"number": "A001", "service": "hz-idcard", "priority": "normal"}
    ]
    assert b"A001" in printer.kept_bytes and "居民身份证申领".encode("gb18030") in printer.kept_bytes
    d.tap(ticket.ids.done)
    d.wait_until(lambda: d.app.root.current == "home", what="home again")
    assert d.app.outcome is None


def test_elderly_lane_issues_a_priority_ticket(kiosk, server, tmp_path):
    d = kiosk(printer=TicketPrinter("dummy:"))
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    home = d.screen()
    d.tap(home.ids.elderly)
    assert d.app.elderly_mode
    d.tap(button(home.ids.tiles, "老年人业务"))
    d.wait_until(lambda: d.app.root.current == "services", what="services")
    d.tap(d.screen().ids.services.children[-1])
    d.wait_until(lambda: d.app.root.current == "ticket", what="ticket screen")
    assert server_tickets(server, tmp_path / "hall.db")[0]["priority"] == "elderly"
    assert "特别通道" in d.screen().ids.priority.text
    d.screenshot("kiosk-ticket-elderly.png")


def test_guide_search_by_characters_and_initials_then_take_a_ticket(kiosk, server, tmp_path):
    d = kiosk(printer=TicketPrinter("dummy:"))
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    d.tap(d.screen().ids.guides)
    d.wait_until(lambda: d.app.root.current == "guides", what="guides")
    guides = d.screen()
    d.tap(button(guides.ids.departments, "民政"))  # browse by department
    browsed = [c.text for c in guides.ids.results.children]
    assert browsed and any("老年人优待证" in n for n in browsed) and not any("护照" in n for n in browsed)
    d.tap(guides.ids.query)
    d.wait_until(lambda: guides.ids.query.focus, what="search focus")
    d.type_text("户口")
    names = [c.text for c in guides.ids.results.children]
    assert names and any(n.startswith("户口") for n in names)
    guides.ids.query.text = ""
    d.type_text("lnr")  # 老年人 by its initials
    d.frames(2)
    names = [c.text for c in guides.ids.results.children]
    assert any("老年人优待证" in n for n in names), names
    d.screenshot("kiosk-guides-search.png")
    d.tap(next(c for c in guides.ids.results.children if "老年人优待证" in c.text))
    d.wait_until(lambda: d.app.root.current == "guide", what="guide page")
    guide = d.screen()
    shown = [c.text for c in guide.ids.fields.children]
    for title in ("法定依据", "申请条件", "申报材料", "办理程序", "法定时限", "承诺时限", "收费标准", "投诉电话"):
        assert title in shown
    d.screenshot("kiosk-guide.png")
    d.tap(guide.ids.take)
    d.wait_until(lambda: d.app.root.current == "ticket", what="ticket")
    assert server_tickets(server, tmp_path / "hall.db")[0]["service"] == guide.item["service"]


def test_paper_out_shows_the_ticket_and_says_so(kiosk, server, tmp_path):
    d = kiosk(printer=TicketPrinter("dummy:?state=paper_out"))
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    d.tap(button(d.screen().ids.tiles, "户政"))
    d.wait_until(lambda: d.app.root.current == "services", what="services")
    d.tap(button(d.screen().ids.services, "户口迁移登记"))
    d.wait_until(lambda: d.app.root.current == "ticket", what="ticket")
    ticket = d.screen()
    assert ticket.ids.number.text == "A001" and ticket.qr is not None
    assert "缺纸" in ticket.ids.printer_message.text
    d.screenshot("kiosk-ticket-paper-out.png")
    from queue_server.store.database import open_database

    db = open_database(tmp_path / "hall.db")
    faults = list(db.query("SELECT component, state FROM device_faults WHERE cleared_at IS NULL"))
    db.close()
    assert faults == [{"component": "printer", "state": "paper_out"}]


def test_closed_service_is_said_plainly_with_its_hours(kiosk, server):
    server.clock.advance(hours=11)  # 20:00
    d = kiosk(printer=TicketPrinter("dummy:"))
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    d.tap(button(d.screen().ids.tiles, "户政"))
    d.wait_until(lambda: d.app.root.current == "services", what="services")
    services = d.screen()
    assert "暂停取号" in button(services.ids.services, "户口迁移登记").detail
    d.tap(button(services.ids.services, "户口迁移登记"))
    d.wait_until(lambda: "现在不办理" in d.app.notice, what="closed notice")
    assert "08:30-12:00" in d.app.notice
    d.screenshot("kiosk-closed.png")


def test_server_away_then_back(kiosk, tmp_path):
    from ..conftest import Clock

    port = free_port()
    d = kiosk(client=HallClient(f"http://127.0.0.1:{port}", "no-server-yet", timeout_s=1))
    d.wait_until(lambda: d.app.notice == strings.OFFLINE, what="offline notice")
    d.screenshot("kiosk-offline.png")
    server = LoopbackServer(tmp_path / "later.db", Clock(), port=port)
    try:
        d.app.client.token = server.kiosk_token
        d.wait_until(lambda: tiles_loaded(d) and d.app.notice == "", timeout=15, what="automatic reload")
    finally:
        server.stop()


def test_idle_timeout_returns_home_and_forgets(kiosk, server):
    # Short only for the return, below: a loaded machine may idle a second between the taps.
    d = kiosk(printer=TicketPrinter("dummy:"), idle_timeout_s=120, countdown_s=1)
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    d.tap(d.screen().ids.guides)
    d.wait_until(lambda: d.app.root.current == "guides", what="guides")
    guides = d.screen()
    d.tap(guides.ids.query)
    d.type_text("社保")
    assert guides.ids.results.children
    d.app.idle_timeout_s = 1
    d.wait_until(lambda: d.app.root.current == "home", timeout=20, what="idle return")
    assert guides.ids.query.text == "" and not guides.ids.results.children


def test_live_counts_on_the_home_screen(kiosk, server):
    import json
    import urllib.request

    d = kiosk(printer=TicketPrinter("dummy:"))
    d.wait_until(lambda: tiles_loaded(d) and d.app.live, what="live feed")
    request = urllib.request.Request(
        server.url + "/api/tickets",
        data=json.dumps({"service": "hz-hukou"}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {server.kiosk_token}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(request).close()
    tile = button(d.screen().ids.tiles, "户政")
    d.wait_until(lambda: tile.waiting == "等候 1 人", what="count pushed to the tile")
