"""The ID card reader driver: published example frames byte for byte, the text block, and whole
reads over a real pty against the simulated reader (tests/idcard_sim.py), every failure included."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import serial
from click.testing import CliRunner

from hallqueue_cli import main
from hardware.idcard import IdCard, IdCardError, IdCardReader, IdCardUriError, parse_response, request_frame
from hardware.idcard_text import ETHNICITIES, TextError, decode_text, id_number_valid, mask_name

from .idcard_sim import ReaderSim, answer_frame, encode_text

ELDER = IdCard(
    name="张建三",
    sex="男",
    ethnicity="汉",
    birth=date(1949, 12, 31),
    address="北京市西城区复兴门外大街999号院11号楼3单元502室",
    id_number="11010519491231002X",
    authority="北京市公安局西城分局",
    valid_from=date(2015, 1, 1),
    valid_to=None,
)
# 60 on 2026-12-04, the day after the day the hall cares about.
YOUNGER = IdCard(
    name="古丽",
    sex="女",
    ethnicity="维吾尔",
    birth=date(1966, 12, 4),
    address="湖北省武汉市武昌区中北路1号",
    id_number="420106196612041233",
    authority="武汉市公安局武昌分局",
    valid_from=date(2016, 3, 8),
    valid_to=date(2036, 3, 8),
)
HALL_DAY = date(2026, 12, 3)


@pytest.fixture
def sim():
    with ReaderSim(ELDER) as s:
        yield s


def fast_reader(sim: ReaderSim, retries: int = 2) -> IdCardReader:
    return IdCardReader(sim.uri, timeout_s=0.2, retries=retries)


# -- frames and text, no port ------------------------------------------------------------------

# From the SAM protocol write-ups (e.g. eastcoms.com/service/downdrive/533.html, qiwenming/IDCardDemo):
# find, select and read requests, their answers, and the no-card / select-failed answers.
FIND = bytes.fromhex("AAAAAA96690003200122")
SELECT = bytes.fromhex("AAAAAA96690003200221")
READ = bytes.fromhex("AAAAAA96690003300132")
FOUND = bytes.fromhex("AAAAAA9669000800009F0000000097")
SELECTED = bytes.fromhex("AAAAAA96 69 000C 0000 90 0000000000000000 9C".replace(" ", ""))
NO_CARD = bytes.fromhex("AAAAAA966900040000 8084".replace(" ", ""))
NOT_SELECTED = bytes.fromhex("AAAAAA96690004000081 85".replace(" ", ""))
READ_HEADER = bytes.fromhex("AAAAAA96690508000090 01000400".replace(" ", ""))  # 1295 bytes in all


def test_requests_and_answers_match_the_published_frames_byte_for_byte():
    assert request_frame(0x20, 0x01) == FIND
    assert request_frame(0x20, 0x02) == SELECT
    assert request_frame(0x30, 0x01) == READ
    assert parse_response(FOUND).sw3 == 0x9F and parse_response(FOUND).data == bytes(4)
    assert parse_response(SELECTED).sw3 == 0x90 and parse_response(SELECTED).data == bytes(8)
    assert parse_response(NO_CARD).sw3 == 0x80 and parse_response(NOT_SELECTED).sw3 == 0x81
    # the simulator builds the same answers on its own
    assert answer_frame(0x9F, bytes(4)) == FOUND and answer_frame(0x80) == NO_CARD


def test_the_text_block_decodes_every_field():
    block = encode_text(ELDER)
    assert len(block) == 256
    assert block[:6] == "张建三".encode("utf-16-le") and block[6:30] == " ".encode("utf-16-le") * 12
    assert block[30:32] == b"1\x00" and block[32:36] == b"0\x001\x00"  # 男, 汉 (01)
    assert decode_text(block) == ELDER
    assert decode_text(encode_text(YOUNGER)) == YOUNGER
    lower_x = block.replace("002X".encode("utf-16-le"), "002x".encode("utf-16-le"))
    assert decode_text(lower_x).id_number == "11010519491231002X"


def test_a_block_that_does_not_add_up_is_refused():
    block = bytearray(encode_text(ELDER))
    block[122 + 34] = ord("9")  # the ID number's check character: X -> 9
    with pytest.raises(TextError, match="id_number"):
        decode_text(bytes(block))
    bad_date = bytearray(encode_text(ELDER))
    bad_date[36:52] = "19491332".encode("utf-16-le")  # the birth field only (the ID number has it too)
    with pytest.raises(TextError, match="birth"):
        decode_text(bytes(bad_date))
    foreigner = bytearray(encode_text(ELDER))
    foreigner[248:250] = "I".encode("utf-16-le")
    with pytest.raises(TextError, match="foreigner"):
        decode_text(bytes(foreigner))


def test_gb11643_check_characters_ethnicities_and_ages():
    assert id_number_valid("11010519491231002X") and id_number_valid("11010519491231002x")
    assert id_number_valid("420106196612041233") and id_number_valid("440305200002290029")
    assert not id_number_valid("110105194912310021") and not id_number_valid("1101051949123100")
    assert len(ETHNICITIES) == 58 and ETHNICITIES["01"] == "汉" and ETHNICITIES["56"] == "基诺"
    assert ETHNICITIES["97"] == "其他" and ETHNICITIES["98"] == "外国血统中国籍人士"
    assert ELDER.age_on(HALL_DAY) == 76 >= 60
    assert YOUNGER.age_on(HALL_DAY) == 59 < 60
    assert YOUNGER.age_on(date(2026, 12, 4)) == 60
    leap = IdCard("李四", "男", "汉", date(2000, 2, 29), "", "440305200002290029", "", date(2020, 1, 1), None)
    assert leap.age_on(date(2026, 2, 28)) == 25 and leap.age_on(date(2026, 3, 1)) == 26


def test_masking_keeps_the_ends_only():
    shown = ELDER.masked()
    assert shown["name"] == "张*三" and shown["id_number"] == "1101**********002X"
    assert shown["valid_to"] == "长期" and shown["birth"] == "1949-12-31"
    assert shown["address"] == "北京市西城区****"
    assert YOUNGER.masked()["name"] == "古*" and YOUNGER.masked()["valid_to"] == "2036-03-08"
    assert mask_name("欧阳美娜") == "欧**娜" and mask_name("王") == "*"
    assert "11010519491231002X" not in repr(ELDER) and "张建三" not in repr(ELDER)


def test_reader_addresses():
    assert IdCardReader("serial:///dev/ttyUSB0").options == {}
    for bad in ("/dev/ttyUSB0", "tcp://10.0.0.5:4001", "serial://dev/ttyUSB0", "serial:///dev/ttyUSB0?baudrate=1234"):
        with pytest.raises(IdCardUriError):
            IdCardReader(bad)


# -- whole reads over the pty ----------------------------------------------------------------


def test_a_good_read_decodes_every_field(sim):
    with fast_reader(sim) as reader:
        assert reader.read() == ELDER
        sim.card = YOUNGER
        assert reader.read() == YOUNGER
    assert [f[7:9].hex() for f in sim.requests] == ["2001", "2002", "3001"] * 2


def test_the_read_answer_is_the_published_shape(sim):
    with serial.Serial(sim.port, 115200, timeout=1) as port:
        for request in (FIND, SELECT, READ):
            port.write(request)
            header = port.read(7)
            rest = port.read(int.from_bytes(header[5:7], "big"))
        assert header + rest[:7] == READ_HEADER and len(header + rest) == 1295


def test_no_card(sim):
    sim.card = None
    with fast_reader(sim) as reader, pytest.raises(IdCardError) as exc:
        reader.read()
    assert (exc.value.kind, exc.value.status, exc.value.message) == ("no_card", 0x80, "请将身份证放在感应区")


def test_select_fails(sim):
    sim.select_fails = True
    with fast_reader(sim) as reader, pytest.raises(IdCardError) as exc:
        reader.read()
    assert (exc.value.kind, exc.value.status) == ("select_failed", 0x81)
    assert exc.value.message == "读卡失败，请重新放置身份证"


def test_a_card_whose_text_does_not_add_up_is_read_failed(sim):
    from dataclasses import replace

    sim.card = replace(ELDER, id_number="110105194912310021")  # wrong check character
    with fast_reader(sim) as reader, pytest.raises(IdCardError) as exc:
        reader.read()
    assert exc.value.kind == "read_failed" and "id_number" in exc.value.detail
    assert "110105194912310021" not in str(exc.value)


def test_a_silent_reader_is_asked_again_a_bounded_number_of_times(sim):
    sim.silent = True
    started = time.monotonic()
    with fast_reader(sim, retries=2) as reader, pytest.raises(IdCardError) as exc:
        reader.read()
    assert exc.value.kind == "silent" and exc.value.message == "身份证阅读器无响应，请联系工作人员"
    assert len(sim.requests) == 3  # find, sent 1 + 2 times
    assert time.monotonic() - started < 10  # bounded; the exact time is the machine's business


def test_one_corrupted_answer_is_asked_again_and_recovered(sim):
    sim.corrupt_next = 1
    with fast_reader(sim) as reader:
        assert reader.read() == ELDER
    assert [f[7:9].hex() for f in sim.requests] == ["2001", "2001", "2002", "3001"]


def test_answers_corrupted_every_time_are_bad_checksum(sim):
    sim.corrupt_next = 1000
    with fast_reader(sim) as reader, pytest.raises(IdCardError) as exc:
        reader.read()
    assert exc.value.kind == "bad_checksum" and len(sim.requests) == 2  # sent, then once more


def test_a_request_the_reader_got_garbled_is_sent_again(sim):
    sim.reject_next = 1
    with fast_reader(sim) as reader:
        assert reader.read() == ELDER
    sim.reject_next = 5
    with fast_reader(sim) as reader, pytest.raises(IdCardError) as exc:
        reader.read()
    assert (exc.value.kind, exc.value.status) == ("bad_checksum", 0x10)


def test_the_simulator_answers_0x10_to_a_bad_request_checksum(sim):
    with serial.Serial(sim.port, 115200, timeout=1) as port:
        port.write(FIND[:-1] + bytes([FIND[-1] ^ 0x01]))
        assert port.read(11) == bytes.fromhex("AAAAAA96690004000010 14".replace(" ", ""))


@pytest.mark.parametrize("status", [0x60, 0x66])
def test_a_broken_sam_is_sam_error_with_its_status(sim, status):
    sim.sam_status = status
    with fast_reader(sim) as reader:
        assert reader.sam_status() == status
        with pytest.raises(IdCardError) as exc:
            reader.read()
    assert (exc.value.kind, exc.value.status) == ("sam_error", status)
    assert exc.value.message == "身份证阅读器故障，请联系工作人员"
    sim.sam_status = 0x90
    assert fast_reader(sim).sam_status() == 0x90


def test_a_missing_port(tmp_path):
    with pytest.raises(IdCardError) as exc:
        IdCardReader(f"serial://{tmp_path}/ttyUSB9", timeout_s=0.2).read()
    assert exc.value.kind == "port_missing" and exc.value.status is None
    assert exc.value.message == "未连接身份证阅读器，请联系工作人员"


def test_an_unplugged_reader_is_missing_and_read_again_once_back(tmp_path):
    sim = ReaderSim(ELDER, link=tmp_path / "idcard").start()
    reader = IdCardReader(sim.uri, timeout_s=0.2)
    try:
        assert reader.read() == ELDER
        sim.stop()  # unplugged, with the port still open in the reader
        with pytest.raises(IdCardError) as exc:
            reader.read()
        assert exc.value.kind == "port_missing"
        sim.start()  # plugged back in: a new device behind the same name
        assert reader.read() == ELDER
    finally:
        reader.close()
        sim.stop()


# -- the command -------------------------------------------------------------------------------


def run_cli(*args: str):
    return CliRunner().invoke(main, ["idcard", *args], catch_exceptions=False)


def test_idcard_read_prints_the_card_masked(sim):
    result = run_cli("read", "--port", sim.uri, "--timeout", "0.2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "姓名　张*三" and "证件号　1101**********002X" in lines
    assert "民族　汉" in lines and "性别　男" in lines and "出生　1949-12-31" in lines
    assert f"年龄　{ELDER.age_on(date.today())}" in lines
    assert "签发机关　北京市公安局西城分局" in lines and "有效期限　2015-01-01 至 长期" in lines
    assert "11010519491231002X" not in result.output and "张建三" not in result.output


def test_idcard_read_says_why_it_failed(sim):
    sim.card = None
    result = run_cli("read", "--port", sim.uri, "--timeout", "0.2")
    assert result.exit_code == 1 and "请将身份证放在感应区" in result.stderr and "no_card" in result.stderr
    sim.silent = True
    result = run_cli("read", "--port", sim.uri, "--timeout", "0.1", "--retries", "1")
    assert result.exit_code == 1 and "身份证阅读器无响应" in result.stderr and "silent" in result.stderr
    result = run_cli("read", "--port", "serial:///nonexistent/ttyUSB9")
    assert result.exit_code == 1 and "port_missing" in result.stderr
    result = run_cli("read", "--port", "/dev/ttyUSB0")
    assert result.exit_code == 2 and "serial://" in result.stderr


def test_idcard_status_command(sim):
    assert run_cli("status", "--port", sim.uri, "--timeout", "0.2").stdout.strip().endswith("SAM 0x90 操作成功")
    sim.sam_status = 0x66
    result = run_cli("status", "--port", sim.uri, "--timeout", "0.2")
    assert result.exit_code == 1 and "0x66" in result.stdout


def test_the_installed_command_reads_a_card(sim):
    done = subprocess.run(
        [str(Path(sys.executable).with_name("hallqueue")), "idcard", "read", "--port", sim.uri, "--timeout", "0.3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "1101**********002X" in done.stdout and "11010519491231002X" not in done.stdout + done.stderr
