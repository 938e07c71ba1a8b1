"""The kiosk's colours: the hall's deep blue, orange for 特别通道, green for 服务指南.

Two palettes: the normal one keeps every text at 4.5:1 or more against what it is written on
(WCAG AA); the 大字 one, for elderly visitors, at 7:1 or more (WCAG AAA), on pure white paper.
``text_pairs`` lists every (text, background) the screens use, and the tests check them with
the WCAG formula (``contrast``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

RGBA = tuple[float, float, float, float]


def _relative_luminance(colour: RGBA) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGBA, b: RGBA) -> float:
    """The WCAG 2 contrast ratio of two opaque colours, 1 to 21."""
    high, low = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@dataclass(frozen=True)
class Theme:
    name: str
    paper: RGBA  # screen background
    card: RGBA  # white list items
    ink: RGBA  # text on paper and cards
    muted: RGBA  # secondary text on paper and cards
    header: RGBA  # the header bar, behind white text
    tile: RGBA  # home tiles and service buttons, behind white text
    tile_pressed: RGBA
    waiting: RGBA  # the waiting count on a tile
    closed: RGBA  # a service not issuing tickets, behind white text
    lane: RGBA  # 特别通道, behind white text
    guide: RGBA  # 服务指南, behind white text
    idcard: RGBA  # 刷身份证取号, behind white text
    nav: RGBA  # 返回 / 首页 / pager, behind white text
    alert: RGBA  # notices, behind white text
    ok_text: RGBA  # "please take your ticket", on paper
    alert_text: RGBA  # printer problems, on paper
    lane_text: RGBA  # 特别通道 words on paper
    title_text: RGBA  # guide field titles, ticket number, on paper
    selected: RGBA  # a selected department button, behind ink text
    toggle_on: RGBA  # 大字 when on, behind ink text
    overlay: RGBA  # the idle countdown panel, behind white text
    white: RGBA = (1.0, 1.0, 1.0, 1.0)
    line: RGBA = (0.8, 0.82, 0.85, 1.0)  # separators (not text)

    def text_pairs(self) -> list[tuple[str, RGBA, RGBA]]:
        """Every (what, text colour, background colour) on the kiosk's screens."""
        pairs = [
            ("ink on paper", self.ink, self.paper),
            ("ink on card", self.ink, self.card),
            ("muted on paper", self.muted, self.paper),
            ("muted on card", self.muted, self.card),
            ("waiting on tile", self.waiting, self.tile),
            ("waiting on pressed tile", self.waiting, self.tile_pressed),
            ("ok text on paper", self.ok_text, self.card),
            ("alert text on paper", self.alert_text, self.card),
            ("lane text on paper", self.lane_text, self.paper),
            ("title text on paper", self.title_text, self.paper),
            ("title text on card", self.title_text, self.card),
            ("ink on selected", self.ink, self.selected),
            ("ink on toggle", self.ink, self.toggle_on),
            ("waiting on header", self.waiting, self.header),
            ("waiting on closed", self.waiting, self.closed),  # 已选 on a service not issuing now
            ("lane text on card", self.lane_text, self.card),  # 本次还需办理 on the ticket
            ("ok text on the page", self.ok_text, self.paper),  # 告知单已打印 on the guide item
            ("alert text on the page", self.alert_text, self.paper),
        ]
        for name in ("header", "tile", "tile_pressed", "closed", "lane", "guide", "idcard", "nav", "alert", "overlay"):
            pairs.append((f"white on {name}", self.white, getattr(self, name)))
        return pairs

    def min_contrast(self) -> float:
        return min(contrast(fg, bg) for _, fg, bg in self.text_pairs())

    def colours(self) -> dict[str, RGBA]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "name"}


NORMAL = Theme(
    name="normal",
    paper=(0.96, 0.97, 0.98, 1.0),
    card=(1.0, 1.0, 1.0, 1.0),
    ink=(0.07, 0.07, 0.07, 1.0),
    muted=(0.33, 0.33, 0.33, 1.0),
    header=(0.02, 0.2, 0.37, 1.0),
    tile=(0.043, 0.31, 0.54, 1.0),
    tile_pressed=(0.02, 0.2, 0.37, 1.0),
    waiting=(1.0, 0.92, 0.6, 1.0),
    closed=(0.4, 0.4, 0.4, 1.0),
    lane=(0.72, 0.27, 0.0, 1.0),
    guide=(0.05, 0.42, 0.24, 1.0),
    idcard=(0.36, 0.18, 0.55, 1.0),
    nav=(0.3, 0.33, 0.37, 1.0),
    alert=(0.72, 0.0, 0.13, 1.0),
    ok_text=(0.05, 0.42, 0.24, 1.0),
    alert_text=(0.72, 0.0, 0.13, 1.0),
    lane_text=(0.72, 0.27, 0.0, 1.0),
    title_text=(0.02, 0.2, 0.37, 1.0),
    selected=(1.0, 0.92, 0.6, 1.0),
    toggle_on=(1.0, 0.92, 0.6, 1.0),
    overlay=(0.02, 0.2, 0.37, 1.0),
)

# 大字: darker fills, black on white, nothing below 7:1.
HIGH_CONTRAST = Theme(
    name="high-contrast",
    paper=(1.0, 1.0, 1.0, 1.0),
    card=(1.0, 1.0, 1.0, 1.0),
    ink=(0.0, 0.0, 0.0, 1.0),
    muted=(0.22, 0.22, 0.22, 1.0),
    header=(0.0, 0.12, 0.27, 1.0),
    tile=(0.0, 0.17, 0.36, 1.0),
    tile_pressed=(0.0, 0.1, 0.22, 1.0),
    waiting=(1.0, 0.92, 0.6, 1.0),
    closed=(0.25, 0.25, 0.25, 1.0),
    lane=(0.6, 0.2, 0.0, 1.0),
    guide=(0.0, 0.33, 0.17, 1.0),
    idcard=(0.27, 0.1, 0.45, 1.0),
    nav=(0.2, 0.22, 0.25, 1.0),
    alert=(0.6, 0.0, 0.08, 1.0),
    ok_text=(0.0, 0.33, 0.17, 1.0),
    alert_text=(0.6, 0.0, 0.08, 1.0),
    lane_text=(0.6, 0.2, 0.0, 1.0),
    title_text=(0.0, 0.17, 0.36, 1.0),
    selected=(1.0, 0.85, 0.3, 1.0),
    toggle_on=(1.0, 0.85, 0.3, 1.0),
    overlay=(0.0, 0.12, 0.27, 1.0),
)
