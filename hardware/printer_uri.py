"""Printer addresses a hall's IT staff can write in the config, one string per printer.

    tcp://192.168.1.50:9100                      network printer (port 9100 by default)
    serial:///dev/ttyUSB0?baudrate=9600          serial printer (bytesize, parity, stopbits, rtscts)
    usb://0416:5011                              USB printer by vendor:product id (hex)
    file:///dev/usb/lp0                          a device file or a plain file: bytes are appended,
                                                 and it is ready while it can be written (no status
                                                 can be read back through a file)
    dummy:                                       keeps the bytes in memory (development);
                                                 dummy:?state=paper_out reports that status

Every kind also takes the ticket options ``paper=80|58`` (mm) and ``chinese=text|raster``
(``raster`` prints Chinese as an image for printers without a Chinese font), and
``timeout=SECONDS`` for status replies. For example, ``tcp://10.1.2.3:9100?paper=58&chinese=raster``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

KINDS = ("tcp", "serial", "usb", "file", "dummy")
PAPER_WIDTHS_MM = (80, 58)
CHINESE_MODES = ("text", "raster")
DUMMY_STATES = ("ready", "paper_near_end", "paper_out", "cover_open", "offline", "unknown")
_TICKET_OPTIONS = {"paper", "chinese", "timeout"}
_SERIAL_OPTIONS = {"baudrate", "bytesize", "parity", "stopbits", "rtscts", "xonxoff", "dsrdtr"}
_USB_OPTIONS = {"in_ep", "out_ep"}
_DUMMY_OPTIONS = {"state"}  # the status a dummy printer reports: ready, paper_out, cover_open ...


class PrinterUriError(ValueError):
    """The printer address cannot be used; the message says what is wrong."""


@dataclass(frozen=True)
class PrinterUri:
    kind: str
    target: str  # host:port, device path, vid:pid, file path or "" for dummy
    paper_mm: int = 80
    chinese: str = "text"
    timeout_s: float = 2.0
    options: dict[str, str] = field(default_factory=dict)  # transport options (baudrate ...)
    text: str = ""

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.target.rpartition(":")
        return host, int(port)

    def __str__(self) -> str:
        return self.text


def parse_printer_uri(text: str) -> PrinterUri:
    """Parse a printer address; raises ``PrinterUriError`` with the reason."""
    parts = urlsplit(text.strip())
    kind = parts.scheme.lower()
    if kind not in KINDS:
        raise PrinterUriError(f'"{text}": printer address must start with one of {", ".join(k + ":" for k in KINDS)}')
    try:
        query = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)))
    except ValueError:
        raise PrinterUriError(f'"{text}": cannot read the options after "?"') from None
    allowed = _TICKET_OPTIONS | {"serial": _SERIAL_OPTIONS, "usb": _USB_OPTIONS, "dummy": _DUMMY_OPTIONS}.get(
        kind, set()
    )
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise PrinterUriError(f'"{text}": unknown option {", ".join(unknown)} (known: {", ".join(sorted(allowed))})')
    try:
        paper = int(query.pop("paper", "80"))
        timeout = float(query.pop("timeout", "2"))
    except ValueError:
        raise PrinterUriError(f'"{text}": paper and timeout must be numbers') from None
    if paper not in PAPER_WIDTHS_MM:
        raise PrinterUriError(f'"{text}": paper must be 80 or 58 (mm), not {paper}')
    if not 0 < timeout <= 60:
        raise PrinterUriError(f'"{text}": timeout must be between 0 and 60 seconds')
    chinese = query.pop("chinese", "text")
    if chinese not in CHINESE_MODES:
        raise PrinterUriError(f'"{text}": chinese must be "text" or "raster", not "{chinese}"')

    if kind == "tcp":
        if not parts.hostname:
            raise PrinterUriError(f'"{text}": a network printer needs a host, e.g. tcp://192.168.1.50:9100')
        try:
            port = parts.port or 9100
        except ValueError:
            raise PrinterUriError(f'"{text}": the port is not a number from 1 to 65535') from None
        target = f"{parts.hostname}:{port}"
    elif kind in ("serial", "file"):
        if not parts.path or parts.netloc:
            raise PrinterUriError(f'"{text}": write the device path after three slashes, e.g. {kind}:///dev/ttyUSB0')
        target = parts.path
        if kind == "serial":
            _check_serial_options(text, query)
    elif kind == "usb":
        target = (parts.netloc + parts.path).strip("/")
        ids = target.split(":")
        try:
            if len(ids) != 2 or not all(0 <= int(i, 16) <= 0xFFFF for i in ids):
                raise ValueError
        except ValueError:
            raise PrinterUriError(f'"{text}": a USB printer is usb://VID:PID in hex, e.g. usb://0416:5011') from None
    else:
        target = ""
        state = query.get("state", "ready")
        if state not in DUMMY_STATES:
            raise PrinterUriError(f'"{text}": state must be one of {", ".join(DUMMY_STATES)}')
    return PrinterUri(kind, target, paper, chinese, timeout, query, text.strip())


def _check_serial_options(text: str, query: dict[str, str]) -> None:
    checks = {
        "baudrate": lambda v: int(v) in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200),
        "bytesize": lambda v: int(v) in (5, 6, 7, 8),
        "parity": lambda v: v in ("N", "E", "O", "M", "S"),
        "stopbits": lambda v: float(v) in (1, 1.5, 2),
        "rtscts": lambda v: v in ("0", "1"),
        "xonxoff": lambda v: v in ("0", "1"),
        "dsrdtr": lambda v: v in ("0", "1"),
    }
    for key, value in query.items():
        try:
            ok = checks[key](value)
        except ValueError:
            ok = False
        if not ok:
            raise PrinterUriError(f'"{text}": {key}={value} is not a valid serial setting')
