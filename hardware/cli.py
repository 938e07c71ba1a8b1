"""``hallqueue printer …``, ``hallqueue board send``, ``hallqueue announce`` and ``hallqueue idcard …``:
the device commands IT staff use while wiring a hall. Each exits 0 only when the device did the job."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

# The drivers are imported by the command that uses them: python-escpos alone takes half a
# second to import (its printer profiles), and every ``hallqueue`` command, ``serve`` first,
# would wait for it.
if TYPE_CHECKING:
    from .printer import TicketPrinter


def _printer(uri: str) -> TicketPrinter:
    from .printer import TicketPrinter
    from .printer_uri import PrinterUriError, parse_printer_uri

    try:
        return TicketPrinter(parse_printer_uri(uri))
    except PrinterUriError as exc:
        raise click.BadParameter(str(exc), param_hint="--printer") from None


@click.group()
def printer() -> None:
    """Ticket printers (ESC/POS)."""


@printer.command("status")
@click.option("--printer", "uri", required=True, help="e.g. tcp://192.168.1.50:9100")
def printer_status(uri: str) -> None:
    """Ask the printer for its status (DLE EOT); exit 0 only when it can print.

    Example: hallqueue printer status --printer serial:///dev/ttyUSB0?baudrate=9600
    """
    status = _printer(uri).status()
    click.echo(f"{uri}: {status.label} ({status.state.value})")
    sys.exit(0 if status.ready else 1)


@printer.command("test")
@click.option("--printer", "uri", required=True, help="e.g. tcp://192.168.1.50:9100?paper=58")
@click.option("--hall-name", default="政务服务中心", show_default=True)
def printer_test(uri: str, hall_name: str) -> None:
    """Print a sample ticket, after checking the printer's status.

    Exit status 0 only when the printer was ready and the ticket went out; otherwise it says
    why (paper out, cover open, offline, no answer).

    Example: hallqueue printer test --printer tcp://192.168.1.50:9100
    """
    from .printer import PrinterError
    from .ticket_layout import TicketContent

    device = _printer(uri)
    sample = TicketContent(
        hall_name=hall_name,
        number="A001",
        service_name="打印测试（样票）",
        waiting_ahead=3,
        estimated_wait_s=900,
        issued_at=datetime.now(),
        status_url="http://127.0.0.1:8080/",
        notice="此为测试样票，请勿使用",
    )
    try:
        report = device.print_ticket(sample)
    except PrinterError as exc:
        click.echo(f"{uri}: {exc.status.label} ({exc.status.state.value}): not printed", err=True)
        click.echo(f"  {exc}", err=True)
        sys.exit(1)
    click.echo(f"{uri}: {report.status.label} ({report.status.state.value})")
    click.echo(f"printed a sample ticket: {report.bytes_sent} bytes in {report.seconds * 1000:.0f} ms")


@click.group()
def board() -> None:
    """LED window boards (Onbon BX-5K/6K)."""


@board.command("send")
@click.option("--port", required=True, help="serial:///dev/ttyUSB0?baudrate=57600 or tcp://HOST:PORT")
@click.option("--address", type=click.IntRange(1, 0xFFFE), required=True, help="the board's screen ID")
@click.option("--width", type=click.IntRange(8, 4096), default=128, show_default=True, help="pixels")
@click.option("--height", type=click.IntRange(8, 512), default=16, show_default=True, help="pixels")
@click.option("--timeout", type=float, default=0.5, show_default=True, help="seconds to wait for the reply")
@click.option("--retries", type=click.IntRange(0, 10), default=2, show_default=True)
@click.argument("text")
def board_send(port: str, address: int, width: int, height: int, timeout: float, retries: int, text: str) -> None:
    """Show TEXT on one board and report its reply; exit 1 on NACK or silence.

    Example: hallqueue board send --port serial:///dev/ttyUSB0?baudrate=57600 --address 3 'A001 请到3号窗口'
    """
    from .led_board import BoardError, BoardLine

    try:
        with BoardLine(port, timeout, retries) as line:
            exchange = line.show(address, text, width, height)
    except ValueError as exc:  # text outside GB2312, odd width
        raise click.BadParameter(str(exc)) from None
    except BoardError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(
        f"board {address} on {port}: {exchange.reply.description} in {exchange.seconds * 1000:.0f} ms "
        f"(frame {exchange.frame_bytes} bytes, {exchange.attempts} attempt(s))"
    )


@click.command()
@click.argument("number")
@click.argument("window", type=click.IntRange(1, 9999))
@click.option("--recall", is_flag=True, help="重呼: adds 再次")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write a WAV file instead of playing")
@click.option("--speed", type=click.IntRange(80, 450), default=140, show_default=True, help="words per minute")
def announce(number: str, window: int, recall: bool, out: Path | None, speed: int) -> None:
    """Say '请 NUMBER 号到 WINDOW 号窗口办理' twice, on the sound card or into a WAV file.

    Example: hallqueue announce A001 3 --out /tmp/a001.wav
    """
    from .voice import Announcement, EspeakVoice, SoundDeviceSink, VoiceError, repeat_wav

    call = Announcement(number, window, recall)
    try:
        call.pinyin()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NUMBER") from None
    click.echo(call.text())

    async def speak() -> None:
        wav = repeat_wav(await EspeakVoice(speed=speed).wav(call.pinyin()))
        if out is not None:
            out.write_bytes(wav)
        else:
            await SoundDeviceSink()(call, wav)

    try:
        asyncio.run(speak())
    except (VoiceError, OSError) as exc:
        click.echo(f"hallqueue announce: {exc}", err=True)
        sys.exit(1)
    if out is not None:
        click.echo(f"wrote {out}")


@click.group()
def idcard() -> None:
    """Second-generation ID card readers (二代身份证阅读器, SAM protocol)."""


_READER_PORT = click.option(
    "--port", required=True, help="serial:///dev/ttyUSB0 (115200 baud unless ?baudrate=… says otherwise)"
)
_READER_TIMEOUT = click.option("--timeout", type=float, default=1.0, show_default=True, help="seconds per answer")
_READER_RETRIES = click.option("--retries", type=click.IntRange(0, 10), default=2, show_default=True)


def _reader(port: str, timeout: float, retries: int):
    from .idcard import IdCardReader, IdCardUriError

    try:
        return IdCardReader(port, timeout, retries)
    except IdCardUriError as exc:
        raise click.BadParameter(str(exc), param_hint="--port") from None


@idcard.command("read")
@_READER_PORT
@_READER_TIMEOUT
@_READER_RETRIES
def idcard_read(port: str, timeout: float, retries: int) -> None:
    """Read the card on the reader and show it masked (never the whole name or ID number).

    Exit 1 with the reason when there is no card, or the reader is silent, missing or broken.

    Example: hallqueue idcard read --port serial:///dev/ttyUSB0
    """
    from datetime import date

    from .idcard import IdCardError

    try:
        with _reader(port, timeout, retries) as reader:
            card = reader.read()
    except IdCardError as exc:
        click.echo(f"{port}: {exc}", err=True)
        sys.exit(1)
    shown = card.masked()
    for label, value in (
        ("姓名", shown["name"]),
        ("性别", shown["sex"]),
        ("民族", shown["ethnicity"] or "—"),
        ("出生", shown["birth"]),
        ("年龄", str(card.age_on(date.today()))),
        ("证件号", shown["id_number"]),
        ("签发机关", shown["authority"]),
        ("有效期限", f"{shown['valid_from']} 至 {shown['valid_to']}"),
    ):
        click.echo(f"{label}　{value}")


@idcard.command("status")
@_READER_PORT
@_READER_TIMEOUT
@_READER_RETRIES
def idcard_status(port: str, timeout: float, retries: int) -> None:
    """Ask the reader's SAM module for its status; exit 0 only when it is fit (0x90).

    Example: hallqueue idcard status --port serial:///dev/ttyUSB0
    """
    from .idcard import OK, STATUS, IdCardError

    try:
        with _reader(port, timeout, retries) as reader:
            status = reader.sam_status()
    except IdCardError as exc:
        click.echo(f"{port}: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{port}: SAM 0x{status:02X} {STATUS.get(status, '未知状态')}")
    sys.exit(0 if status == OK else 1)


COMMANDS = (printer, board, announce, idcard)
