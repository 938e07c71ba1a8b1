# ruff: noqa: I001  (import order matters: Kivy is configured before it is imported)
"""The kiosk's UI tests: a real Kivy window (see ``driver``) against a real queue server on
127.0.0.1, running on an event loop in a thread of its own."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from .driver import PORTRAIT, KivyDriver

import pytest
from aiohttp import web

from queue_server.api.app import init_app
from queue_server.config.hall_file import load_hall_config
from queue_server.config.guides import hall_guides

from ..conftest import Clock, provision


class LoopbackServer:
    """The real queue server on 127.0.0.1, on an event loop in a thread of its own."""

    def __init__(self, db_path: Path, clock: Clock, port: int = 0) -> None:
        self.clock = clock
        config = load_hall_config()  # the sample hall, with its guides and tiles
        self.config = config
        self.kiosk_token, _ = provision(db_path, [])
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        app = init_app(config, db_path, clock, hall_guides(config, None))
        self.runner = web.AppRunner(app)
        self._call(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        self._call(site.start())
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        self._call(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


@pytest.fixture
def server(tmp_path):
    s = LoopbackServer(tmp_path / "hall.db", Clock())
    yield s
    s.stop()


@pytest.fixture
def kiosk(server):
    """Start a KioskApp against the server: kiosk(printer=..., client=..., size=(w, h), **app_options)
    -> KivyDriver (portrait 1080x1920 unless ``size`` says otherwise)."""
    from kiosk.app import KioskApp
    from queue_server.client import HallClient

    started = []

    def start(printer=None, client=None, size=PORTRAIT, **kwargs) -> KivyDriver:
        app = KioskApp(client or HallClient(server.url, server.kiosk_token), printer, **kwargs)
        driver = KivyDriver(app, size=size).start()
        started.append(driver)
        return driver

    yield start
    for driver in started:
        driver.stop()
