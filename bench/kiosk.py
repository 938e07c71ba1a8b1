"""Tap-to-ticket time: from the tap on a service to the ticket on screen, with the ticket
issued by a live server (its own process, durable commits) and printed to a printer that keeps
the bytes. The kiosk runs in a real Kivy window under SDL's offscreen driver.

Measured for a normal visitor, an elderly one (特别通道: a priority ticket, 大字 mode with its
larger text and high contrast), and an elderly one with voice guidance on (espeak-ng runs on the
kiosk's network thread, so the tap is not slower), each on a portrait kiosk. Then for a visit of
two services (加选 one, touch the other, then 取号（2 项）: timed from that last tap): one number
carrying both (one window serves both), and two linked numbers (no window serves both), each
printed on one slip.

    .venv/bin/python bench/kiosk.py [--taps 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.kiosk_ui.driver import KivyDriver  # noqa: E402, I001  (configures Kivy first)

from kivy.tests.common import UnitTestTouch  # noqa: E402

from hardware.printer import TicketPrinter  # noqa: E402
from kiosk.app import KioskApp  # noqa: E402
from queue_server.client import HallClient  # noqa: E402
from queue_server.store import accounts  # noqa: E402
from queue_server.store.database import open_database  # noqa: E402
from tests.serverproc import ALL_DAY_HALL, ServerProcess  # noqa: E402

# One kiosk taking 60 tickets in a minute or two: past the hall's anti-abuse limit (30 a minute).
TILES = """
[limits]
kiosk_tickets_per_minute = 0

[[departments]]
code = "sw"
name = "市税务局"

[[services]]
code = "tax"
name = "纳税申报"
department = "sw"
prefix = "E"

[[windows]]
number = 2
name = "税务"
services = ["tax"]

[[tiles]]
name = "户政"
services = ["hukou", "idcard", "tax"]
"""


def measure(driver: KivyDriver, taps: int, elderly: bool) -> list[float]:
    """Seconds from the service tap (finger lifted) to the ticket screen, ``taps`` times."""
    app = driver.app
    home = app.root.get_screen("home")
    times = []
    for _ in range(taps):
        if elderly:
            driver.tap(home.ids.elderly)
            assert app.elderly_mode and app.large_text
            driver.frames(2)
        driver.tap(home.ids.tiles.children[-1])
        services = app.root.get_screen("services").ids.services
        target = next(b for b in services.children if b.code == "hukou")
        times.append(tap_to_ticket(driver, target))
        if elderly:
            assert app.outcome.ticket["priority"] == "elderly"
        app.go_home()
        driver.frames(2)
    return times


def tap_to_ticket(driver: KivyDriver, target) -> float:
    """Seconds from lifting the finger off ``target`` to the ticket screen."""
    x, y = target.to_window(*target.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    started = time.perf_counter()
    touch.touch_up()
    driver.wait_until(lambda: driver.app.root.current == "ticket", what="ticket screen")
    return time.perf_counter() - started


def measure_visit(driver: KivyDriver, taps: int, codes: tuple[str, str]) -> list[float]:
    """Seconds from the tap on 取号（2 项） (finger lifted) to the visit's ticket on screen."""
    app = driver.app
    home = app.root.get_screen("home")
    times = []
    for _ in range(taps):
        driver.tap(home.ids.tiles.children[-1])
        services = app.root.get_screen("services")
        first, second = (next(b for b in services.ids.services.children if b.code == c) for c in codes)
        driver.tap(first.ids.choose)  # 加选
        driver.tap(second)  # chosen too, now that the visitor is choosing
        assert app.chosen == list(codes)
        times.append(tap_to_ticket(driver, services.ids.visit.ids.take))
        assert len(app.outcome.numbers) == (1 if app.outcome.also else 2)
        app.go_home()
        driver.frames(2)
    return times


def report(label: str, times: list[float]) -> None:
    ordered = sorted(times)
    print(
        f"kiosk tap-to-ticket, {label}, over {len(times)} taps (live server, printed to dummy:): "
        f"median {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--taps", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hallqueue-bench-") as tmp:
        folder = Path(tmp)
        (folder / "hall.toml").write_text(ALL_DAY_HALL + TILES, encoding="utf-8")
        db = open_database(folder / "hall.db")
        token = accounts.add_device(db, "bench-kiosk", "kiosk", datetime.now().astimezone())
        db.close()
        server = ServerProcess(folder / "hall.db", folder / "hall.toml", folder / "server.log")
        asyncio.run(server.start())
        driver = None
        try:
            printer = TicketPrinter("dummy:")
            runs = (
                ("normal", None, "normal visitor"),
                ("elderly", None, "elderly visitor (特别通道 + 大字)"),
                ("elderly", folder / "voice", "elderly visitor, voice guidance on (espeak-ng to WAV files)"),
            )
            for mode, voice, label in runs:
                if driver is not None:
                    driver.stop()
                app = KioskApp(HallClient(server.url, token), printer, voice=voice)
                driver = KivyDriver(app).start()
                driver.wait_until(lambda a=app: len(a.root.get_screen("home").ids.tiles.children) > 0, what="tiles")
                report(label, measure(driver, args.taps, elderly=mode == "elderly"))
                if voice is not None:
                    driver.wait_until(lambda a=app: a.speaker.said >= 1, timeout=60, what="speech")
                    print(f"  voice: {len(list(voice.glob('*-ticket-*.wav')))} ticket sentences written so far")
            driver.stop()
            app = KioskApp(HallClient(server.url, token), printer)
            driver = KivyDriver(app).start()
            driver.wait_until(lambda: len(app.root.get_screen("home").ids.tiles.children) > 0, what="tiles")
            visits = (
                (("hukou", "idcard"), "two-service visit, one number carrying both"),
                (("hukou", "tax"), "two-service visit, two linked numbers"),
            )
            for codes, label in visits:
                report(label, measure_visit(driver, args.taps, codes))
            print(f"  (includes frames drawn until the ticket screen shows: software GL, ~{1000 / 60:.0f} ms a frame)")
        finally:
            if driver is not None:
                driver.stop()
            server.stop()


if __name__ == "__main__":
    main()
