"""The numbered ticket (号票) as ESC/POS bytes, for 80 mm and 58 mm paper.

Commands are built with python-escpos' ``Dummy`` printer (which only collects bytes), so this
module does no I/O and the output can be compared byte for byte.

Chinese goes out as text in Chinese mode: ``FS &``, the GB18030 bytes, ``FS .``. We encode it
ourselves because python-escpos neither sends ``FS &`` nor encodes full-width punctuation
on its own (it prints "？" as "?"). With ``chinese="raster"`` every line that holds Chinese is
drawn with the bundled CJK font and sent as a raster image (``GS v 0``), for printers that have
no Chinese font.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from .fonts import font_path
from .gbtext import for_gb_fonts

# The few style commands a ticket needs (Epson ESC/POS reference), sent as they are.
INIT = b"\x1b\x40"  # ESC @
FS_CHINESE_ON = b"\x1c\x26"  # FS &
FS_CHINESE_OFF = b"\x1c\x2e"  # FS .
ALIGN_CENTER = b"\x1b\x61\x01"  # ESC a 1
ALIGN_LEFT = b"\x1b\x61\x00"  # ESC a 0


def bold(on: bool) -> bytes:
    return b"\x1b\x45" + (b"\x01" if on else b"\x00")  # ESC E n


def char_size(scale: int) -> bytes:
    """GS ! n: width and height multiplier 1-8 for ASCII (and Chinese on most printers)."""
    return b"\x1d\x21" + bytes([(scale - 1) << 4 | (scale - 1)])


# Dots per line and Font A columns of each paper width (203 dpi heads).
PAPER = {80: (576, 48), 58: (384, 32)}
# Size multiplier of the ticket number per paper width (GS ! n).
NUMBER_SCALE = {80: 6, 58: 4}
QR_MODULE_DOTS = {80: 6, 58: 4}


@dataclass(frozen=True)
class TicketContent:
    """What a ticket says. The caller fills it from the queue's answer."""

    hall_name: str
    number: str
    service_name: str
    waiting_ahead: int
    estimated_wait_s: int
    issued_at: datetime
    status_url: str | None = None
    notice: str = "过号请重新取号"
    priority_label: str | None = None  # e.g. 特别通道, printed when not a normal ticket
    where: str = ""  # the windows serving it and where they are: 4、5 号窗口（一楼B区）
    also_services: tuple[str, ...] = ()  # further services served in the same sitting (names)
    # The visit's other tickets, in the order to go: (number, service name, where), one slip for all.
    linked: tuple[tuple[str, str, str], ...] = ()


def to_gb18030(text: str) -> bytes:
    """Chinese text as the printer's Chinese mode reads it."""
    return for_gb_fonts(text).encode("gb18030")


def cells(text: str) -> int:
    """Printer cells a text takes: one per ASCII character, two per Chinese character."""
    return sum(1 if ch.isascii() else 2 for ch in text)


def wrap_cells(text: str, width: int) -> list[str]:
    """Split ``text`` into lines of at most ``width`` cells, never inside a character."""
    lines, current = [], ""
    for ch in text:
        if current and cells(current + ch) > width:
            lines.append(current)
            current = ""
        current += ch
    return [*lines, current]


def wrap_hanging(text: str, width: int, indent: int) -> list[str]:
    """``wrap_cells`` for a first line of ``width`` cells and continuation lines ``indent`` narrower."""
    first = wrap_cells(text, width)
    if len(first) <= 1:
        return first
    rest = text[len(first[0]) :]
    return [first[0], *wrap_cells(rest, width - indent)]


def wait_text(seconds: int) -> str:
    minutes = round(seconds / 60)
    return f"预计等候约 {minutes} 分钟" if minutes >= 1 else "请留意叫号"


