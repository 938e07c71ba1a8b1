"""The hall's files as one value: the config (with its calendar), its service guides, and the file
they were read from. The server starts with one and a reload (``hallqueue reload``) reads the
same file again into a new one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from queue_server.core.model import HallConfig

from .guides import GuideItem, hall_guides
from .hall_file import load_hall_config


@dataclass
class HallFiles:
    """The hall config and guides as the server runs them, and their file (``None``: the sample
    hall). The app keeps one (``appkeys.FILES``) and a reload replaces its config and guides
    together, so handlers read them there, never from a copy taken at start."""

    config: HallConfig
    guides: tuple[GuideItem, ...] = ()
    path: Path | None = None

    def replace_with(self, other: HallFiles) -> None:
        """Take ``other``'s config and guides (one step: no handler sees one without the other)."""
        self.config, self.guides = other.config, other.guides


def load_hall_files(path: Path | None) -> HallFiles:
    """Read and check the config at ``path``, the calendar and the guides it names; raises
    ``ConfigError`` naming the file, the key and the problem. Blocking: file reads."""
    config = load_hall_config(path)
    return HallFiles(config, hall_guides(config, path), path)
