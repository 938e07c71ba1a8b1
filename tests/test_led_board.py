"""Onbon BX-5K/6K boards: vendor example frames byte for byte, an independent CRC, escaping,
and whole exchanges over a real serial pair with simulated boards."""

from __future__ import annotations

import pytest
from crccheck.crc import Crc16Arc

from hardware import onbon
from hardware.led_board import BoardLine, BoardRejected, BoardSilent
from hardware.onbon import Area, DisplayMode

from .boardsim import BoardBus, SimulatedBoard

# From Onbon's protocol document: "发送实时显示信息实例" (A3 06, text "012345QRSTTV'B"),
# "返回ACK" and "格式化" (A1 00).
VENDOR_DYNAMIC_AREA = bytes.fromhex(
    "A5A5A5A5A5A5A5A5 0100 0080 000000 00 00 00 FE 02 3200"
    " A3 06 01 2D 00 00 01 2900 00 0000 0000 1800 2000 00 00 00 0200 00 00 00 02 02 03 00 04 05 0E000000"
    " 303132333435515253545456 2742 A87D 5A"
)
VENDOR_ACK = bytes.fromhex("A5A5A5A5A5A5A5A5A5 0080 FEFF 000000 00 00 00 FE 02 0500 A0 00 00 0000 14AC 5A")
VENDOR_FORMAT = bytes.fromhex("A5A5A5A5A5A5A5A5 0100 0080 000000 00 00 00 FE 02 0500 A1 00 01 0000 2CF8 5A")


def test_vendor_dynamic_area_example_byte_for_byte():
    area = Area(0, 0, 0x18, 0x20, align=0, display_mode=DisplayMode.MOVE_LEFT, speed=4, stay_half_s=5)
    # Onbon's PC software writes DataLen - 5 (0x2D) into the ProcessMode byte of its example.
    data = onbon.dynamic_area_data([(area, b"012345QRSTTV'B")], process_mode=0x2D)
    assert onbon.frame(1, data) == VENDOR_DYNAMIC_AREA


def test_vendor_ack_and_format_examples_byte_for_byte():
    assert onbon.frame(onbon.SRC_PC, onbon.reply_data(0), src=onbon.ADDRESS_ANY) == VENDOR_ACK[1:]  # 9 A5 in the doc
    reply = onbon.Reply.from_frame(onbon.parse_frame(VENDOR_ACK))
    assert reply.ok and reply.description == "ACK"
    assert onbon.frame(1, bytes([0xA1, 0x00, onbon.RESPONSE_REQUIRED, 0, 0])) == VENDOR_FORMAT


@pytest.mark.parametrize("example", [VENDOR_DYNAMIC_AREA, VENDOR_ACK, VENDOR_FORMAT])
def test_crc_agrees_with_an_independent_crc16_arc(example):
    packet = onbon.unescape(example.lstrip(b"\xa5")[:-1])
    body, crc = packet[:-2], int.from_bytes(packet[-2:], "little")
    assert onbon.crc16_arc(body) == Crc16Arc.calc(body) == crc


def test_crc_on_many_inputs_matches_crccheck():
    import random

    rng = random.Random(1236)
    for length in range(0, 300, 7):
        data = bytes(rng.randrange(256) for _ in range(length))
        assert onbon.crc16_arc(data) == Crc16Arc.calc(data)


def test_gb2312_text_with_frame_bytes_is_escaped_and_round_trips():
    text = onbon.encode_text("出入境办事处")
    assert "处".encode("gb2312") == b"\xb4\xa6" and "单".encode("gb2312") == b"\xb5\xa5"
    assert b"\xa6" in text
    area = Area.whole_board(128, 16)
    raw = onbon.frame(3, onbon.dynamic_area_data([(area, onbon.encode_text("出入境办事处 单号A005"))]))
    body = raw[8:-1]
    assert b"\xa5" not in body and b"\x5a" not in body  # nothing in the body can look like a frame edge
    assert b"\xa6\x01" in body and b"\xa6\x02" in body  # 处 (A6) and 单 (A5) escaped
    parsed = onbon.parse_frame(raw)
    assert parsed.dst == 3 and parsed.data.endswith("出入境办事处 单号A005".encode("gb2312"))
    assert onbon.unescape(onbon.escape(bytes(range(256)))) == bytes(range(256))