class _Writer:
    """Writes centred lines on a Dummy printer, Chinese as text or raster as configured."""

    def __init__(self, paper_mm: int, chinese: str) -> None:
        if paper_mm not in PAPER:
            raise ValueError(f"paper must be one of {sorted(PAPER)} mm")
        if chinese not in ("text", "raster"):
            raise ValueError('chinese must be "text" or "raster"')
        self.p = Dummy()
        self.dots, self.columns = PAPER[paper_mm]
        # python-escpos checks images against the profile's paper width.
        self.p.profile.profile_data = {
            **self.p.profile.profile_data,
            "media": {"width": {"mm": paper_mm, "pixels": self.dots}},
        }
        self.paper_mm, self.chinese = paper_mm, chinese
        self.centred = True
        self.p._raw(INIT + ALIGN_CENTER)

    def align(self, centred: bool) -> None:
        self.centred = centred
        self.p._raw(ALIGN_CENTER if centred else ALIGN_LEFT)

    def ascii_line(self, text: str, scale: int = 1, strong: bool = False) -> None:
        self.p._raw(bold(strong) + char_size(scale) + text.encode("ascii") + b"\n" + char_size(1) + bold(False))

    def line(self, text: str, double: bool = False, strong: bool = False, indent: int = 0) -> None:
        """A line, wrapped here so the printer never splits a character in two; continuation
        lines start ``indent`` cells in (a numbered item's text lines up under its first word)."""
        scale = 2 if double else 1
        width = self.columns // scale
        for i, part in enumerate(wrap_cells(text, width) if not indent else wrap_hanging(text, width, indent)):
            part = " " * indent + part if i and indent else part
            if part.isascii():
                self.ascii_line(part, scale, strong)
            elif self.chinese == "raster":
                self.p.image(self._render(part, double, strong), impl="bitImageRaster")
            else:
                # GS ! scales Chinese characters too on ESC/POS printers with a Chinese font.
                self.p._raw(
                    bold(strong)
                    + char_size(scale)
                    + FS_CHINESE_ON
                    + to_gb18030(part)
                    + b"\n"
                    + FS_CHINESE_OFF
                    + char_size(1)
                    + bold(False)
                )

    def _render(self, text: str, double: bool, strong: bool) -> Image.Image:
        size = 48 if double else 24  # the printers' own Chinese font is 24 dots high
        font = _font(size, strong)
        ascent, descent = font.getmetrics()
        image = Image.new("1", (self.dots, ascent + descent), 1)
        width = font.getlength(text)
        left = (self.dots - width) // 2 if self.centred else 0
        ImageDraw.Draw(image).text((left, 0), text, font=font, fill=0)
        return image

    def rule(self) -> None:
        self.ascii_line("-" * self.columns)

    def qr(self, url: str) -> None:
        self.p.qr(url, size=QR_MODULE_DOTS[self.paper_mm], native=True)
        self.p._raw(b"\n")


@cache
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(bold)), size)


def ticket_bytes(ticket: TicketContent, paper_mm: int = 80, chinese: str = "text") -> bytes:
    """The whole ticket, from initialise to cut."""
    w = _Writer(paper_mm, chinese)
    w.line(ticket.hall_name, strong=True)
    w.rule()
    w.ascii_line(ticket.number, scale=NUMBER_SCALE[paper_mm], strong=True)
    w.line(ticket.service_name, double=True, strong=True)
    if ticket.also_services:
        w.line("同时办理：" + "、".join(ticket.also_services), strong=True)
    if ticket.priority_label:
        w.line(f"【{ticket.priority_label}】", strong=True)
    w.line(f"前面还有 {ticket.waiting_ahead} 人等候")
    w.line(wait_text(ticket.estimated_wait_s))
    if ticket.where:
        w.line(f"办理窗口：{ticket.where}")
    if ticket.linked:
        w.rule()
        w.line("本次还需办理（请依次留意叫号）", strong=True)
        for number, service_name, where in ticket.linked:
            w.line(f"{number} {service_name}", strong=True)
            if where:
                w.line(where)
    w.ascii_line(ticket.issued_at.strftime("%Y-%m-%d %H:%M:%S"))
    if ticket.status_url:
        w.qr(ticket.status_url)
        w.line("扫码查看排队进度")
    w.rule()
    w.line(ticket.notice)
    w.p.cut(mode="PART", feed=True)
    return w.p.output
