"""The 一次性告知单 printed on the kiosk's printer, checked by emupos (GB18030 text, QR decoded)."""

from __future__ import annotations

from datetime import datetime

import pytest

from hardware.checklist_layout import ChecklistContent, Fee, checklist_bytes
from hardware.printer import TicketPrinter
from hardware.ticket_layout import cells

from .conftest import ARTIFACTS, SHANGHAI
from .test_printer import emupos, printed_lines, qr_in_png  # noqa: F401 (emupos is a fixture)

URL = "http://192.168.1.10:8080/guides/crj-passport-first"
ITEM = ChecklistContent(
    hall_name="潜江市政务服务中心",
    item_name="普通护照首次申领",
    department_name="市公安局出入境管理科",
    kind="承诺件",
    service_name="普通护照办理",
    materials=("居民身份证原件；未满16周岁的提交居民户口簿原件及监护人身份证件", "彩色照片（现场免费采集）"),
    conditions=("具有本市常住户口的中国公民",),
    statutory_limit="15个工作日",
    promised_limit="7个工作日",
    complaint_phone="0728-12345",
    printed_at=datetime(2026, 12, 2, 9, 30, tzinfo=SHANGHAI),
    fees=(Fee("普通护照", "120元/本", "发改价格规〔2017〕1186号"),),
    url=URL,
    where="4、5 号窗口（一楼B区）",
)


@pytest.mark.parametrize(("paper", "columns"), [(80, 48), (58, 32)])
def test_the_checklist_prints_everything_the_visitor_needs(emupos, paper, columns):  # noqa: F811
    before = emupos.receipt_ids()
    TicketPrinter(f"{emupos.tcp_uri}?paper={paper}").print_bytes(checklist_bytes(ITEM, paper))
    receipt = emupos.wait_receipt(before)
    lines = printed_lines(emupos, receipt)
    text = "\n".join(lines)
    for expected in ("一次性告知单", "普通护照首次申领", "【申请材料】", "【申请条件】", "法定时限：15个工作日"):
        assert expected in text, (expected, lines)
    assert "承诺时限：7个工作日" in text and "普通护照：120元/本" in text and "投诉电话：0728-12345" in text
    assert "办理窗口：4、5 号窗口（一楼B区）" in text.replace("\n", "")
    # Numbered items wrap with their text lined up under the first line's, never mid-character.
    assert lines[lines.index("【申请材料】") + 1].startswith("1. 居民身份证原件")
    assert "�" not in text
    assert all(cells(line) <= columns for line in lines if not line.startswith("["))
    png = emupos.png(receipt)
    assert qr_in_png(png) == [URL]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"checklist-{paper}mm.png").write_bytes(png)


def test_a_free_item_says_so_and_raster_mode_sends_no_chinese_bytes():
    free = ChecklistContent(**{**ITEM.__dict__, "fees": (), "url": None})
    text = checklist_bytes(free).decode("gb18030", errors="replace")
    assert "不收费" in text and "扫码" not in text
    raster = checklist_bytes(ITEM, chinese="raster")
    assert b"\x1c\x26" not in raster and b"\x1dv0" in raster  # GS v 0 images, no FS &


def test_a_visit_prints_on_one_slip(emupos):  # noqa: F811
    """One number carrying two services says so; linked tickets are listed in the order to go."""
    from hardware.ticket_layout import TicketContent

    slip = TicketContent(
        hall_name="潜江市政务服务中心",
        number="E001",
        service_name="纳税申报",
        waiting_ahead=0,
        estimated_wait_s=0,
        issued_at=datetime(2026, 12, 2, 9, 30),
        also_services=("发票领购",),
        where="9、10、11 号窗口（一楼A区）",
        linked=(("A004", "户口迁移登记", "1、2、3 号窗口（一楼A区）"),),
    )
    before = emupos.receipt_ids()
    TicketPrinter(emupos.tcp_uri).print_ticket(slip)
    lines = printed_lines(emupos, emupos.wait_receipt(before))
    for expected in ("E001", "同时办理：发票领购", "本次还需办理（请依次留意叫号）", "A004 户口迁移登记"):
        assert expected in lines, (expected, lines)
    assert lines.index("A004 户口迁移登记") > lines.index("本次还需办理（请依次留意叫号）")
