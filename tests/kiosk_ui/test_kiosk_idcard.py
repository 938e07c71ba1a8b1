"""身份证取号 in a real Kivy window against the real server, with the ID card reader simulated on a
real pty (tests/idcard_sim.py): a card laid on the home screen, then a service, then the ticket;
an elderly card and the 特别通道; the second ticket of the day for the same ID refused; the number
typed on the keypad, checked as it is typed; a service that requires an ID asking for it first;
a booking made with the ID checked in by the card; the reader unplugged or silent (a fault, and
the keypad still works); the new screens at every kiosk shape, normal and 大字."""

from __future__ import annotations

from datetime import date

import pytest

from hardware.idcard import IdCard
from hardware.printer import TicketPrinter
from queue_server.store.database import open_database

from ..idcard_sim import ReaderSim
from ..ids import citizen_id
from .checks import assert_screen_fits, texts_on
from .driver import SHAPES
from .test_kiosk_booking import api
from .test_kiosk_ui import server_tickets, tiles_loaded
from .test_kiosk_visits import open_tile, service

PASSPORT = "普通护照办理"  # crj-passport: real_name = "required", one ticket per ID a day


def card(name: str, birth: str) -> IdCard:
    return IdCard(
        name=name,
        sex="男",
        ethnicity="汉",
        birth=date(int(birth[:4]), int(birth[4:6]), int(birth[6:])),
        address="湖北省潜江市园林街道章华中路1号",
        id_number=citizen_id(birth, region="429005"),
        authority="潜江市公安局",
        valid_from=date(2020, 1, 1),
        valid_to=None,
    )


ELDER = card("张建三", "19490315")  # 76 or over, whatever the day
YOUNG = card("李明", "19900101")


@pytest.fixture
def reader(tmp_path):
    sim = ReaderSim(None, link=tmp_path / "idcard").start()  # a stable name, as udev gives
    yield sim
    sim.stop()


def start(kiosk, reader=None, shape="portrait", mode="normal", **options):
    if reader is not None:
        options["idcard"] = reader.uri
    d = kiosk(printer=TicketPrinter("dummy:"), size=SHAPES[shape], **options)
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    if mode == "elderly":
        d.tap(d.screen().ids.elderly)
        d.wait_until(lambda: d.app.ui.large and d.app.elderly_mode, what="特别通道 and 大字 on")
    if reader is not None:
        d.wait_until(lambda: d.app.idcard.healthy, what="the reader answering")
    return d


def lay(d, reader, laid: IdCard | None) -> None:
    """Lay ``laid`` on the reader (None: lift the card, and wait until the kiosk has seen it go)."""
    reader.card = laid
    if laid is None:
        d.wait_until(lambda: d.app.idcard._last is None, what="the card lifted")


def idcard_screen(d, mode: str):
    d.wait_until(lambda: d.app.root.current == "idcard" and d.screen().mode == mode, what=f"the ID screen ({mode})")
    d.frames(3)
    return d.screen()


def on_screen(d) -> str:
    return "\n".join(t.text for t in texts_on(d.screen()))


def type_id(d, number: str) -> None:
    screen = d.app.root.get_screen("idcard")
    for c in number:
        d.tap(screen.key(c))


def ticket_ids(server, tmp_path) -> list[dict]:
    db = open_database(tmp_path / "hall.db")
    try:
        return list(db.query("SELECT service, id_hash FROM ticket_ids"))
    finally:
        db.close()


def take_passport(d):
    open_tile(d, "出入境")
    d.tap(service(d, PASSPORT))
    d.wait_until(lambda: d.app.root.current in ("ticket", "idcard"), what="the ticket, or why not")
    d.frames(3)
    return d.screen()


