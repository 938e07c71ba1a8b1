"""The ticket printer: python-escpos transports plus a status check we can trust.

``TicketPrinter`` opens the transport an address names (``printer_uri``), asks for the
real-time status and prints a ticket only when the printer can print it. Every call blocks
(sockets, serial ports): callers on an event loop run it in an executor.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from escpos import printer as escpos_printer
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError

from . import printer_status
from .printer_status import PrinterState, PrinterStatus
from .printer_uri import PrinterUri, parse_printer_uri
from .ticket_layout import TicketContent, ticket_bytes


class PrinterError(Exception):
    """Printing did not happen. ``status`` says why, when the printer could tell."""

    def __init__(self, message: str, status: PrinterStatus | None = None) -> None:
        super().__init__(message)
        self.status = status or PrinterStatus.unknown()


class PrinterNotReady(PrinterError):
    """The printer answered, and it cannot print now (paper out, cover open, offline...)."""


class PrinterUnreachable(PrinterError):
    """The printer cannot be reached (no route, refused, device missing, cable out)."""


@dataclass(frozen=True)
class PrintReport:
    status: PrinterStatus  # as checked before printing
    bytes_sent: int
    seconds: float


class TicketPrinter:
    """One ticket printer, addressed by a printer URI (see ``printer_uri``)."""

    def __init__(self, uri: PrinterUri | str) -> None:
        self.uri = parse_printer_uri(uri) if isinstance(uri, str) else uri
        self._dummy: escpos_printer.Dummy | None = None

    @property
    def kept_bytes(self) -> bytes:
        """What a ``dummy:`` printer received so far (development and tests)."""
        return self._dummy.output if self._dummy is not None else b""

    # ------------------------------------------------------------ transports

    def _transport(self) -> Escpos:
        u = self.uri
        if u.kind == "tcp":
            host, port = u.host_port
            return escpos_printer.Network(host, port=port, timeout=u.timeout_s)
        if u.kind == "serial":
            o = u.options
            return escpos_printer.Serial(
                devfile=u.target,
                baudrate=int(o.get("baudrate", 9600)),
                bytesize=int(o.get("bytesize", 8)),
                parity=o.get("parity", "N"),
                stopbits=float(o.get("stopbits", 1)),
                timeout=u.timeout_s,
                xonxoff=o.get("xonxoff") == "1",
                dsrdtr=o.get("dsrdtr") == "1",
            )
        if u.kind == "usb":
            vid, pid = (int(x, 16) for x in u.target.split(":"))
            extra = {k: int(v, 0) for k, v in u.options.items() if k in ("in_ep", "out_ep")}
            return escpos_printer.Usb(vid, pid, timeout=int(u.timeout_s * 1000), **extra)
        if u.kind == "file":
            return escpos_printer.File(u.target)
        if self._dummy is None:
            self._dummy = escpos_printer.Dummy()
        return self._dummy

    @contextmanager
    def _connected(self) -> Iterator[Escpos]:
        device = self._transport()
        try:
            device.open()
        except (DeviceNotFoundError, OSError) as exc:
            raise PrinterUnreachable(f"{self.uri}: {exc}".strip()) from exc
        try:
            yield device
        finally:
            if device is not self._dummy:
                device.close()

    # ------------------------------------------------------------ status

    def status(self) -> PrinterStatus:
        """Ask the printer (DLE EOT 1, 2, 4). No reply or a garbled one is ``UNKNOWN``."""
        if self.uri.kind == "dummy":
            return _simulated(self.uri.options.get("state", "ready"))
        if self.uri.kind == "file":
            return _simulated("ready" if self._file_writable() else "offline")
        try:
            with self._connected() as device:
                return self._query(device)
        except PrinterUnreachable as exc:
            return exc.status

    def _query(self, device: Escpos) -> PrinterStatus:
        replies = {}
        for n in printer_status.REQUESTS:
            try:
                replies[n] = self._ask(device, printer_status.request(n))
            except (OSError, TimeoutError, ValueError):
                replies[n] = b""
        return PrinterStatus.from_replies(replies)

    def _ask(self, device: Escpos, request: bytes) -> bytes:
        """Send one real-time request and read one reply byte within the timeout."""
        u = self.uri
        raw = device.device
        if u.kind == "tcp":
            _discard_pending(raw)
            raw.settimeout(u.timeout_s)
            raw.sendall(request)
            return raw.recv(1)
        if u.kind == "serial":
            raw.reset_input_buffer()  # a reply nobody read last time must not answer this one
            raw.timeout = u.timeout_s
            raw.write(request)
            return raw.read(1)
        if u.kind == "usb":
            device._raw(request)
            return bytes(device._read())[:1]
        return b""  # a device file has no way back: the status stays unknown

    def _file_writable(self) -> bool:
        path = Path(self.uri.target)
        return os.access(path, os.W_OK) if path.exists() else os.access(path.parent, os.W_OK)

    def _append(self, data: bytes, started: float) -> PrintReport:
        """A ``file:`` printer: the bytes are appended (a plain file keeps every ticket; a device
        file such as /dev/usb/lp0 passes them to the printer). Nothing can be read back."""
        try:
            with open(self.uri.target, "ab") as sink:
                sink.write(data)
        except OSError as exc:
            raise PrinterUnreachable(f"{self.uri}: {exc.strerror}", _simulated("offline")) from exc
        return PrintReport(_simulated("ready"), len(data), time.perf_counter() - started)

    # ------------------------------------------------------------ printing

    def print_ticket(self, ticket: TicketContent, check_first: bool = True) -> PrintReport:
        """Print one ticket; raises ``PrinterNotReady`` / ``PrinterUnreachable`` instead."""
        data = ticket_bytes(ticket, self.uri.paper_mm, self.uri.chinese)
        return self.print_bytes(data, check_first)

    def print_bytes(self, data: bytes, check_first: bool = True) -> PrintReport:
        started = time.perf_counter()
        if self.uri.kind == "dummy":
            status = _simulated(self.uri.options.get("state", "ready"))
            if check_first and not status.ready:
                raise PrinterNotReady(status.label, status)
            self._transport()._raw(data)
            return PrintReport(status, len(data), time.perf_counter() - started)
        if self.uri.kind == "file":
            return self._append(data, started)
        with self._connected() as device:
            status = self._query(device) if check_first else PrinterStatus.unknown()
            if check_first and not status.ready:
                raise PrinterNotReady(f"{self.uri}: {status.label}", status)
            try:
                device._raw(data)
            except (OSError, TimeoutError) as exc:
                raise PrinterUnreachable(f"{self.uri}: sending failed: {exc}") from exc
        return PrintReport(status, len(data), time.perf_counter() - started)


def _discard_pending(sock: socket.socket) -> None:
    sock.setblocking(False)
    try:
        while sock.recv(64):
            pass
    except (BlockingIOError, InterruptedError):
        pass
    finally:
        sock.setblocking(True)


_SIMULATED = {
    PrinterState.READY: (0x12, 0x12, 0x12),
    PrinterState.PAPER_NEAR_END: (0x12, 0x12, 0x1E),
    PrinterState.PAPER_OUT: (0x1A, 0x32, 0x7E),
    PrinterState.COVER_OPEN: (0x1A, 0x16, 0x12),
    PrinterState.OFFLINE: (0x1A, 0x12, 0x12),
}


def _simulated(state: str) -> PrinterStatus:
    """A ``dummy:`` printer's status, as the replies a real one in that state would give."""
    if state == PrinterState.UNKNOWN:
        return PrinterStatus.unknown()
    return PrinterStatus(*_SIMULATED[PrinterState(state)])
