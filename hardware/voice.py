"""Voice announcements (语音叫号), spoken offline by espeak-ng.

espeak-ng's ``cmn`` voice reads the pinyin of Chinese characters as English ("请" comes out as
"king three", espeak-ng issue 1236). Its ``cmn-latn-pinyin`` voice reads tone-numbered pinyin
correctly, one syllable per word, so we write each announcement in pinyin ourselves. That also
avoids the characters with several readings. Ticket numbers are read the way halls read them:
the letter on its own, then digit by digit (A 零零一 号). Window numbers are read as numbers
(十二 号窗口). Every announcement is said twice. A recall (重呼) adds 再次.

The words can be checked by their phonemes (``espeak-ng -x``) rather than by ear; the tests do so.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import tempfile
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

VOICE = "cmn-latn-pinyin"
DIGITS_PINYIN = ("ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")
DIGITS_HANZI = "零一二三四五六七八九"
_TICKET_NUMBER = re.compile(r"^([A-Z]{1,2})(\d{1,5})$")


class VoiceError(Exception):
    """The announcement could not be spoken (espeak-ng missing, no sound device...)."""


def _cardinal(n: int, digits: tuple[str, ...] | str, ten: str, hundred: str, thousand: str) -> list[str]:
    """Chinese reading of 1-9999 as a list of syllables (二十一, 一百零五, 一千零一十)."""
    if not 1 <= n <= 9999:
        raise ValueError(f"window numbers are read from 1 to 9999, not {n}")
    out: list[str] = []
    units = ((1000, thousand), (100, hundred), (10, ten), (1, ""))
    pending_zero = False
    for value, unit in units:
        d = n // value % 10
        if d == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append(digits[0])
            pending_zero = False
        if not (value == 10 and d == 1 and not out):  # 十二, not 一十二
            out.append(digits[d])
        if unit:
            out.append(unit)
    return out


def window_pinyin(n: int) -> list[str]:
    words = _cardinal(n, DIGITS_PINYIN, "shi2", "bai3", "qian1")
    # 一 before 百 and 千 is said yì (yi4), as in 一百, 一千.
    return [
        "yi4" if w == "yi1" and nxt in ("bai3", "qian1") else w for w, nxt in zip(words, [*words[1:], ""], strict=True)
    ]


def window_hanzi(n: int) -> str:
    return "".join(_cardinal(n, DIGITS_HANZI, "十", "百", "千"))


def number_pinyin(number: str) -> list[str]:
    """A001 -> ["A", "ling2", "ling2", "yi1"]; letters stand alone so they are read as letters."""
    m = _TICKET_NUMBER.match(number)
    if not m:
        raise ValueError(f'"{number}" is not a ticket number like A001')
    return [*m[1], *(DIGITS_PINYIN[int(d)] for d in m[2])]


@dataclass(frozen=True)
class Announcement:
    """One call: ticket ``number`` to ``window``; ``recall`` for 重呼."""

    number: str
    window: int

    recall: bool = False

    def text(self) -> str:
        """What is said, in Chinese (for logs and screens)."""
        again = "再次" if self.recall else ""
        return f"请 {self.number} 号{again}到 {self.window} 号窗口办理"

    def pinyin(self) -> str:
        """What espeak-ng is given: tone-numbered pinyin, one syllable per word."""
        words = ["qing3", *number_pinyin(self.number), "hao4,"]
        if self.recall:
            words += ["zai4", "ci4"]
        words += ["dao4", *window_pinyin(self.window), "hao4", "chuang1", "kou3", "ban4", "li3."]
        return " ".join(words)


class EspeakVoice:
    """espeak-ng with the pinyin Mandarin voice, run as a subprocess (never on the event loop)."""

    def __init__(self, executable: str = "espeak-ng", speed: int = 140, pitch: int = 50) -> None:
        self.executable, self.speed, self.pitch = executable, speed, pitch

    def _command(self, *extra: str) -> list[str]:
        path = shutil.which(self.executable)
        if path is None:
            raise VoiceError(f"{self.executable} is not installed (Debian: apt-get install espeak-ng)")
        return [path, "-v", VOICE, "-s", str(self.speed), "-p", str(self.pitch), *extra]

    async def _run(self, args: list[str]) -> bytes:
        proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise VoiceError(f"{args[0]} failed ({proc.returncode}): {err.decode(errors='replace').strip()}")
        return out

    async def phonemes(self, pinyin: str) -> str:
        """espeak-ng's phoneme transcription (``-x``): how the words will actually sound."""
        return (await self._run(self._command("-q", "-x", pinyin))).decode().strip()

    async def wav(self, pinyin: str) -> bytes:
        """The spoken words as a WAV file's bytes."""
        with tempfile.TemporaryDirectory(prefix="hallqueue-voice-") as tmp:
            target = Path(tmp) / "say.wav"
            await self._run(self._command("-w", str(target), pinyin))
            # espeak-ng exits 0 even when it could not write the file.
            if not target.exists() or target.stat().st_size <= 44:
                raise VoiceError("espeak-ng produced no sound")
            return target.read_bytes()


