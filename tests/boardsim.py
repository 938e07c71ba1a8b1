"""Onbon BX controllers on the far side of a real serial pair (a pty): an RS-485 bus with
boards at several addresses. Each board answers ACK, NACK or nothing, as the test sets it,
and keeps what it was sent."""

from __future__ import annotations

import os
import select
import threading
import tty
from dataclasses import dataclass, field

from hardware import onbon


@dataclass
class SimulatedBoard:
    address: int
    behaviour: str = "ack"  # ack | nack | silent | busy-once | garble-once
    nack_code: int = 0x05
    received: list[onbon.Frame] = field(default_factory=list)

    def texts(self) -> list[str]:
        """The text of every dynamic-area update this board received, decoded from GB2312."""
        out = []
        for f in self.received:
            if (f.group, f.command) == (onbon.GROUP_DISPLAY, onbon.CMD_DYNAMIC_AREA):
                # one area: header 6 + AreaNum 1 + AreaDataLen 2 + fixed 27, then the text
                out.append(f.data[6 + 1 + 2 + onbon.AREA_FIXED.size :].decode("gb2312"))
        return out


class BoardBus:
    """A pty pair: the code under test opens ``port_address``; the boards sit on the other end."""

    def __init__(self, *boards: SimulatedBoard) -> None:
        self.boards = {b.address: b for b in boards}
        self._controller, self._device = os.openpty()
        tty.setraw(self._controller)
        self.port_address = f"serial://{os.ttyname(self._device)}?baudrate=57600"
        self.raw_frames: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        reader = onbon.FrameReader()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._controller], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self._controller, 4096)
            except OSError:
                return
            for raw in reader.feed(chunk):
                self.raw_frames.append(raw)
                self._answer(onbon.parse_frame(raw))

    def _answer(self, f: onbon.Frame) -> None:
        board = self.boards.get(f.dst)
        if board is None:
            return  # nobody at that address on the bus
        board.received.append(f)
        if f.data[2] != onbon.RESPONSE_REQUIRED or board.behaviour == "silent":
            return
        error = 0
        if board.behaviour == "nack":
            error = board.nack_code
        elif board.behaviour == "busy-once":
            error, board.behaviour = onbon.ERR_BUSY, "ack"
        elif board.behaviour == "garble-once":
            board.behaviour = "ack"
            reply = bytearray(onbon.frame(onbon.SRC_PC, onbon.reply_data(0), src=board.address))
            reply[-2] ^= 0xFF  # break the CRC
            os.write(self._controller, bytes(reply))
            return
        os.write(self._controller, onbon.frame(onbon.SRC_PC, onbon.reply_data(error), src=board.address))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self._controller)
        os.close(self._device)
