"""Voice guidance (``hallqueue kiosk --voice``): espeak-ng, offline, never on Kivy's thread."""

from __future__ import annotations

import asyncio
import logging
import threading
import wave
from pathlib import Path

from hardware.printer import TicketPrinter
from hardware.voice import EspeakVoice, VoiceError
from kiosk.voice import KioskSpeaker, Sentence, WavFolder, to_pinyin

from .test_kiosk_shapes import find_tile
from .test_kiosk_ui import button, tiles_loaded


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() >= 16000
        return w.getnframes() / w.getframerate()


def said(folder: Path, kind: str) -> list[Path]:
    return sorted(folder.glob(f"*-{kind}*.wav"))


def test_sentences_are_read_the_way_the_hall_reads_numbers():
    assert to_pinyin("您的号码是 A012，前面还有 3 人") == (
        "nin2 de5 hao4 ma3 shi4 A ling2 yi1 er4, qian2 mian4 hai2 you3 san1 ren2."
    )
    assert to_pinyin("前面还有 2 人") == "qian2 mian4 hai2 you3 liang3 ren2."  # 两, not 二
    assert to_pinyin("前面还有 12 人") == "qian2 mian4 hai2 you3 shi2 er4 ren2."
    english = Sentence("Your number is A012. 3 people ahead of you", "en").parts()
    assert english == [("en", "Your number is A, zero, one, two. 3 people ahead of you")]
    mixed = Sentence("户政. Please choose a service", "en").parts()  # a Chinese name in English
    assert mixed == [("zh", "hu4 zheng4."), ("en", "Please choose a service")]


async def test_the_words_sound_as_written():
    """espeak-ng's phonemes (-x) of the ticket sentence: the letter, then 零 一 二."""
    phonemes = await EspeakVoice().phonemes(to_pinyin("您的号码是 A012"))
    assert "'ei" in phonemes and "l'i35N" in phonemes and "j'i55" in phonemes and "'@r51" in phonemes


def take_tickets(server, service: str, n: int) -> None:
    """Visitors before ours, from another kiosk."""
    import json
    import urllib.request

    for _ in range(n):
        request = urllib.request.Request(
            server.url + "/api/tickets",
            data=json.dumps({"service": service}).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {server.kiosk_token}", "Content-Type": "application/json"},
        )
        urllib.request.urlopen(request).close()


def test_taking_a_ticket_says_it(kiosk, server, tmp_path):
    folder = tmp_path / "voice"  # --voice FOLDER
    take_tickets(server, "hz-idcard", 3)
    d = kiosk(printer=TicketPrinter("dummy:"), voice=str(folder))
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    d.tap(find_tile(d, "户政"))
    d.wait_until(lambda: d.app.root.current == "services", what="services")
    d.tap(button(d.screen().ids.services, "居民身份证申领"))
    d.wait_until(lambda: d.app.root.current == "ticket", what="ticket")
    d.wait_until(lambda: said(folder, "ticket"), timeout=20, what="the ticket said")
    ticket = said(folder, "ticket")[0]
    assert ticket.name.endswith("-ticket-A004.wav")
    assert 2.0 < wav_seconds(ticket) < 15.0
    spoken = [s for s in d.app.speaker.history if s.kind == "ticket"][0]
    assert spoken.text == "您的号码是 A004，前面还有 3 人"
    assert "A ling2 ling2 si4" in spoken.parts()[0][1]
    assert said(folder, "service") and said(folder, "title")  # 户政, then the service's name
    order = [p.stem.split("-")[1] for p in sorted(folder.glob("*.wav"))]
    assert order.index("service") < order.index("ticket")
    assert not list(folder.glob("*.part"))


class HeldSink:
    """A sink that waits until the test lets it go: a slow sound card."""

    def __init__(self, folder: Path) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.files = WavFolder(folder)

    async def __call__(self, sentence, wav: bytes) -> None:
        self.entered.set()
        await asyncio.to_thread(self.release.wait, 30)
        await self.files(sentence, wav)


def test_speaking_never_blocks_the_screen(kiosk, tmp_path):
    sink = HeldSink(tmp_path / "voice")
    d = kiosk(printer=TicketPrinter("dummy:"), voice=sink)
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    app = d.app
    try:
        d.tap(find_tile(d, "户政"))  # "户政，请选择办理的事项" is being said, and held
        d.wait_until(sink.entered.is_set, timeout=20, what="speech under way")
        d.tap(button(d.screen().ids.services, "出生登记"))
        d.wait_until(lambda: app.root.current == "ticket", what="the ticket, while the voice is held")
        d.tap(d.screen().ids.done)
        assert app.root.current == "home"
        assert not list((tmp_path / "voice").glob("*.wav"))  # nothing said yet: the sink still holds
    finally:
        sink.release.set()
    d.wait_until(lambda: said(tmp_path / "voice", "ticket"), timeout=30, what="the ticket said at last")