def repeat_wav(data: bytes, times: int = 2, pause_s: float = 0.8) -> bytes:
    """The same WAV said ``times`` times with a pause between (PCM only, as espeak-ng writes)."""
    with wave.open(io.BytesIO(data)) as src:
        params = src.getparams()
        frames = src.readframes(params.nframes)
    silence = b"\x00" * (int(params.framerate * pause_s) * params.sampwidth * params.nchannels)
    out = io.BytesIO()
    with wave.open(out, "wb") as dst:
        dst.setparams(params)
        dst.writeframes(silence.join([frames] * times))
    return out.getvalue()


Sink = Callable[[Announcement, bytes], Awaitable[None]]


class WavFolderSink:
    """Writes each announcement as a numbered WAV file, in the order they were said."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def __call__(self, announcement: Announcement, wav: bytes) -> None:
        self.count += 1
        name = f"{self.count:05d}-{announcement.number}-w{announcement.window}.wav"
        self.folder.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread((self.folder / name).write_bytes, wav)


class SoundDeviceSink:
    """Plays on the PC's sound card with ALSA's ``aplay`` and returns when the sound ended."""

    def __init__(self, player: str = "aplay", device: str | None = None) -> None:
        self.player, self.device = player, device

    async def __call__(self, announcement: Announcement, wav: bytes) -> None:
        path = shutil.which(self.player)
        if path is None:
            raise VoiceError(f"{self.player} is not installed (Debian: apt-get install alsa-utils)")
        args = [path, "-q", *(["-D", self.device] if self.device else []), "-"]
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate(wav)
        if proc.returncode != 0:
            raise VoiceError(f"cannot play on the sound device: {err.decode(errors='replace').strip()}")


class Announcer:
    """Says announcements one after another: a new call waits until the previous one ended.

    ``say`` queues and returns at once; ``drain`` waits until everything queued was said.
    A failed announcement is reported to ``on_error`` and the queue goes on.
    """

    def __init__(
        self,
        voice: EspeakVoice,
        sink: Sink,
        repeat: int = 2,
        on_error: Callable[[Announcement, Exception], None] | None = None,
    ) -> None:
        self.voice, self.sink, self.repeat = voice, sink, repeat
        self.on_error = on_error
        self._queue: asyncio.Queue[Announcement] = asyncio.Queue()
        self._task: asyncio.Task | None = None

    def say(self, announcement: Announcement) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        self._queue.put_nowait(announcement)

    async def drain(self) -> None:
        await self._queue.join()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            announcement = await self._queue.get()
            try:
                wav = repeat_wav(await self.voice.wav(announcement.pinyin()), self.repeat)
                await self.sink(announcement, wav)
            except (VoiceError, OSError, wave.Error) as exc:
                if self.on_error:
                    self.on_error(announcement, exc)
            finally:
                self._queue.task_done()
