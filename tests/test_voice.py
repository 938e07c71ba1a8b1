"""Voice announcements: what espeak-ng will say, checked by its phonemes; WAV output in order."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import time
import wave

import pytest

from hardware.voice import (
    Announcement,
    Announcer,
    EspeakVoice,
    WavFolderSink,
    number_pinyin,
    repeat_wav,
    window_hanzi,
    window_pinyin,
)

# espeak-ng 1.51 (Debian 12) phonemes, cmn-latn-pinyin voice: the syllables that must be heard.
PHONEMES = {
    "qing3": "tS;h'i21N",
    "A": "'ei51",
    "ling2": "l'i35N",
    "yi1": "j'i55",
    "hao4": "X'Au51",
    "dao4": "t'Au51",
    "san1": "s'a55n",
    "chuang1": "ts.hw'A55N",
    "kou3": "kh'ou21",
    "ban4": "p'a51n",
    "li3": "l'i214",
    "zai4": "ts'ai51",
    "ci4": "tsh'i[51",
    "shi2": "s.'i.35",
    "er4": "'@r51",
}


def test_ticket_numbers_digit_by_digit_and_windows_as_numbers():
    assert number_pinyin("A001") == ["A", "ling2", "ling2", "yi1"]
    assert number_pinyin("AB1000") == ["A", "B", "yi1", "ling2", "ling2", "ling2"]
    assert [window_hanzi(n) for n in (3, 10, 12, 20, 21, 101, 110, 1010)] == [
        "三",
        "十",
        "十二",
        "二十",
        "二十一",
        "一百零一",
        "一百一十",
        "一千零一十",
    ]
    assert window_pinyin(12) == ["shi2", "er4"]
    assert window_pinyin(105) == ["yi4", "bai3", "ling2", "wu3"]
    with pytest.raises(ValueError):
        number_pinyin("A 001")


def test_announcement_text_and_pinyin():
    call = Announcement("A001", 3)
    assert call.text() == "请 A001 号到 3 号窗口办理"
    assert call.pinyin() == "qing3 A ling2 ling2 yi1 hao4, dao4 san1 hao4 chuang1 kou3 ban4 li3."
    again = Announcement("A001", 3, recall=True)
    assert again.text() == "请 A001 号再次到 3 号窗口办理"
    assert "hao4, zai4 ci4 dao4" in again.pinyin()


async def phonemes(text: str, voice: str = "cmn-latn-pinyin") -> list[str]:
    proc = await asyncio.create_subprocess_exec(
        "espeak-ng", "-v", voice, "-q", "-x", text, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    return [w.strip() for w in out.decode().replace("\n", " ").split("_|") if w.strip()]


async def test_espeak_says_every_syllable_of_the_call():
    said = await EspeakVoice().phonemes(Announcement("A001", 3).pinyin())
    words = [w.strip() for w in said.replace("\n", " ").split("_|") if w.strip()]
    expected = ["qing3", "A", "ling2", "ling2", "yi1", "hao4", "dao4", "san1", "hao4", "chuang1", "kou3", "ban4", "li3"]
    assert words == [PHONEMES[s] for s in expected]
    assert "(en)" not in said


async def test_recall_and_two_digit_window():
    said = await EspeakVoice().phonemes(Announcement("A001", 12, recall=True).pinyin())
    words = [w.strip() for w in said.replace("\n", " ").split("_|") if w.strip()]
    assert words[6:10] == [PHONEMES["zai4"], PHONEMES["ci4"], PHONEMES["dao4"], PHONEMES["shi2"]]
    assert words[10] == PHONEMES["er4"]


async def test_the_plain_cmn_voice_would_have_read_english():
    # Why we send pinyin to cmn-latn-pinyin: the cmn voice reads 请 as "king three" (issue 1236).
    assert any(w.startswith("(en)") for w in await phonemes("请A001号到3号窗口办理", voice="cmn"))


def wav_frames(data: bytes) -> tuple[int, int]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes(), w.getframerate()


async def test_each_announcement_is_said_twice_and_they_never_overlap(tmp_path):
    voice = EspeakVoice()
    single, rate = wav_frames(await voice.wav(Announcement("A001", 3).pinyin()))
    spans: list[tuple[str, float, float]] = []
    folder = WavFolderSink(tmp_path / "said")

    async def timed_sink(announcement, wav):
        started = time.monotonic()
        await folder(announcement, wav)
        await asyncio.sleep(0.05)  # a device takes time to play
        spans.append((announcement.number, started, time.monotonic()))

    announcer = Announcer(voice, timed_sink)
    calls = [Announcement("A001", 3), Announcement("B002", 5), Announcement("A001", 3, recall=True)]
    for call in calls:
        announcer.say(call)
    await announcer.drain()
    await announcer.close()
    files = sorted((tmp_path / "said").iterdir())
    assert [f.name for f in files] == ["00001-A001-w3.wav", "00002-B002-w5.wav", "00003-A001-w3.wav"]
    frames, _ = wav_frames(files[0].read_bytes())
    assert frames == 2 * single + int(rate * 0.8)  # twice, with a pause between
    assert [s[0] for s in spans] == ["A001", "B002", "A001"]
    assert all(a[2] <= b[1] for a, b in zip(spans[:-1], spans[1:], strict=True))  # one ends before the next starts


def test_repeat_wav_keeps_the_format():
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(22050)
        w.writeframes(b"\x01\x00" * 100)
    doubled = repeat_wav(out.getvalue(), times=2, pause_s=0.01)
    assert wav_frames(doubled) == (200 + 220, 22050)


def test_announce_command_writes_a_wav(tmp_path):
    target = tmp_path / "a001.wav"
    result = subprocess.run(
        [sys.executable, "-m", "queue_server", "announce", "A001", "3", "--recall", "--out", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "请 A001 号再次到 3 号窗口办理" in result.stdout
    frames, rate = wav_frames(target.read_bytes())
    assert frames / rate > 4  # said twice
    bad = subprocess.run(
        [sys.executable, "-m", "queue_server", "announce", "A 1", "3", "--out", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "not a ticket number" in bad.stderr
