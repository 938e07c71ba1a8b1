"""How big things are on this kiosk's screen, in millimetres, whatever its pixels.

A visitor reads the kiosk at arm's length, so text is sized by its physical height, not by
the window's width: the panel's diagonal (``--screen-inches``) and its pixels give pixels per
millimetre, and every text role has a size in millimetres. A portrait 1080x1920 and a
landscape 1920x1080 panel of the same size show text of the same size; the layout (columns,
panes side by side) follows the shape. 大字 (large text) makes every text 1.5 times larger.

Sizes are font sizes (the em); the Noto Sans CJK capital is 0.73 of it, so the smallest text,
8 mm, has 5.8 mm capitals, above the 5 mm that reads at arm's length (8.8 mm in 大字 mode).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MM_PER_INCH = 25.4
CAP_HEIGHT = 0.73  # Noto Sans CJK SC: capital height / font size
LINE_HEIGHT = 1.45  # its line height / font size (ascender + descender)
MIN_CAP_MM = 5.0  # the smallest capitals that read at arm's length
LARGE = 1.5  # 大字: every text this much larger

# Font sizes (the em) in millimetres, for normal text.
SIZES_MM = {
    "caption": 8.0,  # tile subtitles, waiting counts, hints: 5.8 mm capitals
    "body": 9.5,  # guide text, ticket details
    "button": 12.5,  # buttons, service names
    "title": 14.0,  # screen titles, the hall's name
    "tile": 16.0,  # home tiles
    "number": 64.0,  # the ticket number
}
PAD_MM = 4.0  # inside a button or a pane
GAP_MM = 3.0  # between buttons


def default_inches(width: int, height: int) -> float:
    """The usual panel for these pixels: 1280x1024 or 1366x768 on the older 17-19" kiosks,
    full HD on today's 32" ones."""
    return 19.0 if max(width, height) <= 1366 else 32.0


def shape_of(width: int, height: int) -> str:
    """portrait (9:16), landscape (16:9, 16:10) or square (4:3, 5:4)."""
    aspect = width / height
    if aspect < 0.8:
        return "portrait"
    if aspect > 1.45:
        return "landscape"
    return "square"


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    inches: float
    large: bool
    ppmm: float  # pixels per millimetre
    shape: str
    caption: float  # font sizes in pixels
    body: float
    button: float
    title: float
    tile: float
    number: float
    pad: float
    gap: float
    tile_cols: int
    service_cols: int
    tile_rows: int | None  # at most this many rows of tiles on a page (大字: fewer choices at once)
    service_rows: int | None

    @classmethod
    def compute(cls, width: int, height: int, inches: float | None = None, large: bool = False) -> Layout:
        width, height = max(int(width), 1), max(int(height), 1)
        inches = inches or default_inches(width, height)
        ppmm = math.hypot(width, height) / (inches * MM_PER_INCH)
        shape = shape_of(width, height)
        factor = LARGE if large else 1.0
        fonts = {role: round(mm * ppmm * factor, 1) for role, mm in SIZES_MM.items()}
        tile_cols = {"portrait": 2, "landscape": 3 if large else 4, "square": 1 if large else 2}[shape]
        service_cols = {"portrait": 1, "landscape": 2, "square": 1 if large else 2}[shape]
        # 大字 shows fewer at once: bigger targets, less to read. Otherwise as many as fit.
        tile_rows = {"portrait": 3, "landscape": 2, "square": 2}[shape] if large else None
        service_rows = {"portrait": 5, "landscape": 3, "square": 3}[shape] if large else None
        return cls(
            width=width,
            height=height,
            inches=inches,
            large=large,
            ppmm=ppmm,
            shape=shape,
            pad=round(PAD_MM * ppmm, 1),
            gap=round(GAP_MM * ppmm, 1),
            tile_cols=tile_cols,
            service_cols=service_cols,
            tile_rows=tile_rows,
            service_rows=service_rows,
            **fonts,
        )

    @property
    def portrait(self) -> bool:
        return self.shape == "portrait"

    @property
    def landscape(self) -> bool:
        """Wide enough for panes side by side (landscape and 4:3 alike)."""
        return self.shape != "portrait"

    @property
    def side_pager(self) -> bool:
        """The pager in the side pane (a wide screen has room there), not under the list."""
        return self.shape == "landscape"

    @property
    def min_font(self) -> float:
        """No text on screen is smaller than this (pixels)."""
        return self.caption

    def mm(self, millimetres: float) -> float:
        return millimetres * self.ppmm

    def line(self, font: float, lines: int = 1) -> float:
        """The height of ``lines`` lines of text at ``font`` pixels."""
        return math.ceil(font * LINE_HEIGHT) * lines
