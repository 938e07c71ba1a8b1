"""The kiosk's screens: thin controllers over the kv layouts in ``kv/``.

They render what the App holds and call the App back; no screen talks to the server.
"""

from __future__ import annotations

import io
from typing import Any

import qrcode
from kivy.app import App
from kivy.core.image import Image as CoreImage
from kivy.factory import Factory
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from . import strings, widgets  # noqa: F401  (registers the kiosk's widgets)


def qr_texture(text: str):
    """The QR code of ``text`` as a Kivy texture (black on white, crisp when scaled)."""
    image = qrcode.make(text, border=2, box_size=10)
    data = io.BytesIO()
    image.save(data, format="PNG")
    data.seek(0)
    texture = CoreImage(data, ext="png").texture
    texture.mag_filter = "nearest"
    return texture


class HomeScreen(Screen):
    screen_name = "home"

    def on_pre_enter(self, *_args: Any) -> None:
        self.refresh()

    def refresh(self, *_args: Any) -> None:
        app = App.get_running_app()
        grid = self.ids.tiles
        grid.clear_widgets()
        for tile in app.tiles:
            button = Factory.TileButton(text=tile["name"], subtitle=tile.get("subtitle", ""))
            button.services = tile["services"]
            button.bind(on_release=lambda b, t=tile: app.choose_tile(t))
            grid.add_widget(button)
        self.update_counts()

    def update_counts(self, *_args: Any) -> None:
        app = App.get_running_app()
        for button in self.ids.tiles.children:
            total = sum(app.waiting(code) for code in button.services)
            button.waiting = strings.WAITING.format(n=total)


class ServicesScreen(Screen):
    screen_name = "services"
    heading = StringProperty("")

    def on_pre_enter(self, *_args: Any) -> None:
        app = App.get_running_app()
        self.heading = app.tile["name"] if app.tile else ""
        listing = self.ids.services
        listing.clear_widgets()
        for code in app.tile["services"] if app.tile else ():
            service = app.services.get(code)
            if service is None:
                continue
            button = Factory.ServiceButton(text=service["name"])
            button.code = code
            button.is_open = service["open"]
            button.bind(on_release=lambda b, c=code: app.take(c))
            listing.add_widget(button)
        self.update_counts()

    def update_counts(self, *_args: Any) -> None:
        app = App.get_running_app()
        for button in self.ids.services.children:
            service = app.services.get(button.code, {})
            button.detail = (
                strings.WAITING.format(n=app.waiting(button.code))
                if service.get("open")
                else f"{strings.CLOSED}（{service.get('hours', '')}）"
            )


class TicketScreen(Screen):
    screen_name = "ticket"
    qr = ObjectProperty(None, allownone=True)

    def on_pre_enter(self, *_args: Any) -> None:
        outcome = App.get_running_app().outcome
        self.qr = qr_texture(outcome.status_url) if outcome else None

    @staticmethod
    def ahead_text(outcome) -> str:
        return strings.AHEAD.format(n=outcome.ticket["waiting_ahead"]) if outcome else ""

    @staticmethod
    def estimate_text(outcome) -> str:
        return strings.minutes(outcome.ticket["estimated_wait_s"]) if outcome else ""


class GuidesScreen(Screen):
    screen_name = "guides"

    def clear(self) -> None:
        self.ids.query.text = ""
        self.show_results([])

    def on_query(self, text: str) -> None:
        app = App.get_running_app()
        self.show_results(app.search(text) if text.strip() else [], searched=bool(text.strip()))

    def browse(self, department_code: str) -> None:
        app = App.get_running_app()
        self.ids.query.text = ""
        self.show_results([g for g in app.guides if g["department"] == department_code])

    def show_results(self, items: list[dict[str, Any]], searched: bool = False) -> None:
        app = App.get_running_app()
        listing = self.ids.results
        listing.clear_widgets()
        if searched and not items:
            listing.add_widget(Factory.HintLabel(text=strings.SEARCH_EMPTY))
        for item in items[:40]:
            button = Factory.GuideButton(text=item["name"], detail=f"{item['department_name']} · {item['kind']}")
            button.bind(on_release=lambda b, c=item["code"]: app.open_guide(c))
            listing.add_widget(button)

    def on_pre_enter(self, *_args: Any) -> None:
        app = App.get_running_app()
        departments = self.ids.departments
        departments.clear_widgets()
        seen: dict[str, str] = {}
        for g in app.guides:
            department = app.departments.get(g["department"], {})
            seen.setdefault(g["department"], department.get("short_name") or g["department_name"])
        for code, name in seen.items():
            button = Factory.DepartmentButton(text=name)
            button.bind(on_release=lambda b, c=code: self.browse(c))
            departments.add_widget(button)


class GuideScreen(Screen):
    screen_name = "guide"
    item = ObjectProperty(None, allownone=True)

    def on_item(self, _screen: Any, item: dict[str, Any] | None) -> None:
        body = self.ids.fields
        body.clear_widgets()
        if not item:
            return
        for key, label in strings.GUIDE_FIELDS:
            body.add_widget(Factory.FieldTitle(text=label))
            body.add_widget(Factory.FieldText(text=self.format_field(key, item.get(key))))

    @staticmethod
    def format_field(key: str, value: Any) -> str:
        if key == "fees":
            if not value:
                return strings.NO_FEE
            return "\n".join(
                f"{f['name']}：{f['standard']}" + (f"（依据：{f['basis']}）" if f.get("basis") else "") for f in value
            )
        if isinstance(value, list):
            if key in ("materials", "procedure", "conditions"):
                # "1、" with no space: Kivy wraps at spaces, and would strand the number.
                return "\n".join(f"{i}、{v}" for i, v in enumerate(value, start=1))
            return "\n".join(value)
        return str(value or "")


SCREENS = (HomeScreen, ServicesScreen, TicketScreen, GuidesScreen, GuideScreen)
