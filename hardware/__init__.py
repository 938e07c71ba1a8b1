"""Device drivers: they know bytes, ports and devices, not queues.

- ticket printers (ESC/POS over TCP, serial, USB): ``TicketPrinter``, ``TicketContent``;
- LED window boards (Onbon BX-5K/6K on RS-485): ``BoardLine``;
- voice announcements (espeak-ng, offline): ``Announcer``, ``Announcement``.

Every call that touches a device blocks; callers on an event loop use an executor.
"""

from .led_board import BoardError, BoardLine, BoardRejected, BoardSilent, Exchange
from .printer import PrinterError, PrinterNotReady, PrinterUnreachable, PrintReport, TicketPrinter
from .printer_status import PrinterState, PrinterStatus
from .printer_uri import PrinterUri, PrinterUriError, parse_printer_uri
from .ticket_layout import TicketContent, ticket_bytes
from .voice import Announcement, Announcer, EspeakVoice, SoundDeviceSink, VoiceError, WavFolderSink

__all__ = [
    "Announcement",
    "Announcer",
    "BoardError",
    "BoardLine",
    "BoardRejected",
    "BoardSilent",
    "EspeakVoice",
    "Exchange",
    "PrintReport",
    "PrinterError",
    "PrinterNotReady",
    "PrinterState",
    "PrinterStatus",
    "PrinterUnreachable",
    "PrinterUri",
    "PrinterUriError",
    "SoundDeviceSink",
    "TicketContent",
    "TicketPrinter",
    "VoiceError",
    "WavFolderSink",
    "parse_printer_uri",
    "ticket_bytes",
]