def test_a_missing_sound_card_is_logged_once_and_the_kiosk_goes_on(kiosk, server, caplog):
    class NoSoundCard:
        calls = 0

        async def __call__(self, sentence, wav: bytes) -> None:
            NoSoundCard.calls += 1
            raise VoiceError("cannot play on the sound device: no soundcards found")

    caplog.set_level(logging.DEBUG, logger="kiosk.voice")
    d = kiosk(printer=TicketPrinter("dummy:"), voice=NoSoundCard())
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    app = d.app
    d.tap(find_tile(d, "户政"))
    d.wait_until(lambda: app.root.current == "services", what="services")
    d.tap(button(d.screen().ids.services, "居民身份证申领"))
    d.wait_until(lambda: app.root.current == "ticket", what="ticket")
    d.wait_until(lambda: NoSoundCard.calls >= 3, timeout=20, what="three sentences tried")
    errors = [r for r in caplog.records if r.name == "kiosk.voice" and r.levelno >= logging.WARNING]
    assert len(errors) == 1 and "no soundcards" in errors[0].getMessage()
    assert d.screen().ids.number.text == "A001"


async def test_a_new_title_replaces_one_not_yet_said(tmp_path):
    """The visitor taps on: an old screen title is dropped, the service and ticket never are."""
    loop = asyncio.get_running_loop()
    heard: list[str] = []

    class Voice:
        async def wav(self, words: str) -> bytes:
            return await EspeakVoice().wav("yi1")

    async def sink(sentence, wav):
        heard.append(sentence.text)
        await asyncio.sleep(0.05)

    speaker = KioskSpeaker(loop, sink, voices={"zh": Voice(), "en": Voice()})
    for sentence in (
        Sentence("首页"),
        Sentence("户政"),
        Sentence("居民身份证申领", kind="service", keep=True),
        Sentence("服务指南"),
        Sentence("您的号码是 A001", kind="ticket", keep=True),
    ):
        speaker.say(sentence)
    await asyncio.sleep(0)
    await speaker.drain()
    assert heard == ["居民身份证申领", "您的号码是 A001"]


def test_the_command_line_options():
    """hallqueue kiosk --voice (the sound card) / --voice FOLDER / off; --screen-inches."""
    from kiosk.cli import kiosk as command

    def params(*args: str) -> dict:
        return command.make_context("kiosk", ["--server", "http://127.0.0.1:8080", "--token", "t", *args]).params

    assert params()["voice"] is None and params()["screen_inches"] is None
    assert params("--voice")["voice"] == "sound"
    assert params("--voice", "/tmp/kiosk-voice")["voice"] == "/tmp/kiosk-voice"
    assert params("--voice", "--screen-inches", "43")["voice"] == "sound"
    assert params("--screen-inches", "43")["screen_inches"] == 43.0


def test_a_visit_says_every_number(kiosk, server, tmp_path):
    """两证一起办: the number and what it also carries; a visit of linked numbers: each one, in
    the order to go."""
    folder = tmp_path / "voice"
    d = kiosk(printer=TicketPrinter("dummy:"), voice=str(folder))
    d.wait_until(lambda: tiles_loaded(d), what="home tiles")
    app = d.app
    d.tap(find_tile(d, "老年人业务"))
    d.wait_until(lambda: app.root.current == "services", what="services")
    d.tap(d.screen().ids.services.children[-1])  # 两证一起办
    d.wait_until(lambda: app.root.current == "ticket", what="ticket")
    d.tap(d.screen().ids.done)
    d.tap(find_tile(d, "户政"))
    d.wait_until(lambda: app.root.current == "services", what="services")
    d.tap(button(d.screen().ids.services, "户口迁移登记").ids.choose)  # 加选
    d.tap(d.screen().ids.nav.ids.back)
    d.tap(find_tile(d, "税务"))
    d.wait_until(lambda: app.root.current == "services", what="services")
    d.tap(button(d.screen().ids.services, "纳税申报（国地税一窗）"))
    d.tap(d.screen().ids.visit.ids.take)
    d.wait_until(lambda: app.root.current == "ticket", what="the visit's ticket")
    first, other = app.outcome.ticket["number"], app.outcome.linked[0]
    d.wait_until(lambda: len(said(folder, "ticket")) >= 4, timeout=60, what="every number said")
    spoken = [s.text for s in app.speaker.history if s.kind == "ticket"]
    assert spoken[:2] == ["您的号码是 J001，前面没有人等候", "这个号码同时办理老年人免费乘车卡（即办）"]
    assert spoken[2] == f"您的号码是 {first}，前面没有人等候"
    assert spoken[3] == f"还需办理{other['service_name']}，号码是 {other['number']}，前面没有人等候"
    assert said(folder, "ticket")[-1].name.endswith(f"-ticket-{other['number']}.wav")
