"""统计分析: what a report's groupings are and how a group's figures are worked out (no I/O).

A group gathers counts, the waits and service times as whole seconds, the 好差评 per level and
its follow-ups; :meth:`Group.figures` turns them into the figures a report shows, under the
snake_case keys of ``GET /api/reports``. Percentiles are nearest-rank (the p90 is a wait some
visitor really had); the median of an even count is the mean of the two middle waits. Means are
rounded to a tenth of a second, shares to four places.
"""

from __future__ import annotations

import bisect
import enum
import math
from array import array
from dataclasses import dataclass, field
from typing import Any

LEVELS = (1, 2, 3, 4, 5)
SATISFIED = (4, 5)  # 满意率: 满意 or 非常满意, over all ratings
LOW = (1, 2)
COUNTS = ("issued", "served", "no_show", "cancelled", "expired", "transferred_in", "transferred_out")
WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


class Grouping(enum.StrEnum):
    """What the rows of a report are (``by=``)."""

    SERVICE = "service"
    DEPARTMENT = "department"
    WINDOW = "window"
    CLERK = "clerk"
    HOUR = "hour"
    WEEKDAY = "weekday"
    DAY = "day"


GROUPING_LABELS = {
    Grouping.SERVICE: "事项",
    Grouping.DEPARTMENT: "部门",
    Grouping.WINDOW: "窗口",
    Grouping.CLERK: "工作人员",
    Grouping.HOUR: "时段",
    Grouping.WEEKDAY: "星期",
    Grouping.DAY: "日期",
}

#: Every figure of a row, in the order of the files, with its Chinese header. Durations in seconds.
FIGURES: tuple[tuple[str, str], ...] = (
    ("issued", "取号数"),
    ("served", "办结数"),
    ("no_show", "过号"),
    ("cancelled", "取消"),
    ("expired", "未办理作废"),
    ("transferred_in", "转入"),
    ("transferred_out", "转出"),
    ("wait_mean_s", "平均等候(秒)"),
    ("wait_median_s", "等候中位数(秒)"),
    ("wait_p90_s", "等候P90(秒)"),
    ("wait_max_s", "最长等候(秒)"),
    ("within_target_share", "目标时间内叫号占比"),
    ("service_mean_s", "平均办理(秒)"),
    ("service_p90_s", "办理P90(秒)"),
    ("ratings", "评价数"),
    ("ratings_5", "非常满意"),
    ("ratings_4", "满意"),
    ("ratings_3", "基本满意"),
    ("ratings_2", "不满意"),
    ("ratings_1", "非常不满意"),
    ("satisfaction_rate", "满意率"),
    ("rating_coverage", "评价覆盖率"),
    ("low_ratings", "差评数"),
    ("followups_on_time", "差评按期整改"),
    ("followups_late", "差评逾期整改"),
    ("followups_open", "差评未整改"),
)
SHARES = frozenset({"within_target_share", "satisfaction_rate", "rating_coverage"})
DURATIONS = frozenset(name for name, _ in FIGURES if name.endswith("_s"))


class _Ranks:
    """What a report asks of many whole-second durations, from three primitives: how many
    (``n``), the rank-th smallest, and how many are at most a limit."""

    n: int

    def at_rank(self, rank: int) -> int:
        raise NotImplementedError

    def at_most(self, limit: float) -> int:
        raise NotImplementedError

    def total(self) -> int:
        raise NotImplementedError

    def maximum(self) -> int | None:
        raise NotImplementedError

    def percentile(self, q: float) -> int | None:
        """Nearest rank: a value some visitor really had."""
        return self.at_rank(max(1, math.ceil(q / 100 * self.n))) if self.n else None

    def median(self) -> float | None:
        if not self.n:
            return None
        half = self.n // 2
        if self.n % 2:
            return float(self.at_rank(half + 1))
        return (self.at_rank(half) + self.at_rank(half + 1)) / 2

    def mean(self) -> float | None:
        return round(self.total() / self.n, 1) if self.n else None


