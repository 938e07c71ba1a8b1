# ruff: noqa: I001  (import order matters: Kivy is configured before it is imported)
"""A real Kivy window under SDL's offscreen driver, driven frame by frame with simulated touches.

No X server; not the "dummy" SDL driver, which ends the process. Kivy reads its settings when
first imported, so importing this module first configures it (the tests' conftest and the
kiosk benchmark both do).

The offscreen window cannot draw beyond the size it was created with, so it is created
1920x1920 (every kiosk shape fits) and each App is started at its kiosk's size:
portrait 1080x1920 unless told (``KivyDriver(app, size=(1920, 1080))``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_WINDOW", "sdl2")  # fail loudly instead of falling back to X11
os.environ.setdefault("KIVY_GL_BACKEND", "sdl2")
os.environ["KIVY_NO_ARGS"] = "1"
os.environ["KIVY_LOG_MODE"] = "PYTHON"
os.environ["KIVY_NO_FILELOG"] = "1"
os.environ["KIVY_NO_CONFIG"] = "1"
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))
os.environ.setdefault("KIVY_METRICS_DENSITY", "1")
os.environ.setdefault("KIVY_DPI", "96")
os.environ.setdefault("KIVY_CLIPBOARD", "dummy")  # no xclip/xsel on a headless machine

from kivy.config import Config

Config.set("graphics", "width", "1920")  # room for every shape; start() sets the kiosk's size
Config.set("graphics", "height", "1920")
Config.set("graphics", "resizable", "0")
Config.set("graphics", "maxfps", "60")  # with 0 the software renderer piles up frames
Config.set("kivy", "exit_on_escape", "0")
for key, _ in Config.items("input"):
    Config.remove_option("input", key)

from kivy.base import EventLoop, runTouchApp  # noqa: E402
from kivy.core.window import Window  # noqa: E402  (creates the window)
from kivy._metrics import dispatch_pixel_scale  # noqa: E402  (after the window exists)
from kivy.graphics.opengl import glFinish  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
PORTRAIT = (1080, 1920)
LANDSCAPE = (1920, 1080)
SQUARE = (1280, 1024)  # the older 5:4 kiosks
SHAPES = {"portrait": PORTRAIT, "landscape": LANDSCAPE, "square": SQUARE}

dispatch_pixel_scale()  # Kivy 2.3.1: dp() is negative if Metrics.dpi is read first


class KivyDriver:
    """Runs one App in the shared window and drives it frame by frame."""

    def __init__(self, app, size: tuple[int, int] = PORTRAIT) -> None:
        self.app = app
        self.size = size

    def start(self) -> KivyDriver:
        Window.size = self.size
        self.app._run_prepare()
        runTouchApp(embedded=True)
        self.frames(2)
        return self

    def stop(self) -> None:
        Window.release_all_keyboards()
        self.app.stop()
        for widget in Window.children[:]:
            Window.remove_widget(widget)
        EventLoop.touches.clear()
        for module in EventLoop.postproc_modules:
            for attr in ("touches", "last_touches"):
                if hasattr(module, attr):
                    getattr(module, attr).clear()

    def frame(self) -> None:
        EventLoop.idle()
        glFinish()

    def frames(self, n: int) -> None:
        for _ in range(n):
            self.frame()

    def wait_until(self, condition, timeout: float = 10.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
            self.frame()
        self.frames(2)

    def tap(self, widget) -> None:
        x, y = widget.to_window(*widget.center)
        self.tap_at(x, y)

    def tap_at(self, x: float, y: float) -> None:
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.frame()
        touch.touch_up()
        self.frames(2)

    def drag(self, widget, dy: float, steps: int = 8) -> None:
        """A finger down on ``widget``, moved ``dy`` pixels up (positive) or down, then lifted."""
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.frame()
        for i in range(1, steps + 1):
            touch.touch_move(x, y + dy * i / steps)
            self.frame()
        touch.touch_up()
        self.frames(2)

    def type_text(self, text: str) -> None:
        Window.dispatch("on_textinput", text)
        self.frame()

    def screen(self):
        return self.app.root.current_screen

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        Window.canvas.ask_update()
        self.frame()
        Window.dispatch("on_draw")
        taken = Window.screenshot(name=str(ARTIFACTS / "_kiosk.png"))
        target = ARTIFACTS / name
        shutil.move(taken, target)
        return target
