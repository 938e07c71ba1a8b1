"""A service the hall adds with ``hallqueue reload`` is on the kiosk at once, without a restart."""

from __future__ import annotations

import shutil
from importlib import resources

from hardware.printer import TicketPrinter
from queue_server.api import appkeys
from queue_server.api.reload import COMMAND, reload_hall

from .test_kiosk_ui import button, server_tickets, tiles_loaded

PHOTO = """
[[departments]]
code = "zz"
name = "证照服务中心"

[[services]]
code = "zz-photo"
name = "证件照片采集"
department = "zz"
prefix = "ZH"

[[windows]]
number = 99
name = "照相"
services = ["zz-photo"]

[[tiles]]
name = "证件照"
subtitle = "照片采集"
services = ["zz-photo"]
"""


def test_a_service_added_by_a_reload_is_offered_at_once(kiosk, server, tmp_path):
    d = kiosk(printer=TicketPrinter("dummy:"))
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    assert "zz-photo" not in d.app.services
    sample = resources.files("queue_server.config").joinpath("sample")
    for name in ("hall.toml", "guides.toml", "calendar.toml"):
        with resources.as_file(sample.joinpath(name)) as source:
            shutil.copy(source, tmp_path / name)
    config = tmp_path / "hall.toml"
    config.write_text(config.read_text(encoding="utf-8") + PHOTO, encoding="utf-8")
    app = server.runner.app
    app[appkeys.FILES].path = config  # as `serve --config` gives it
    outcome = server._call(reload_hall(app, COMMAND, "it"))
    assert outcome.ok, outcome
    # The kiosk hears config_reloaded on its event stream and reads the services again.
    d.wait_until(lambda: "zz-photo" in d.app.services, what="the new service")
    d.wait_until(lambda: d.app.tiles and d.app.tiles[-1]["name"] == "证件照", what="the new tile")
    d.app.choose_tile(d.app.tiles[-1])
    d.wait_until(lambda: d.app.root.current == "services", what="services")
    d.tap(button(d.screen().ids.services, "证件照片采集"))
    d.wait_until(lambda: d.app.root.current == "ticket", what="ticket screen")
    assert d.screen().ids.number.text == "ZH001"
    assert server_tickets(server, tmp_path / "hall.db")[-1]["service"] == "zz-photo"


def test_a_hall_without_bookings_has_no_booking_button(kiosk, server, tmp_path):
    d = kiosk(printer=TicketPrinter("dummy:"))
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    ids = d.app.root.get_screen("home").ids
    assert ids.booking.parent is not None  # the sample hall takes bookings
    sample = resources.files("queue_server.config").joinpath("sample")
    for name in ("hall.toml", "guides.toml", "calendar.toml"):
        with resources.as_file(sample.joinpath(name)) as source:
            shutil.copy(source, tmp_path / name)
    config = tmp_path / "hall.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("booking =")), encoding="utf-8"
    )
    app = server.runner.app
    app[appkeys.FILES].path = config
    assert server._call(reload_hall(app, COMMAND, "it")).ok
    d.wait_until(lambda: ids.booking.parent is None, what="the booking button gone")
    t = d.app.t
    assert [w.text for w in reversed(ids.actions.children)] == [t.elderly_lane, t.idcard, t.guides]
    config.write_text(text, encoding="utf-8")
    assert server._call(reload_hall(app, COMMAND, "it")).ok
    d.wait_until(lambda: ids.booking.parent is not None, what="the booking button back")
    assert [w.text for w in reversed(ids.actions.children)] == [t.elderly_lane, t.booking, t.idcard, t.guides]
