"""Device figures: ticket size and print time to emupos over TCP, LED board frame size and
round trip over a pty to the board simulator.

    .venv/bin/python bench/devices.py [--tickets 50] [--updates 200]

Needs .venv-emupos (scripts/test makes it). A pty has no baud rate, so the script also
prints the time the same frame takes on a real 57600 or 9600 baud line.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hardware import onbon
from hardware.led_board import BoardLine
from hardware.printer import TicketPrinter
from hardware.ticket_layout import TicketContent, ticket_bytes
from tests.boardsim import BoardBus, SimulatedBoard
from tests.emupos import Emupos

TICKET = TicketContent(
    "潜江市政务服务中心",
    "A001",
    "户口迁移登记",
    3,
    900,
    datetime(2026, 11, 27, 9, 12),
    "http://192.168.1.10:8080/t/12345",
    priority_label=None,
)


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument("--updates", type=int, default=200)
    args = parser.parse_args()

    print("ticket bytes:")
    for paper in (80, 58):
        for chinese in ("text", "raster"):
            print(f"  {paper} mm, Chinese as {chinese}: {len(ticket_bytes(TICKET, paper, chinese))} bytes")

    with tempfile.TemporaryDirectory(prefix="hallqueue-bench-") as tmp:
        emulator = Emupos(Path(tmp))
        try:
            for chinese in ("text", "raster"):
                printer = TicketPrinter(f"{emulator.tcp_uri}?chinese={chinese}")
                times = []
                for _ in range(args.tickets):
                    started = time.perf_counter()
                    printer.print_ticket(TICKET)  # status check (3 round trips) + the ticket
                    times.append(time.perf_counter() - started)
                print(
                    f"print to emupos over TCP, status check included ({chinese}, {args.tickets} tickets): {ms(times)}"
                )
        finally:
            emulator.stop()

    bus = BoardBus(SimulatedBoard(1))
    try:
        with BoardLine(bus.port_address, timeout_s=1.0, retries=0) as line:
            times, size = [], 0
            for i in range(args.updates):
                exchange = line.show(1, f"A{i % 1000:03d} 请到12号窗口", 160, 16)
                times.append(exchange.seconds)
                size = exchange.frame_bytes
        reply = len(onbon.frame(onbon.SRC_PC, onbon.reply_data(0), src=1))
        print(f"board update 'A001 请到12号窗口' on 160x16: frame {size} bytes, ACK {reply} bytes")
        print(f"  round trip over a pty to the simulator ({args.updates} updates): {ms(times)}")
        for baud in (57600, 9600):
            print(f"  on a {baud} baud line the bytes alone take {(size + reply) * 10 / baud * 1000:.1f} ms")
    finally:
        bus.close()


if __name__ == "__main__":
    main()
