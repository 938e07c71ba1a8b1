"""``serial:///dev/ttyUSB0?baudrate=9600``: the address of a device on a serial port (a barcode
scanner, an ID card reader), checked before any port is opened, with a message that says what to
write instead."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
OPTIONS = {
    "baudrate": lambda v: int(v) in BAUDRATES,
    "bytesize": lambda v: int(v) in (5, 6, 7, 8),
    "parity": lambda v: v in ("N", "E", "O", "M", "S"),
    "stopbits": lambda v: float(v) in (1, 1.5, 2),
}


def parse_serial_uri(text: str, device: str, error: type[ValueError]) -> tuple[str, dict[str, str]]:
    """The device path and the options of ``text``; ``error`` (naming ``device``, e.g. "a scanner")
    for anything that is not a usable serial address."""
    parts = urlsplit(text.strip())
    if parts.scheme.lower() != "serial":
        raise error(f'"{text}": {device} address starts with serial://, e.g. serial:///dev/ttyUSB0')
    if not parts.path or parts.netloc:
        raise error(f'"{text}": write the device path after three slashes, e.g. serial:///dev/ttyUSB0')
    try:
        options = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)))
    except ValueError:
        raise error(f'"{text}": cannot read the options after "?"') from None
    for key, value in options.items():
        if key not in OPTIONS:
            raise error(f'"{text}": unknown option {key} (known: {", ".join(OPTIONS)})')
        try:
            ok = OPTIONS[key](value)
        except ValueError:
            ok = False
        if not ok:
            raise error(f'"{text}": {key}={value} is not a valid serial setting')
    return parts.path, options
