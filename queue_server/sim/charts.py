"""Charts of the simulator's figures (``hallqueue simulate --out DIR``), as SVG and PNG.

Each chart is drawn once as a list of shapes (rectangles, lines, text) and then written twice:
as SVG, self-contained (no fonts, scripts or styles from elsewhere; Chinese text names a list
of CJK fonts and falls back to sans-serif), and as PNG through Pillow with the CJK font the
project ships (skipped if it cannot be loaded). Same figures, same bytes: every number is
written with a fixed precision and nothing depends on the clock.

    waits.svg      mean and P90 wait by hour of taking the ticket, with the wait target
    queue.svg      people waiting at the top of each hour, and window utilisation
    services.svg   the 20 services with the longest mean wait
    estimate.svg   how far the wait printed on the ticket was from the real one, by hour
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

FONTS = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
BLUE, ORANGE, RED, GREY, INK = "#4e79a7", "#f28e2b", "#e15759", "#bbbbbb", "#333333"
WIDTH, HEIGHT = 760, 420
LEFT, RIGHT, TOP, BOTTOM = 64, 64, 70, 80  # the plot area's margins
PNG_SCALE = 2  # PNG pixels per SVG unit: sharp on a projector


@dataclass
class Canvas:
    """A chart as shapes, in SVG units (y grows downwards); text y is the baseline."""

    width: int
    height: int
    title: str
    shapes: list[tuple] = field(default_factory=list)

    def rect(self, x: float, y: float, w: float, h: float, fill: str) -> None:
        self.shapes.append(("rect", x, y, w, max(h, 0.0), fill))

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str, width: float = 1, dash: bool = False):
        self.shapes.append(("line", x1, y1, x2, y2, stroke, width, dash))

    def polyline(self, points: list[tuple[float, float]], stroke: str, width: float = 2) -> None:
        self.shapes.append(("polyline", tuple(points), stroke, width))

    def dot(self, x: float, y: float, r: float, fill: str) -> None:
        self.shapes.append(("dot", x, y, r, fill))

    def text(self, x: float, y: float, text: str, size: int = 12, anchor: str = "start", fill: str = INK) -> None:
        self.shapes.append(("text", x, y, text, size, anchor, fill))


def _n(value: float) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def to_svg(canvas: Canvas) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{canvas.width}" height="{canvas.height}" '
        f'viewBox="0 0 {canvas.width} {canvas.height}" font-family={quoteattr(FONTS)}>',
        f"<title>{escape(canvas.title)}</title>",
        f'<rect x="0" y="0" width="{canvas.width}" height="{canvas.height}" fill="#ffffff"/>',
    ]
    for shape in canvas.shapes:
        kind, *a = shape
        if kind == "rect":
            x, y, w, h, fill = a
            out.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}"/>')
        elif kind == "line":
            x1, y1, x2, y2, stroke, width, dash = a
            extra = ' stroke-dasharray="6 4"' if dash else ""
            out.append(
                f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
                f'stroke="{stroke}" stroke-width="{_n(width)}"{extra}/>'
            )
        elif kind == "polyline":
            points, stroke, width = a
            coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
            out.append(f'<polyline points="{coords}" fill="none" stroke="{stroke}" stroke-width="{_n(width)}"/>')
        elif kind == "dot":
            x, y, r, fill = a
            out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{fill}"/>')
        else:
            x, y, text, size, anchor, fill = a
            out.append(
                f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">'
                f"{escape(text)}</text>"
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def to_png(canvas: Canvas, path: Path) -> bool:
    """Draw the canvas with Pillow and the bundled CJK font; False if either is missing."""
    try:
        from PIL import Image, ImageDraw, ImageFont

        from hardware.fonts import font_path

        font_file = str(font_path())
        ImageFont.truetype(font_file, 12)
    except (ImportError, OSError):
        return False
    s = PNG_SCALE
    image = Image.new("RGB", (canvas.width * s, canvas.height * s), "#ffffff")
    draw = ImageDraw.Draw(image)
    fonts: dict[int, object] = {}
    for shape in canvas.shapes:
        kind, *a = shape
        if kind == "rect":
            x, y, w, h, fill = a
            if w > 0 and h > 0:  # Pillow's corners are inclusive
                draw.rectangle([x * s, y * s, max(x * s, (x + w) * s - 1), max(y * s, (y + h) * s - 1)], fill=fill)
        elif kind == "line":
            x1, y1, x2, y2, stroke, width, dash = a
            for p, q in _dashes((x1, y1), (x2, y2)) if dash else [((x1, y1), (x2, y2))]:
                draw.line([p[0] * s, p[1] * s, q[0] * s, q[1] * s], fill=stroke, width=max(1, round(width * s)))
        elif kind == "polyline":
            points, stroke, width = a
            draw.line([(x * s, y * s) for x, y in points], fill=stroke, width=round(width * s), joint="curve")
        elif kind == "dot":
            x, y, r, fill = a
            draw.ellipse([(x - r) * s, (y - r) * s, (x + r) * s, (y + r) * s], fill=fill)
        else:
            x, y, text, size, anchor, fill = a
            font = fonts.setdefault(size, ImageFont.truetype(font_file, size * s))
            pil_anchor = {"start": "ls", "middle": "ms", "end": "rs"}[anchor]
            draw.text((x * s, y * s), text, font=font, fill=fill, anchor=pil_anchor)
    image.save(path, format="PNG", optimize=True)
    return True


def _dashes(p: tuple[float, float], q: tuple[float, float], on: float = 6, off: float = 4):
    length = math.dist(p, q)
    step = on + off
    for i in range(math.ceil(length / step)):
        a, b = i * step / length, min(1.0, (i * step + on) / length)
        yield (p[0] + (q[0] - p[0]) * a, p[1] + (q[1] - p[1]) * a), (p[0] + (q[0] - p[0]) * b, p[1] + (q[1] - p[1]) * b)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round axis marks from ``lo`` to at least ``hi`` (steps of 1, 2 or 5 × 10^k)."""
    span = max(hi - lo, 1e-9)
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks = [first]
    while ticks[-1] < hi - 1e-9:
        ticks.append(ticks[-1] + step)
    return [round(t, 6) for t in ticks]


