"""The kiosk's own widgets; their looks are in ``kv/00_common.kv``."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.button import Button


class BigButton(Button):
    """A large, high-contrast touch target."""


class TileButton(BigButton):
    """A home-screen tile: a department or life event, with its live waiting count."""

    subtitle = StringProperty("")
    waiting = StringProperty("")
    services = ListProperty([])


class ServiceButton(BigButton):
    code = StringProperty("")
    detail = StringProperty("")
    is_open = BooleanProperty(True)


class GuideButton(Button):
    detail = StringProperty("")


for widget in (BigButton, TileButton, ServiceButton, GuideButton):
    Factory.register(widget.__name__, cls=widget)
