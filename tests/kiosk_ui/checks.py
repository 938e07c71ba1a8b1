"""What a screen must be for a visitor, checked on the widgets as drawn: every text at least the
mode's smallest size, inside the window, not cut (its text fits its box) and not overlapping
another text."""

from __future__ import annotations

from dataclasses import dataclass

from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.textinput import TextInput

TOLERANCE = 1.5  # pixels: rounding in Kivy's layouts


@dataclass
class Text:
    widget: Label
    rect: tuple[float, float, float, float]  # x, y, right, top in window coordinates: where the text is drawn
    box: tuple[float, float, float, float]  # the label's own box
    scrolled: bool  # inside a ScrollView (may be partly scrolled out of view)
    clip: tuple[float, float, float, float] | None  # the ScrollView's viewport, which clips it

    @property
    def shown(self) -> tuple[float, float, float, float]:
        """The part of the text a visitor sees (a ScrollView clips what is scrolled away)."""
        if self.clip is None:
            return self.rect
        c = self.clip
        return max(self.rect[0], c[0]), max(self.rect[1], c[1]), min(self.rect[2], c[2]), min(self.rect[3], c[3])

    @property
    def text(self) -> str:
        return self.widget.text


def window_rect(widget) -> tuple[float, float, float, float]:
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def intersects(a, b, slack: float = TOLERANCE) -> bool:
    return a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and b[1] < a[3] - slack


def natural_size(label: Label) -> tuple[float, float]:
    """The size the label's text needs (with its padding) when wrapped to the width it has."""
    width = label.text_size[0]
    core = CoreLabel(
        text=label.text,
        font_size=label.font_size,
        bold=label.bold,
        padding=label.padding,
        text_size=(width, None) if width else (None, None),
        halign=label.halign,
    )
    core.refresh()
    return core.texture.size


def visible_widgets(root, viewport=None):
    """(widget, the viewport of the ScrollView it is in or None) for every widget a visitor can see."""
    for child in root.children:
        if child.opacity == 0 or child.width <= 0 or child.height <= 0:
            continue
        rect = window_rect(child)
        if viewport is not None and not intersects(rect, viewport, 0):
            continue  # scrolled out of view
        yield child, viewport
        if isinstance(child, ScrollView):
            yield from visible_widgets(child, window_rect(child))
        else:
            yield from visible_widgets(child, viewport)


def texts_on(root) -> list[Text]:
    out = []
    for widget, viewport in visible_widgets(root):
        if isinstance(widget, Label) and widget.text.strip():
            w, h = widget.texture_size
            box = window_rect(widget)
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            rect = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            out.append(Text(widget, rect, box, viewport is not None, viewport))
    return out


def screen_problems(root, min_font: float) -> list[str]:
    """Everything wrong on the screen under ``root``, as sentences (empty: all is well)."""
    problems = []
    width, height = Window.size
    texts = texts_on(root)
    if not texts:
        problems.append("no text on screen")
    for t in texts:
        name = f"{type(t.widget).__name__} {t.text[:30]!r}"
        if t.widget.font_size < min_font - 0.05:
            problems.append(f"{name}: font {t.widget.font_size:.1f} px < {min_font:.1f} px")
        need_w, need_h = natural_size(t.widget)
        box_w, box_h = t.widget.size
        if need_w > box_w + TOLERANCE or need_h > box_h + TOLERANCE:
            problems.append(f"{name}: needs {need_w:.0f}x{need_h:.0f}, has {box_w:.0f}x{box_h:.0f} (cut)")
        x, y, right, top = t.box
        if x < -TOLERANCE or right > width + TOLERANCE:
            problems.append(f"{name}: outside the window sideways ({x:.0f}..{right:.0f} of {width})")
        if not t.scrolled and (y < -TOLERANCE or top > height + TOLERANCE):
            problems.append(f"{name}: outside the window ({y:.0f}..{top:.0f} of {height})")
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            if intersects(a.shown, b.shown):
                problems.append(f"{a.text[:20]!r} and {b.text[:20]!r} overlap: {a.shown} {b.shown}")
    for widget, _ in visible_widgets(root):
        if isinstance(widget, TextInput):
            if widget.font_size < min_font - 0.05:
                problems.append(f"TextInput: font {widget.font_size:.1f} px < {min_font:.1f} px")
            for shown in (widget.hint_text, widget.text):  # one line: what does not fit is cut
                core = CoreLabel(text=shown, font_size=widget.font_size)
                core.refresh()
                room = widget.width - widget.padding[0] - widget.padding[2]
                if shown and core.texture.size[0] > room + TOLERANCE:
                    problems.append(f"TextInput {shown!r}: needs {core.texture.size[0]} px, has {room:.0f} (cut)")
    return problems


def assert_screen_fits(root, min_font: float) -> None:
    problems = screen_problems(root, min_font)
    assert not problems, "\n".join(problems)