class Spread(_Ranks):
    """One group's durations, sorted. The arrays come from the rollup already sorted, so sorting
    their concatenation only merges runs (timsort)."""

    def __init__(self, chunks: list[bytes]) -> None:
        """From arrays of whole seconds (``array('I')`` bytes)."""
        values = array("I")
        values.frombytes(b"".join(chunks))
        self.ordered = sorted(values)
        self.n = len(self.ordered)

    def at_rank(self, rank: int) -> int:
        return self.ordered[rank - 1]

    def at_most(self, limit: float) -> int:
        return bisect.bisect_right(self.ordered, limit)

    def total(self) -> int:
        return sum(self.ordered)

    def maximum(self) -> int | None:
        return self.ordered[-1] if self.n else None


class Union(_Ranks):
    """Several groups' durations together (a report's total), never merged: how many are at most
    a value is the sum over the groups (a bisection in each), and the rank-th smallest is the
    least value with at least that many at most it, found by bisecting the values themselves
    (whole seconds: some fifteen steps). Exact, and a year's total costs no second sort."""

    def __init__(self, parts: list[Spread]) -> None:
        self.parts = [p for p in parts if p.n]
        self.n = sum(p.n for p in self.parts)

    def at_most(self, limit: float) -> int:
        return sum(p.at_most(limit) for p in self.parts)

    def at_rank(self, rank: int) -> int:
        low, high = 0, self.maximum() or 0
        while low < high:
            middle = (low + high) // 2
            if self.at_most(middle) >= rank:
                high = middle
            else:
                low = middle + 1
        return low

    def total(self) -> int:
        return sum(p.total() for p in self.parts)

    def maximum(self) -> int | None:
        return max((p.maximum() for p in self.parts), default=None)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class Group:
    """What one row of a report adds up."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    waits: list[bytes] = field(default_factory=list)  # array('I') bytes, whole seconds
    service_times: list[bytes] = field(default_factory=list)
    ratings: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    followups_on_time: int = 0
    followups_late: int = 0
    followups_open: int = 0
    _spreads: tuple[_Ranks, _Ranks] | None = field(default=None, repr=False)

    def add_counts(self, counts: dict[str, int], ratings: dict[int, int]) -> None:
        for name, n in counts.items():
            self.counts[name] += n or 0
        for level, n in ratings.items():
            self.ratings[level] += n or 0

    def spreads(self) -> tuple[_Ranks, _Ranks]:
        """The waits and the service times (worked out once)."""
        if self._spreads is None:
            self._spreads = (Spread(self.waits), Spread(self.service_times))
        return self._spreads

    @classmethod
    def total_of(cls, groups: list[Group]) -> Group:
        """The sum of ``groups``; its durations are theirs together (:class:`Union`)."""
        total = cls()
        for g in groups:
            total.add_counts(g.counts, g.ratings)
            total.followups_on_time += g.followups_on_time
            total.followups_late += g.followups_late
            total.followups_open += g.followups_open
        spreads = [g.spreads() for g in groups]
        total._spreads = (Union([w for w, _ in spreads]), Union([t for _, t in spreads]))
        return total

    def figures(self, wait_target_s: float) -> dict[str, Any]:
        waits, took = self.spreads()
        rated = sum(self.ratings.values())
        served = self.counts["served"]
        return {
            **self.counts,
            "wait_mean_s": waits.mean(),
            "wait_median_s": waits.median(),
            "wait_p90_s": waits.percentile(90),
            "wait_max_s": waits.maximum(),
            "within_target_share": _share(waits.at_most(wait_target_s), waits.n),
            "service_mean_s": took.mean(),
            "service_p90_s": took.percentile(90),
            "ratings": rated,
            **{f"ratings_{level}": self.ratings[level] for level in reversed(LEVELS)},
            "satisfaction_rate": _share(sum(self.ratings[level] for level in SATISFIED), rated),
            "rating_coverage": _share(rated, served),
            "low_ratings": sum(self.ratings[level] for level in LOW),
            "followups_on_time": self.followups_on_time,
            "followups_late": self.followups_late,
            "followups_open": self.followups_open,
        }
