"""The 一次性告知单 (one-time notice): a guide item printed on the kiosk's ticket printer, so the
visitor takes home everything the hall needs from them: materials, conditions, time limits, fees
and the complaint phone, with a QR code to the item's public page. The hall's promise of 一次性告知
(tell the visitor everything at once) on paper.

ESC/POS bytes for 80 mm and 58 mm paper, Chinese as GB18030 text or raster, like the ticket
(``ticket_layout``): no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .ticket_layout import _Writer


@dataclass(frozen=True)
class Fee:
    name: str
    standard: str
    basis: str = ""


@dataclass(frozen=True)
class ChecklistContent:
    hall_name: str
    item_name: str
    department_name: str
    kind: str  # 即办件 or 承诺件
    service_name: str  # what to choose at the kiosk to take a ticket
    materials: tuple[str, ...]
    conditions: tuple[str, ...]
    statutory_limit: str
    promised_limit: str
    complaint_phone: str
    printed_at: datetime
    fees: tuple[Fee, ...] = ()
    url: str | None = None  # the item's public page (/guides/CODE)
    where: str = ""  # which windows serve it, and where they are


def _numbered(w: _Writer, items: tuple[str, ...]) -> None:
    if not items:
        w.line("无")
        return
    for n, text in enumerate(items, 1):
        prefix = f"{n}. "
        w.line(prefix + text, indent=len(prefix))


def checklist_bytes(c: ChecklistContent, paper_mm: int = 80, chinese: str = "text") -> bytes:
    """The whole 告知单, from initialise to cut."""
    w = _Writer(paper_mm, chinese)
    w.line(c.hall_name, strong=True)
    w.line("一次性告知单", double=True, strong=True)
    w.line(c.item_name, strong=True)
    w.rule()
    w.align(centred=False)
    w.line(f"办理部门：{c.department_name}（{c.kind}）")
    w.line(f"取号业务：{c.service_name}")
    if c.where:
        w.line(f"办理窗口：{c.where}")
    w.line("【申请材料】", strong=True)
    _numbered(w, c.materials)
    w.line("【申请条件】", strong=True)
    _numbered(w, c.conditions)
    w.line("【办理时限】", strong=True)
    w.line(f"法定时限：{c.statutory_limit}")
    w.line(f"承诺时限：{c.promised_limit}")
    w.line("【收费标准】", strong=True)
    if not c.fees:
        w.line("不收费")
    for fee in c.fees:
        w.line(f"{fee.name}：{fee.standard}")
        if fee.basis:
            w.line(f"依据：{fee.basis}")
    w.line(f"投诉电话：{c.complaint_phone}", strong=True)
    w.rule()
    w.align(centred=True)
    if c.url:
        w.qr(c.url)
        w.line("扫码查看完整服务指南")
    w.ascii_line(c.printed_at.strftime("%Y-%m-%d %H:%M"))
    w.line("材料齐全即可办理，不清楚请到咨询台询问")
    w.p.cut(mode="PART", feed=True)
    return w.p.output