def test_a_card_on_home_then_a_service_then_the_ticket_and_no_second_one(kiosk, server, tmp_path, reader):
    d = start(kiosk, reader)
    lay(d, reader, YOUNG)  # on the home screen, nothing touched
    result = idcard_screen(d, "result")
    assert result.ids.who.text == f"李*  {YOUNG.age_on(date.today())} 岁"
    assert result.ids.lane.text == "" and not d.app.elderly_mode
    assert YOUNG.id_number not in on_screen(d) and "李明" not in on_screen(d)  # masked, never the number
    d.tap(result.ids.next)
    d.wait_until(lambda: d.app.root.current == "home", what="home")
    assert d.screen().ids.title.text == "李*，请选择办理的业务"
    ticket = take_passport(d)  # required: the ID read is sent with it
    assert d.app.root.current == "ticket"
    number = d.app.outcome.ticket["number"]
    assert server_tickets(server, tmp_path / "hall.db") == [
        {"number": number, "service": "crj-passport", "priority": "normal"}
    ]
    assert [r["service"] for r in ticket_ids(server, tmp_path)] == ["crj-passport"]
    assert ticket.ids.priority.text == ""
    assert d.app.person is None  # the ticket is taken: the number is gone from the kiosk
    d.tap(ticket.ids.done)
    d.wait_until(lambda: d.app.root.current == "home", what="home")
    assert d.app.root.current == "home"  # the card still lying there starts no new visit

    lay(d, reader, None)
    lay(d, reader, YOUNG)  # the same visitor again, the same service: refused, said plainly
    d.tap(idcard_screen(d, "result").ids.next)
    refused = take_passport(d)
    assert d.app.root.current == "idcard" and refused.mode == "refused"
    assert refused.ids.refused_title.text == "今天已取过号"
    assert refused.ids.refused_text.text.replace("\n", "") == f"您今天已取过该业务的号：{number}"
    assert len(server_tickets(server, tmp_path / "hall.db")) == 1
    d.tap(refused.ids.refused_home)
    d.wait_until(lambda: d.app.root.current == "home" and d.app.person is None, what="home, the ID forgotten")


def test_an_elderly_card_gets_the_priority_lane(kiosk, server, tmp_path, reader):
    d = start(kiosk, reader, voice=tmp_path / "voice")
    lay(d, reader, ELDER)
    result = idcard_screen(d, "result")
    assert result.ids.who.text.startswith("张*三  ")
    assert result.ids.lane.text.replace("\n", "") == "您已年满60周岁，已为您选择特别通道"
    assert d.app.elderly_mode and d.app.large_text
    said = "您已年满60周岁，已为您选择特别通道"
    d.wait_until(lambda: said in [s.text for s in d.app.speaker.history], what="the lane said")
    d.tap(result.ids.next)
    d.wait_until(lambda: d.app.root.current == "home", what="home")
    ticket = take_passport(d)
    assert server_tickets(server, tmp_path / "hall.db")[0]["priority"] == "elderly"
    assert "特别通道" in ticket.ids.priority.text


def test_the_keypad_checks_the_number_as_it_is_typed(kiosk, server, tmp_path):
    d = start(kiosk)  # no reader: the keypad only
    assert d.screen().ids.idcard.ids.label.text.replace("\n", "") == "刷身份证取号"
    d.tap(d.screen().ids.idcard)
    screen = idcard_screen(d, "keypad")
    assert screen.ids.card_hint.text == ""  # no reader to mention
    type_id(d, "4290051980133")
    assert screen.ids.problem.text == ""
    type_id(d, "2")  # 1980-13-32: no such birth date, said at once
    assert screen.ids.problem.text == "号码有误：出生日期不对，请核对"
    for _ in range(14):
        d.tap(screen.key("delete"))
    assert screen.number == "" and screen.ids.problem.text == ""
    good = citizen_id("19850607", region="429005")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    assert screen.key("X").disabled  # X is the check character only
    type_id(d, wrong[:17])
    assert screen.ids.problem.text == "" and not screen.key("X").disabled
    type_id(d, wrong[17])
    assert screen.ids.problem.text == "号码有误，请核对后重新输入"  # before anything is sent
    d.tap(screen.ids.confirm)
    d.frames(3)
    assert screen.mode == "keypad" and d.app.checking is None and d.app.person is None
    d.tap(screen.key("delete"))
    type_id(d, good[17])
    assert screen.ids.problem.text == ""
    d.tap(screen.ids.confirm)
    result = idcard_screen(d, "result")  # no booking for it today: on to the services
    assert result.ids.who.text.startswith("身份证号码已输入")
    assert good not in on_screen(d)
    d.tap(result.ids.next)
    d.wait_until(lambda: d.app.root.current == "home", what="home")
    take_passport(d)
    assert d.app.root.current == "ticket"
    assert [r["service"] for r in server_tickets(server, tmp_path / "hall.db")] == ["crj-passport"]


def test_a_service_that_requires_an_id_asks_for_it_first(kiosk, server, tmp_path):
    d = start(kiosk)
    screen = take_passport(d)
    assert d.app.root.current == "idcard" and screen.mode == "keypad"
    assert screen.ids.title.text == f"{PASSPORT}需要实名取号"
    assert server_tickets(server, tmp_path / "hall.db") == []
    type_id(d, citizen_id("19700808", region="429005"))
    d.tap(screen.ids.confirm)
    d.wait_until(lambda: d.app.root.current == "ticket", what="the ticket at once")
    assert [r["service"] for r in server_tickets(server, tmp_path / "hall.db")] == ["crj-passport"]


