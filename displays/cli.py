"""``hallqueue display``: run the display PC (LED window boards and voice calls)."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import click


@click.command()
@click.option("--server", required=True, help="the queue server, e.g. http://192.168.1.10:8080")
@click.option(
    "--token",
    required=True,
    envvar="HALLQUEUE_DISPLAY_TOKEN",
    help="this PC's device token (hallqueue device add NAME --kind display)",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="the hall config with its [[boards]] wiring (default: the sample hall)",
)
@click.option(
    "--voice",
    default="sound",
    show_default=True,
    help='"sound" (the sound card), "off", or a folder to write the calls into as WAV files',
)
@click.option("--board-timeout", type=float, default=0.5, show_default=True, help="seconds to wait for a board")
def display(server: str, token: str, config_path: Path | None, voice: str, board_timeout: float) -> None:
    """Drive the hall's LED boards and speak the calls, following the queue server.

    Example: hallqueue display --server http://192.168.1.10:8080 --token TOKEN --config /srv/hall/hall.toml
    """
    from hardware.voice import Announcer, EspeakVoice, SoundDeviceSink, WavFolderSink
    from queue_server.client import HallClient
    from queue_server.config.hall_file import ConfigError, load_hall_config

    from .service import DisplayService

    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_hall_config(config_path)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)

    def voice_failed(announcement, exc) -> None:
        logging.getLogger("displays.voice").error("could not say %s: %s", announcement.text(), exc)

    announcer = None
    if voice != "off":
        sink = SoundDeviceSink() if voice == "sound" else WavFolderSink(Path(voice))
        announcer = Announcer(EspeakVoice(), sink, on_error=voice_failed)
    click.echo(f"display: {len(config.boards)} board(s), voice {voice}, following {server}")

    async def main() -> None:
        service = DisplayService(HallClient(server, token), list(config.boards), announcer, board_timeout)
        await service.run()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
