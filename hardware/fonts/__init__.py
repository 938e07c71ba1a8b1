"""The bundled CJK font (Noto Sans CJK SC, GB2312 subset; see docs/fonts.md)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def font_path(bold: bool = False) -> Path:
    """Path of the bundled Simplified-Chinese font file."""
    name = "NotoSansSC-Bold-GB2312.otf" if bold else "NotoSansSC-Regular-GB2312.otf"
    return Path(str(resources.files(__name__).joinpath(name)))
