"""Device drivers: they know bytes, ports and devices, not queues.

- ticket printers (ESC/POS over TCP, serial, USB): ``TicketPrinter``, ``TicketContent``;
- LED window boards (Onbon BX-5K/6K on RS-485): ``BoardLine``;
- voice announcements (espeak-ng, offline): ``Announcer``, ``Announcement``;
- QR scanners on a serial port (预约取号 at the kiosk): ``SerialScanner``;
- second-generation ID card readers (二代身份证阅读器, SAM protocol): ``IdCardReader``, ``IdCard``.

Every call that touches a device blocks; callers on an event loop use an executor.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# What each name is imported from, when first used (PEP 562): a program that needs the board
# driver does not pay for python-escpos, whose import alone takes half a second.
_HOME = {
    "BoardError": "led_board",
    "BoardLine": "led_board",
    "BoardRejected": "led_board",
    "BoardSilent": "led_board",
    "Exchange": "led_board",
    "IdCard": "idcard",
    "IdCardError": "idcard",
    "IdCardReader": "idcard",
    "PrintReport": "printer",
    "PrinterError": "printer",
    "PrinterNotReady": "printer",
    "PrinterUnreachable": "printer",
    "TicketPrinter": "printer",
    "PrinterState": "printer_status",
    "PrinterStatus": "printer_status",
    "PrinterUri": "printer_uri",
    "PrinterUriError": "printer_uri",
    "parse_printer_uri": "printer_uri",
    "ScannerUriError": "scanner",
    "SerialScanner": "scanner",
    "parse_scanner_uri": "scanner",
    "TicketContent": "ticket_layout",
    "ticket_bytes": "ticket_layout",
    "Announcement": "voice",
    "Announcer": "voice",
    "EspeakVoice": "voice",
    "SoundDeviceSink": "voice",
    "VoiceError": "voice",
    "WavFolderSink": "voice",
}

if TYPE_CHECKING:
    from .idcard import IdCard, IdCardError, IdCardReader
    from .led_board import BoardError, BoardLine, BoardRejected, BoardSilent, Exchange
    from .printer import PrinterError, PrinterNotReady, PrinterUnreachable, PrintReport, TicketPrinter
    from .printer_status import PrinterState, PrinterStatus
    from .printer_uri import PrinterUri, PrinterUriError, parse_printer_uri
    from .scanner import ScannerUriError, SerialScanner, parse_scanner_uri
    from .ticket_layout import TicketContent, ticket_bytes
    from .voice import Announcement, Announcer, EspeakVoice, SoundDeviceSink, VoiceError, WavFolderSink


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{home}", __name__), name)


__all__ = [
    "Announcement",
    "Announcer",
    "BoardError",
    "BoardLine",
    "BoardRejected",
    "BoardSilent",
    "EspeakVoice",
    "Exchange",
    "IdCard",
    "IdCardError",
    "IdCardReader",
    "PrintReport",
    "PrinterError",
    "PrinterNotReady",
    "PrinterState",
    "PrinterStatus",
    "PrinterUnreachable",
    "PrinterUri",
    "PrinterUriError",
    "ScannerUriError",
    "SerialScanner",
    "SoundDeviceSink",
    "TicketContent",
    "TicketPrinter",
    "VoiceError",
    "WavFolderSink",
    "parse_printer_uri",
    "parse_scanner_uri",
    "ticket_bytes",
]
