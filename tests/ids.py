"""Made-up citizen ID numbers that pass GB 11643's check (for tests: none is anybody's)."""

from __future__ import annotations

from itertools import count

_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
_SEQ = count(1)


def citizen_id(birth: str = "19800101", seq: int | None = None, region: str = "110105") -> str:
    """An 18-character ID number born on ``birth`` (YYYYMMDD); a new sequence number each call."""
    stem = f"{region}{birth}{(next(_SEQ) if seq is None else seq) % 1000:03d}"
    return stem + "10X98765432"[sum(int(d) * w for d, w in zip(stem, _WEIGHTS, strict=True)) % 11]
