"""Finding a service guide item from what a visitor types: a few Chinese characters, or the
pinyin initials (hkqr finds 户口迁入)."""

from __future__ import annotations

from typing import Any


def search_guides(items: list[dict[str, Any]], query: str, limit: int = 50) -> list[dict[str, Any]]:
    """Items matching ``query``, best first: name starts with it, name contains it, a keyword
    or the department contains it, then pinyin initials."""
    q = "".join(query.split()).lower()
    if not q:
        return []
    ranked = []
    for position, item in enumerate(items):
        rank = _rank(item, q)
        if rank is not None:
            ranked.append((rank, position, item))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [item for _, _, item in ranked[:limit]]


def _rank(item: dict[str, Any], q: str) -> int | None:
    name = item["name"].lower()
    if name.startswith(q):
        return 0
    if q in name:
        return 1
    if any(q in k.lower() for k in item.get("keywords", ())):
        return 2
    if q in (item.get("service_name") or "") or q in (item.get("department_name") or ""):
        return 3
    if q.isascii() and q.isalpha():
        initials = item.get("initials", "")
        if initials.startswith(q):
            return 4
        if q in initials:
            return 5
    return None