def test_a_booking_made_with_the_id_checks_in_by_the_card(kiosk, server, tmp_path, reader):
    day = server.clock.now.date().isoformat()
    slots = api(server, "GET", f"/api/booking/slots?service=crj-passport&date={day}")["slots"]
    start_at = next(s["start"] for s in slots if s["start"][11:16] == "09:30" and s["bookable"])
    body = {"service": "crj-passport", "slot_start": start_at, "name": "李明", "phone": "13800138000"}
    api(server, "POST", "/api/bookings", {**body, "id_number": YOUNG.id_number})
    server.clock.advance(minutes=20)  # 09:20: check-in is open
    d = start(kiosk, reader)
    d.tap(d.screen().ids.booking)  # the booking screen: a card there checks the booking in too
    d.wait_until(lambda: d.app.root.current == "booking", what="the booking screen")
    lay(d, reader, YOUNG)
    d.wait_until(lambda: d.app.root.current == "ticket", what="the booking's ticket")
    assert d.screen().ids.priority.text == "【预约】预约时段 09:30-10:00"
    [row] = server_tickets(server, tmp_path / "hall.db")
    assert row["priority"] == "appointment" and row["service"] == "crj-passport"


@pytest.mark.parametrize("fault", ["unplugged", "silent"])
def test_a_reader_gone_is_reported_and_the_keypad_still_works(kiosk, server, tmp_path, reader, fault):
    d = start(kiosk, reader)
    if fault == "unplugged":
        reader.stop()
    else:
        reader.silent = True
    state = "port_missing" if fault == "unplugged" else "silent"

    def faults():
        db = open_database(tmp_path / "hall.db")
        try:
            return list(db.query("SELECT component, state FROM device_faults WHERE cleared_at IS NULL"))
        finally:
            db.close()

    d.wait_until(lambda: faults() == [{"component": "idcard", "state": state}], timeout=20, what="the fault")
    assert not d.app.reader_ok
    d.tap(d.screen().ids.idcard)
    screen = idcard_screen(d, "keypad")  # straight to the keypad, and why
    assert screen.ids.card_hint.text.replace("\n", "") == "身份证阅读器暂时不能使用，请输入身份证号码"
    type_id(d, citizen_id("19750505", region="429005"))
    d.tap(screen.ids.confirm)
    d.tap(idcard_screen(d, "result").ids.next)
    d.wait_until(lambda: d.app.root.current == "home", what="home")
    take_passport(d)
    assert d.app.root.current == "ticket"
    d.tap(d.screen().ids.done)  # home: the kiosk waits for a card again, and asks the reader
    if fault == "unplugged":
        reader.start()  # plugged back in: the fault is cleared
    else:
        reader.silent = False
    d.wait_until(lambda: faults() == [], timeout=20, what="the fault cleared")


@pytest.mark.parametrize("mode", ["normal", "elderly"])
@pytest.mark.parametrize("shape", ["portrait", "landscape", "square"])
def test_the_id_screens_fit_the_shape(kiosk, server, tmp_path, reader, shape, mode):
    d = start(kiosk, reader, shape=shape, mode=mode)
    app = d.app

    def check(name):
        d.frames(3)
        assert_screen_fits(d.screen(), app.ui.min_font)
        d.screenshot(f"kiosk-{shape}-{mode}-{name}.png")

    check("idcard-home")
    d.tap(d.screen().ids.idcard)
    idcard_screen(d, "card")
    assert d.screen().ids.picture.height >= app.ui.mm(30)
    check("idcard-card")
    d.tap(d.screen().ids.type)
    screen = idcard_screen(d, "keypad")
    type_id(d, "42900519801332")
    assert screen.ids.problem.text
    check("idcard-keypad")
    for k in screen.ids.id_keys.children:  # keys a finger finds: 15 mm or more each way
        assert k.width >= app.ui.mm(15) and k.height >= app.ui.mm(15), (k.text, k.size)
    d.tap(screen.ids.nav.ids.back)  # back to the card
    lay(d, reader, ELDER)
    idcard_screen(d, "result")
    check("idcard-result")
    d.tap(d.screen().ids.next)
    d.wait_until(lambda: app.root.current == "home", what="home")
    check("idcard-home-read")
    take_passport(d)
    d.tap(d.screen().ids.done)
    lay(d, reader, None)
    lay(d, reader, ELDER)
    d.tap(idcard_screen(d, "result").ids.next)
    take_passport(d)
    assert d.screen().mode == "refused"
    check("idcard-refused")
