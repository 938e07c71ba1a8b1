"""Voice guidance at the kiosk (``hallqueue kiosk --voice``), spoken offline by espeak-ng.

The kiosk says the screen's title, the service the visitor chose and the ticket ("您的号码是
A 零 一 二，前面还有 3 人"). It speaks through ``hardware.voice``, the display service's voice:
the same espeak-ng Mandarin voice, given tone-numbered pinyin (pypinyin writes it from the
Chinese; espeak-ng's own reading of characters is wrong, see hardware/voice.py), ticket numbers
read letter and digit by digit as the hall's calls read them, and the same sinks: the sound
card (``SoundDeviceSink``) or WAV files in a folder (for tests). English sentences are said by
espeak-ng's English voice; names that stay Chinese in English (a service's name) by the
Mandarin one, in the same sentence.

Nothing here runs on Kivy's thread: ``KioskSpeaker.say`` hands the sentence to the kiosk's
asyncio loop and returns. A new screen title replaces a title not yet said; the service and
the ticket are always said, in order. A failure (no espeak-ng, no sound card) is logged once,
and the kiosk goes on silently.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import shutil
import wave
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypinyin import Style, lazy_pinyin

from hardware.voice import (
    DIGITS_PINYIN,
    EspeakVoice,
    SoundDeviceSink,
    VoiceError,
    number_pinyin,
    window_pinyin,
)

_LOGGER = logging.getLogger(__name__)

TICKET_NUMBER = re.compile(r"\b[A-Z]{1,2}\d{1,5}\b")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_TOKENS = re.compile(rf"(?P<ticket>\b[A-Z]{{1,2}}\d{{1,5}}\b)|(?P<number>\d+)|(?P<han>[{_CJK}]+)|(?P<latin>[A-Za-z]+)")
_COMMA = set("，、；：,;:·")
_STOP = set("。！？.!?")
_CJK_RUN = re.compile(rf"([{_CJK}][{_CJK}，、·]*)")
ENGLISH_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _count_pinyin(n: int) -> list[str]:
    """A count as said in Chinese: 零, 两 (not 二) for 2, 十二, 一百零五; digits past 9999."""
    if n == 0:
        return [DIGITS_PINYIN[0]]
    if n == 2:
        return ["liang3"]
    if n <= 9999:
        return window_pinyin(n)
    return [DIGITS_PINYIN[int(d)] for d in str(n)]


def to_pinyin(text: str) -> str:
    """Chinese text as tone-numbered pinyin for espeak-ng's Mandarin voice: ticket numbers letter
    and digit by digit (A012: A ling2 yi1 er4), other numbers as counts, punctuation as pauses."""
    words: list[str] = []
    position = 0
    for m in _TOKENS.finditer(text):
        words.extend(_pauses(text[position : m.start()]))
        position = m.end()
        if m["ticket"]:
            words.extend(number_pinyin(m["ticket"]))
        elif m["number"]:
            words.extend(_count_pinyin(int(m["number"])))
        elif m["han"]:
            words.extend(lazy_pinyin(m["han"], style=Style.TONE3, neutral_tone_with_five=True))
        else:
            words.extend(m["latin"].upper() if len(m["latin"]) <= 3 else m["latin"])
    words.extend(_pauses(text[position:]))
    sentence = " ".join(words).replace(" ,", ",").replace(" .", ".").strip(" ,")
    return sentence if sentence.endswith(".") else sentence + "."


def _pauses(between: str) -> list[str]:
    if any(c in _STOP for c in between):
        return ["."]
    if any(c in _COMMA for c in between):
        return [","]
    return []


def spell_ticket_english(text: str) -> str:
    """A012 -> "A, zero, one, two" (espeak-ng's English would say "A twelve")."""

    def spell(m: re.Match[str]) -> str:
        letters = [c for c in m[0] if c.isalpha()]
        return ", ".join(letters + [ENGLISH_DIGITS[int(c)] for c in m[0] if c.isdigit()])

    return TICKET_NUMBER.sub(spell, text)


@dataclass(frozen=True)
class Sentence:
    """One thing the kiosk says. ``keep``: said even when the visitor moved on (the service,
    the ticket); a title without it gives way to a newer sentence."""

    text: str  # as written, in the visitor's language
    language: str = "zh"
    kind: str = "title"  # title, service, ticket (also the WAV file's name)
    keep: bool = False
    label: str = ""  # e.g. the ticket number, for file names and logs

    def parts(self) -> list[tuple[str, str]]:
        """(voice, words) in the order said: ("zh", pinyin) for the Mandarin voice, ("en", text)
        for the English one (Chinese names inside an English sentence stay Mandarin)."""
        if self.language == "zh":
            return [("zh", to_pinyin(self.text))]
        parts: list[tuple[str, str]] = []
        for i, chunk in enumerate(_CJK_RUN.split(spell_ticket_english(self.text))):
            if not chunk.strip(" ,.·"):
                continue
            parts.append(("zh", to_pinyin(chunk)) if i % 2 else ("en", chunk.strip(" ,.·")))
        return parts


class EnglishEspeak(EspeakVoice):
    """espeak-ng's English voice, run the way ``EspeakVoice`` runs the Mandarin one."""

    def __init__(self, voice: str = "en", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.voice = voice

    def _command(self, *extra: str) -> list[str]:
        path = shutil.which(self.executable)
        if path is None:
            raise VoiceError(f"{self.executable} is not installed (Debian: apt-get install espeak-ng)")
        return [path, "-v", self.voice, "-s", str(self.speed), "-p", str(self.pitch), *extra]


def join_wavs(chunks: list[bytes], pause_s: float = 0.15) -> bytes:
    """WAV files of one format (espeak-ng's), one after another with a short pause between."""
    params, frames = None, []
    for data in chunks:
        with wave.open(io.BytesIO(data)) as src:
            if params is None:
                params = src.getparams()
            elif (src.getframerate(), src.getsampwidth(), src.getnchannels()) != (
                params.framerate,
                params.sampwidth,
                params.nchannels,
            ):
                raise VoiceError("the voices wrote different WAV formats")
            frames.append(src.readframes(src.getnframes()))
    if params is None:
        raise VoiceError("nothing to say")
    silence = b"\x00" * (int(params.framerate * pause_s) * params.sampwidth * params.nchannels)
    out = io.BytesIO()
    with wave.open(out, "wb") as dst:
        dst.setparams(params)
        dst.writeframes(silence.join(frames))
    return out.getvalue()


Sink = Callable[[Any, bytes], Awaitable[None]]


class WavFolder:
    """``--voice FOLDER``: each sentence as a numbered WAV file (00003-ticket-A012.wav)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.count = 0

    async def __call__(self, sentence: Sentence, wav: bytes) -> None:
        self.count += 1
        name = f"{self.count:05d}-{sentence.kind}" + (f"-{sentence.label}" if sentence.label else "") + ".wav"
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / (name + ".part")
        await asyncio.to_thread(partial.write_bytes, wav)
        partial.rename(self.folder / name)  # a reader never sees half a file


def sink_for(voice: Any) -> Sink:
    """``--voice``'s value: "sound" for the sound card, a folder for WAV files, or a sink."""
    if callable(voice):
        return voice
    if voice == "sound":
        return SoundDeviceSink()
    return WavFolder(Path(voice))


@dataclass
class KioskSpeaker:
    """Says sentences one after another on ``loop`` (the kiosk's AsyncRunner loop)."""

    loop: asyncio.AbstractEventLoop
    sink: Sink
    voices: dict[str, EspeakVoice] = field(default_factory=lambda: {"zh": EspeakVoice(), "en": EnglishEspeak()})
    said: int = 0
    failures: int = 0

    def __post_init__(self) -> None:
        self.history: deque[Sentence] = deque(maxlen=50)  # the last sentences said, for logs and tests
        self._pending: deque[Sentence] = deque()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._idle = asyncio.Event()

    def say(self, sentence: Sentence) -> None:
        """From any thread: queue ``sentence`` and return at once."""
        self.loop.call_soon_threadsafe(self._queue, sentence)

    def _queue(self, sentence: Sentence) -> None:
        kept = [s for s in self._pending if s.keep]  # a title not yet said gives way
        self._pending.clear()
        self._pending.extend(kept)
        self._pending.append(sentence)
        self._idle.clear()
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._run())

    async def drain(self) -> None:
        """Wait until everything queued was said (on the speaker's loop)."""
        if self._pending or (self._task is not None and not self._task.done()):
            await self._idle.wait()

    async def _run(self) -> None:
        while self._pending:
            sentence = self._pending.popleft()
            try:
                chunks = [await self.voices[voice].wav(words) for voice, words in sentence.parts()]
                await self.sink(sentence, join_wavs(chunks))
                self.said += 1
                self.history.append(sentence)
            except (VoiceError, OSError, wave.Error, KeyError) as exc:
                self.failures += 1
                if self.failures == 1:
                    _LOGGER.error("voice guidance is silent: %s (said once; the kiosk goes on without it)", exc)
                else:
                    _LOGGER.debug("could not say %r: %s", sentence.text, exc)
        self._idle.set()
