"""Chinese text for devices whose fonts follow GB2312 (printers, LED boards)."""

from __future__ import annotations

# ¥ (U+00A5) is outside GB2312 and four bytes in GB18030; the full-width ￥ (A3 A4) is in every
# Chinese device font.
_FULL_WIDTH = str.maketrans({"¥": "￥"})


def for_gb_fonts(text: str) -> str:
    """``text`` with the characters GB2312 fonts lack replaced by their full-width twins."""
    return text.translate(_FULL_WIDTH)
