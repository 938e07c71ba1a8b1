"""``hallqueue kiosk``: run the touchscreen on a kiosk PC."""

from __future__ import annotations

import os
from pathlib import Path

import click


@click.command()
@click.option("--server", required=True, help="the queue server, e.g. http://192.168.1.10:8080")
@click.option(
    "--token",
    required=True,
    envvar="HALLQUEUE_KIOSK_TOKEN",
    help="this kiosk's device token (hallqueue device add NAME --kind kiosk)",
)
@click.option("--printer", "printer_uri", help="its ticket printer, e.g. usb://0416:5011 (none: screen only)")
@click.option(
    "--scanner",
    "scanner_uri",
    help="its QR scanner on a serial port, for 预约取号, e.g. serial:///dev/ttyUSB0?baudrate=9600 "
    "(a USB scanner that types like a keyboard needs no setting)",
)
@click.option(
    "--idcard",
    "idcard_uri",
    help="its ID card reader (二代身份证阅读器) on a serial port, for 身份证取号, e.g. "
    "serial:///dev/ttyUSB1?baudrate=115200 (none: the ID number is typed on the screen)",
)
@click.option("--fullscreen", is_flag=True, help="take the whole screen (on the kiosk itself)")
@click.option("--size", default="1080x1920", show_default=True, help="window size when not full screen")
@click.option(
    "--screen-inches",
    type=click.FloatRange(5, 120),
    default=None,
    help="the panel's diagonal, so text has the same size in millimetres on every kiosk "
    '[default: 32" for full HD, 19" for 1280x1024 and smaller]',
)
@click.option(
    "--voice",
    is_flag=False,
    flag_value="sound",
    default=None,
    metavar="[FOLDER]",
    help="voice guidance (espeak-ng, offline): --voice alone speaks on the sound card, "
    "--voice FOLDER writes WAV files there (tests) [default: off]",
)
def kiosk(
    server: str,
    token: str,
    printer_uri: str | None,
    scanner_uri: str | None,
    idcard_uri: str | None,
    fullscreen: bool,
    size: str,
    screen_inches: float | None,
    voice: str | None,
) -> None:
    """Run the kiosk (取号机) against a queue server.

    Example: hallqueue kiosk --server http://127.0.0.1:8080 --token TOKEN --printer dummy: --voice
    """
    from hardware.idcard import IdCardUriError, parse_reader_uri
    from hardware.printer import TicketPrinter
    from hardware.printer_uri import PrinterUriError, parse_printer_uri
    from hardware.scanner import ScannerUriError, parse_scanner_uri

    try:
        printer = TicketPrinter(parse_printer_uri(printer_uri)) if printer_uri else None
    except PrinterUriError as exc:
        raise click.BadParameter(str(exc), param_hint="--printer") from None
    try:
        scanner = parse_scanner_uri(scanner_uri) if scanner_uri else None
    except ScannerUriError as exc:
        raise click.BadParameter(str(exc), param_hint="--scanner") from None
    try:
        if idcard_uri:
            parse_reader_uri(idcard_uri)
    except IdCardUriError as exc:
        raise click.BadParameter(str(exc), param_hint="--idcard") from None
    try:
        width, height = (int(x) for x in size.lower().split("x"))
    except ValueError:
        raise click.BadParameter("write it as WIDTHxHEIGHT, e.g. 1080x1920", param_hint="--size") from None
    if voice not in (None, "sound"):
        folder = Path(voice)
        if folder.exists() and not folder.is_dir():
            raise click.BadParameter(f"{voice} is not a folder", param_hint="--voice")
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our options are not Kivy's
    os.environ.setdefault("KIVY_CLIPBOARD", "sdl2")  # not xclip/xsel, which a kiosk PC lacks
    from kivy.config import Config

    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("kivy", "exit_on_escape", "0" if fullscreen else "1")
    # A kiosk has no keyboard: the search box brings up Kivy's on-screen one, where pinyin
    # initials (hkqr) find items; a system keyboard or IME still works where there is one.
    Config.set("kivy", "keyboard_mode", "systemanddock" if fullscreen else "system")

    from queue_server.client import HallClient

    from .app import KioskApp

    KioskApp(
        HallClient(server, token),
        printer,
        screen_inches=screen_inches,
        voice=voice,
        scanner=scanner,
        idcard=idcard_uri,
    ).run()