def _text_width(text: str, size: int) -> float:
    """An estimate (no font metrics in SVG): CJK characters are one em, the rest about half."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.55 for ch in text)


def _frame(title: str, subtitle: str = "") -> Canvas:
    canvas = Canvas(WIDTH, HEIGHT, title)
    canvas.text(WIDTH / 2, 30, title, 18, "middle")
    if subtitle:
        canvas.text(WIDTH / 2, 52, subtitle, 12, "middle", "#666666")
    return canvas


def _legend(canvas: Canvas, entries: list[tuple[str, str, str]]) -> None:
    """Entries (kind: bar/line/dash, colour, label), centred under the plot."""
    widths = [28 + _text_width(label, 12) + 20 for _, _, label in entries]
    x, y = (canvas.width - sum(widths)) / 2, canvas.height - 22
    for (kind, colour, label), w in zip(entries, widths, strict=True):
        if kind == "bar":
            canvas.rect(x, y - 10, 18, 10, colour)
        else:
            canvas.line(x, y - 5, x + 18, y - 5, colour, 2, dash=kind == "dash")
        canvas.text(x + 24, y, label, 12)
        x += w


def _hour_chart(
    title: str,
    subtitle: str,
    hours: list[int],
    bars: tuple[str, list[float], str],
    lines: list[tuple[str, list[float], str]],
    unit: str,
    target: float | None = None,
    right: tuple[str, list[float], str] | None = None,
) -> Canvas:
    """Bars and lines over the hours of the day; ``right`` is a share (0–1) on its own axis."""
    canvas = _frame(title, subtitle)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP
    values = bars[1] + [v for _, vs, _ in lines for v in vs] + ([target] if target is not None else [])
    ticks = nice_ticks(min([0.0, *values]), max([1.0, *values]))
    lo, hi = ticks[0], ticks[-1]

    def y(value: float) -> float:
        return y0 - (value - lo) / (hi - lo) * (y0 - y1)

    for t in ticks:
        canvas.line(x0, y(t), x1, y(t), "#e6e6e6")
        canvas.text(x0 - 6, y(t) + 4, _n(t), 11, "end")
    canvas.text(x0 - 6, y1 - 12, unit, 11, "end", "#666666")
    slot = (x1 - x0) / max(len(hours), 1)
    centres = [x0 + slot * (i + 0.5) for i in range(len(hours))]
    label, heights, colour = bars
    for cx, value, hour in zip(centres, heights, hours, strict=True):
        top = y(max(value, 0.0))
        canvas.rect(cx - slot * 0.3, top, slot * 0.6, y(min(value, 0.0)) - top, colour)
        canvas.text(cx, y0 + 18, f"{hour:02d}时", 11, "middle")
    legend = [("bar", colour, label)]
    for label, points, colour in lines:
        canvas.polyline([(cx, y(v)) for cx, v in zip(centres, points, strict=True)], colour)
        for cx, v in zip(centres, points, strict=True):
            canvas.dot(cx, y(v), 3, colour)
        legend.append(("line", colour, label))
    if right is not None:
        label, shares, colour = right
        for t in (0, 0.25, 0.5, 0.75, 1.0):
            canvas.text(x1 + 6, y0 - t * (y0 - y1) + 4, f"{t:.0%}", 11)
        canvas.polyline([(cx, y0 - s * (y0 - y1)) for cx, s in zip(centres, shares, strict=True)], colour)
        for cx, s in zip(centres, shares, strict=True):
            canvas.dot(cx, y0 - s * (y0 - y1), 3, colour)
        legend.append(("line", colour, label))
    if target is not None:
        canvas.line(x0, y(target), x1, y(target), RED, 1.5, dash=True)
        legend.append(("dash", RED, f"目标 {_n(target)} {unit}"))
    canvas.line(x0, y(0), x1, y(0), "#888888")
    _legend(canvas, legend)
    return canvas


def waits_chart(f: dict) -> Canvas:
    hours = [h for h in f["hours"] if h["tickets"]]
    return _hour_chart(
        "各时段等候时间",
        f"按取号时段；全天平均 {f['wait_mean_s'] / 60:.1f} 分钟，超过目标的占 {f['over_target_share']:.1%}",
        [h["hour"] for h in hours],
        ("平均等候", [h["wait_mean_s"] / 60 for h in hours], BLUE),
        [("P90 等候", [h["wait_p90_s"] / 60 for h in hours], ORANGE)],
        "分钟",
        target=f["wait_target_s"] / 60,
    )


def queue_chart(f: dict) -> Canvas:
    hours = [h for h in f["hours"] if h["open_windows"] or h["queue"]]
    return _hour_chart(
        "各时段排队人数与窗口利用率",
        f"整点时仍在等候的人数（多天取平均）；全天窗口利用率 {f['utilisation']:.1%}",
        [h["hour"] for h in hours],
        ("整点排队人数", [h["queue"] for h in hours], BLUE),
        [],
        "人",
        right=("窗口利用率（右轴）", [h["utilisation"] for h in hours], ORANGE),
    )


def estimate_chart(f: dict) -> Canvas:
    hours = [h for h in f["hours"] if h["tickets"]]
    return _hour_chart(
        "号票上的预计等候与实际等候之差",
        f"全天平均绝对误差 {f['estimate_mae_s'] / 60:.1f} 分钟（为平均等候的 {f['estimate_mae_share']:.0%}），"
        f"偏差 {f['estimate_bias_s'] / 60:.1f} 分钟（负数：预计偏短）",
        [h["hour"] for h in hours],
        ("平均绝对误差", [h["estimate_mae_s"] / 60 for h in hours], BLUE),
        [("偏差（预计 - 实际）", [h["estimate_bias_s"] / 60 for h in hours], ORANGE)],
        "分钟",
    )


def services_chart(f: dict, count: int = 20) -> Canvas:
    """Horizontal bars: the services with the longest mean wait, longest first."""
    services = sorted((s for s in f["services"] if s["tickets"]), key=lambda s: (-s["wait_mean_s"], s["service"]))
    services = services[:count]
    row = 18
    label_w = max([_text_width(s["name"], 12) for s in services] + [60]) + 24
    height = TOP + row * len(services) + BOTTOM
    title = f"平均等候最长的 {len(services)} 项业务"
    canvas = Canvas(WIDTH, height, title)
    canvas.text(WIDTH / 2, 30, title, 18, "middle")
    canvas.text(WIDTH / 2, 52, "条：平均等候；数字：平均 / P90（分钟）", 12, "middle", "#666666")
    x0, x1, y0 = label_w, WIDTH - RIGHT - 40, TOP
    target = f["wait_target_s"] / 60
    ticks = nice_ticks(0, max([s["wait_mean_s"] / 60 for s in services] + [target]))

    def x(value: float) -> float:
        return x0 + value / ticks[-1] * (x1 - x0)

    bottom = y0 + row * len(services)
    for t in ticks:
        canvas.line(x(t), y0, x(t), bottom, "#e6e6e6")
        canvas.text(x(t), bottom + 16, _n(t), 11, "middle")
    for i, s in enumerate(services):
        top = y0 + i * row
        mean = s["wait_mean_s"] / 60
        canvas.text(x0 - 8, top + row - 5, s["name"], 12, "end")
        canvas.rect(x0, top + 3, x(mean) - x0, row - 6, BLUE if mean <= target else ORANGE)
        canvas.text(x(mean) + 4, top + row - 5, f"{mean:.1f} / {s['wait_p90_s'] / 60:.1f}", 11)
    canvas.line(x(target), y0 - 4, x(target), bottom, RED, 1.5, dash=True)
    canvas.line(x0, y0, x0, bottom, "#888888")
    legend = [("bar", BLUE, "不超过目标"), ("bar", ORANGE, "超过目标"), ("dash", RED, f"目标 {_n(target)} 分钟")]
    _legend(canvas, legend)
    return canvas


CHARTS = {"waits": waits_chart, "queue": queue_chart, "services": services_chart, "estimate": estimate_chart}


def write_charts(figures: dict, out: Path, png: bool = True) -> list[Path]:
    """Write each chart as ``NAME.svg`` (and ``NAME.png``) into ``out``; the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in CHARTS.items():
        canvas = draw(figures)
        path = out / f"{name}.svg"
        path.write_text(to_svg(canvas), encoding="utf-8")
        written.append(path)
        if png and to_png(canvas, out / f"{name}.png"):
            written.append(out / f"{name}.png")
    return written
