"""Today's figures for the hall manager, counted from the stored tickets and ratings."""

from __future__ import annotations

from typing import Any

from queue_server.core.model import HallConfig
from queue_server.store.database import Store

_PER = """
SELECT {key} AS key,
       count(*) AS issued,
       sum(status = 'done') AS served,
       sum(status = 'no_show') AS no_show,
       avg(CASE WHEN called_at IS NOT NULL
                THEN (julianday(called_at) - julianday(issued_at)) * 86400 END) AS avg_wait_s,
       max(CASE WHEN called_at IS NOT NULL
                THEN (julianday(called_at) - julianday(issued_at)) * 86400 END) AS max_wait_s,
       avg(CASE WHEN status = 'done' AND called_at IS NOT NULL
                THEN (julianday(finished_at) - julianday(called_at)) * 86400 END) AS avg_service_s
FROM {source} WHERE business_day = ? {where} GROUP BY key
"""
# Per service, a ticket counts for every service it carried (a visit's 老年人优待证 and 乘车卡
# served in one sitting are two services served).
_EACH_SERVICE = """(SELECT *, service AS each_service FROM tickets
  UNION ALL SELECT t.*, j.value AS each_service FROM tickets t, json_each(t.also_services) j)"""
_RATINGS = """
SELECT {key} AS key, count(*) AS ratings, avg(level) AS avg_level, sum(level <= 2) AS low
FROM ratings WHERE business_day = ? GROUP BY key
"""


def _round(value: float | None) -> int | None:
    return None if value is None else round(value)


def today_figures(store: Store, day: str, config: HallConfig) -> dict[str, list[dict[str, Any]]]:
    """Per service and per window: issued, served, 过号, average and longest wait, average service
    time, and ratings (count, average level 1-5, how many low)."""
    db = store.reader()
    out: dict[str, list[dict[str, Any]]] = {}
    for name, key, source, where, names in (
        ("services", "each_service", _EACH_SERVICE, "", {c: s.name for c, s in config.services.items()}),
        ("windows", "window", "tickets", "AND window IS NOT NULL", {n: w.name for n, w in config.windows.items()}),
    ):
        ratings = {r["key"]: r for r in db.query(_RATINGS.format(key=key if key == "window" else "service"), [day])}
        rows = []
        for r in db.query(_PER.format(key=key, source=source, where=where), [day]):
            rated = ratings.get(r["key"], {})
            rows.append(
                {
                    name[:-1]: r["key"],
                    "name": names.get(r["key"], str(r["key"])),
                    "issued": r["issued"],
                    "served": r["served"] or 0,
                    "no_show": r["no_show"] or 0,
                    "avg_wait_s": _round(r["avg_wait_s"]),
                    "max_wait_s": _round(r["max_wait_s"]),
                    "avg_service_s": _round(r["avg_service_s"]),
                    "ratings": rated.get("ratings", 0),
                    "avg_rating": round(rated["avg_level"], 2) if rated.get("avg_level") else None,
                    "low_ratings": rated.get("low", 0),
                }
            )
        out[name] = rows
    return out