def test_corrupted_frames_are_refused():
    bad_crc = bytearray(VENDOR_FORMAT)
    bad_crc[-3] ^= 1
    with pytest.raises(onbon.FrameError, match="CRC"):
        onbon.parse_frame(bytes(bad_crc))
    with pytest.raises(onbon.FrameError, match="escape"):
        onbon.unescape(b"\x01\xa6\x07")
    with pytest.raises(ValueError, match="GB2312"):
        onbon.encode_text("請到窗口😀")
    assert onbon.encode_text("收费¥5") == "收费￥5".encode("gb2312")  # the full-width twin GB2312 has


@pytest.fixture
def bus():
    boards = [SimulatedBoard(1), SimulatedBoard(2), SimulatedBoard(3, "silent"), SimulatedBoard(4, "nack")]
    b = BoardBus(*boards)
    yield b
    b.close()


def test_update_reaches_the_right_board_and_is_acknowledged(bus):
    with BoardLine(bus.port_address, timeout_s=0.3, retries=1) as line:
        exchange = line.show(2, "A001 请到3号窗口", 128, 16)
        assert exchange.reply.ok and exchange.attempts == 1
        assert exchange.frame_bytes == len(bus.raw_frames[-1])
        line.show(1, "暂停服务", 64, 16)
    assert bus.boards[2].texts() == ["A001 请到3号窗口"]
    assert bus.boards[1].texts() == ["暂停服务"]
    frame = bus.boards[2].received[0]
    assert (frame.group, frame.command, frame.device_type) == (0xA3, 0x06, onbon.DEVICE_ANY)


def test_silent_board_is_retried_then_reported(bus):
    with BoardLine(bus.port_address, timeout_s=0.2, retries=2) as line:
        with pytest.raises(BoardSilent, match="no reply within 0.2 s after 3 attempts"):
            line.show(3, "A002 请到5号窗口", 128, 16)
        assert len(bus.boards[3].received) == 3
        # The line still works for the other boards.
        assert line.show(1, "A003 请到1号窗口", 128, 16).reply.ok


def test_nack_is_reported_with_its_reason(bus):
    with (
        BoardLine(bus.port_address, timeout_s=0.3) as line,
        pytest.raises(BoardRejected, match="CRC16 checksum error") as exc,
    ):
        line.show(4, "A004", 64, 16)
    assert exc.value.reply.error == 0x05 and len(bus.boards[4].received) == 1


def test_busy_and_garbled_replies_are_retried(bus):
    bus.boards[1].behaviour = "busy-once"
    bus.boards[2].behaviour = "garble-once"
    with BoardLine(bus.port_address, timeout_s=0.3, retries=2) as line:
        assert line.show(1, "A005", 64, 16).attempts == 2
        assert line.show(2, "A006", 64, 16).attempts == 2


def test_board_send_command(bus):
    import subprocess
    import sys

    def send(address: int, text: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "queue_server",
                "board",
                "send",
                "--port",
                bus.port_address,
                "--address",
                str(address),
                "--timeout",
                "0.2",
                "--retries",
                "1",
                text,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )

    ok = send(2, "A001 请到3号窗口")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"board 2 on {bus.port_address}: ACK in ") and "1 attempt(s)" in ok.stdout
    assert bus.boards[2].texts() == ["A001 请到3号窗口"]
    nack = send(4, "A002")
    assert nack.returncode == 1 and "NACK 0x05" in nack.stderr
    silent = send(3, "A003")
    assert silent.returncode == 1 and "no reply" in silent.stderr
    nobody = send(9, "A004")
    assert nobody.returncode == 1 and "after 2 attempts" in nobody.stderr
    not_gb2312 = send(2, "😀")
    assert not_gb2312.returncode == 2 and "GB2312" in not_gb2312.stderr
