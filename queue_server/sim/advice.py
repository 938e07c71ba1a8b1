"""Staffing advice (``hallqueue simulate --advise``): the fewest open windows per window group and
hour that keep the target share of visitors (default 80 %) under the wait target (20 minutes).

Groups. Erlang C models one queue served by c interchangeable servers, so a group is a pool of
windows that take the same visitors: windows are joined when they share at least as many
services as they differ in (户政1–3 serve the same three; 民政, 交通 and 老年人服务 all serve the
two elderly cards, their bulk). Connected components of the service–window graph would be too
coarse: one comprehensive window (综合窗口 27 lists eleven project services) would pull six
unrelated departments into a single pool. A service that several groups serve (the
comprehensive windows take services of their neighbours) is shared out in proportion to the
groups' windows: the split of a day when every window is open.

First guess. Per group and half hour, λ is the expected arrivals of the group's share of its
services on the simulated days (the profile's per_day × weekday × month-start factor × shape
share, as the simulator draws them) and 1/μ the window time per visitor as the simulator
charges it (walk, service, 过号 waits, the clerk's pause). Erlang C gives the fewest windows;
an hour takes the larger of its two half hours, capped at the windows the group has.

Correction. Stationary Erlang C misses what a day does: the queue a peak leaves behind, the
lunch break, visitors who give up. So the plan is simulated (same seed) and corrected:

- a group-hour whose visitors miss the target gets one more window; missing again, the hour
  before gets one too (its queue is what this hour inherits). At its cap a window goes to a
  group sharing its services, else to the hour before.
- then group-hours far above target (half way from the target to 100 %) lose a window,
  all at once; where that makes a group-hour miss, the removals in that group (hour before,
  same, after) and its neighbours at that hour are put back and never tried again.

Rounds are bounded; everything runs in a fixed order, so the same inputs give the same plan.
A visitor counts for the group of the window that first called them; one never called (left,
expired, or went home at the kiosk seeing a long wait) counts as over the target, for the
group with the most windows for their service.
"""

from __future__ import annotations

import json
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import click

from queue_server.core.model import HallConfig

from .days import simulated_days
from .erlang import fewest_servers
from .metrics import day_figures
from .profile import SLOT_S, ArrivalProfile
from .report import percent, table
from .run import CLERK_GAP_S, NO_SHOW_AFTER_S, WALK_S, DayResult
from .staffing import Span, StaffingPlan, merge_spans, plan_toml

GROW_ROUNDS = 6  # simulations adding windows
TRIM_ROUNDS = 3  # simulations trying to remove them
GroupHour = tuple[int, int]  # (group index, hour)


@dataclass(frozen=True)
class Group:
    name: str
    windows: tuple[int, ...]
    services: frozenset[str]


def window_groups(config: HallConfig) -> list[Group]:
    """Pools of windows that share at least as many services as they differ in (see above)."""
    numbers = list(config.windows)
    parent = {n: n for n in numbers}

    def root(n: int) -> int:
        while parent[n] != n:
            n = parent[n]
        return n

    for i, a in enumerate(numbers):
        for b in numbers[i + 1 :]:
            sa, sb = set(config.windows[a].services), set(config.windows[b].services)
            if len(sa & sb) >= len(sa ^ sb):
                parent[max(root(a), root(b))] = min(root(a), root(b))
    pools: dict[int, list[int]] = {}
    for n in numbers:
        pools.setdefault(root(n), []).append(n)
    return [
        Group(
            _group_name([config.windows[n].name for n in ws]),
            tuple(ws),
            frozenset(s for n in ws for s in config.windows[n].services),
        )
        for ws in sorted(pools.values())
    ]


def _group_name(names: list[str]) -> str:
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    prefix = prefix.rstrip("0123456789")
    return prefix if prefix and len(names) > 1 else "、".join(names)


def _slot_arrivals(config: HallConfig, profile: ArrivalProfile, day: date) -> dict[str, list[float]]:
    """Expected ticket-taking arrivals per half hour of each service on ``day`` (the simulator's
    arithmetic in run.py; half hours past a service's 取号截止 get none)."""
    weekday = config.calendar.weekday_of(day)
    if weekday is None:
        return {}
    factor = profile.weekday_factor[weekday]
    midnight = datetime.combine(day, time())
    arrivals = {}
    for code, demand in profile.demand.items():
        service = config.services[code]
        ranges = service.hours.ranges_on(day, config.calendar)
        slots = [i for i in range(48) if any(r.contains(time(i // 2, 30 * (i % 2))) for r in ranges)]
        share = sum(demand.shape[i] for i in slots)
        if not share:
            continue
        mean_day = demand.per_day * factor
        if day.day <= profile.month_start_days and service.department in profile.month_start_departments:
            mean_day *= profile.month_start_factor
        per_slot = [0.0] * 48
        for i in slots:
            middle = midnight + timedelta(seconds=i * SLOT_S + SLOT_S / 2)
            if service.hours.issues_at(middle, config.rules.last_ticket_s, config.calendar):
                per_slot[i] = mean_day * demand.shape[i] / share
        arrivals[code] = per_slot
    return arrivals


def _window_time_s(profile: ArrivalProfile, code: str) -> float:
    """A window's time per visitor of ``code``, as the simulator spends it."""
    d = profile.demand[code]
    return (1 - d.no_show) * (WALK_S + d.service_s) + d.no_show * NO_SHOW_AFTER_S + CLERK_GAP_S


@dataclass
class Outcome:
    """One simulated plan: per group-hour (visitors, called within target), and the figures."""

    tally: dict[GroupHour, list[int]]
    figures: dict
    window_hours: float

    def share(self, key: GroupHour) -> float:
        visitors, ok = self.tally.get(key, (0, 0))
        return ok / visitors if visitors else 1.0

    def overall(self) -> float:
        visitors = sum(v for v, _ in self.tally.values())
        return sum(ok for _, ok in self.tally.values()) / visitors if visitors else 1.0


@dataclass
class Advisor:
    config: HallConfig
    profile: ArrivalProfile
    base: StaffingPlan  # bounds the advice: only windows and hours it opens can be staffed
    seed: int
    start: date
    days: int
    target_s: float
    share: float = 0.8
    groups: list[Group] = field(init=False)

    def __post_init__(self) -> None:
        config = self.config
        self.groups = window_groups(config)
        self.group_of = {n: gi for gi, g in enumerate(self.groups) for n in g.windows}
        serving = {code: [n for n, w in config.windows.items() if code in w.services] for code in config.services}
        self.home = {  # where a visitor nobody called is counted: the group with most windows for it
            code: min((self.group_of[n] for n in ns), key=lambda gi: (-sum(self.group_of[n] == gi for n in ns), gi))
            for code, ns in serving.items()
            if ns
        }
        dates = [self.start + timedelta(days=i) for i in range(self.days)]
        self.avail = {
            n: merge_spans([s for d in dates for s in self.base.open_spans(config, n, d)]) for n in config.windows
        }
        self.all_hours = sorted(
            {h for spans in self.avail.values() for s, e in spans for h in range(s // 3600, (e - 1) // 3600 + 1)}
        )
        self.serving = serving
        self.lam, self.needed = self._first_guess(dates)
        self.counts = {key: min(k, self.cap(*key)) for key, k in self.needed.items()}

    def _first_guess(self, dates: list[date]) -> tuple[dict[GroupHour, float], dict[GroupHour, int]]:
        """Expected arrivals per group-hour, and the windows Erlang C asks for."""
        serving = self.serving
        busy_days = [a for a in (_slot_arrivals(self.config, self.profile, d) for d in dates) if a]
        lam: dict[GroupHour, float] = {}
        load: dict[tuple[int, int], tuple[float, float]] = {}  # (group, slot) -> (λ, erlangs)
        for gi, g in enumerate(self.groups):
            for code in sorted(g.services & set(self.profile.demand)):
                part = sum(n in g.windows for n in serving[code]) / len(serving[code])
                tau = _window_time_s(self.profile, code)
                for slot in range(48):
                    rate = part * sum(a.get(code, [0.0] * 48)[slot] for a in busy_days) / max(len(busy_days), 1)
                    if rate:
                        old = load.get((gi, slot), (0.0, 0.0))
                        load[(gi, slot)] = (old[0] + rate / SLOT_S, old[1] + rate / SLOT_S * tau)
                        lam[(gi, slot // 2)] = lam.get((gi, slot // 2), 0.0) + rate
        needed: dict[GroupHour, int] = {}
        for (gi, slot), (rate, erlangs) in sorted(load.items()):
            c = fewest_servers(rate, rate / erlangs, self.target_s, self.share)
            needed[(gi, slot // 2)] = max(needed.get((gi, slot // 2), 0), c)
        return lam, needed

    # ------------------------------------------------------------ plans

    def hour_windows(self, gi: int, hour: int) -> list[int]:
        """The group's windows that the base plan lets open in ``hour``, lowest number first."""
        lo, hi = hour * 3600, hour * 3600 + 3600
        return [n for n in self.groups[gi].windows if any(s < hi and e > lo for s, e in self.avail[n])]

    def cap(self, gi: int, hour: int) -> int:
        return len(self.hour_windows(gi, hour))

    def hours(self) -> list[int]:
        """The hours in which some window may open."""
        return self.all_hours

    def open_count(self, counts: dict[GroupHour, int], gi: int, hour: int) -> int:
        """Windows open in a group-hour. An hour with no new visitors right after one with some
        keeps that hour's windows, for those still waiting (the half hour after 取号截止)."""
        if (gi, hour) in counts:
            return counts[(gi, hour)]
        return min(counts.get((gi, hour - 1), 0), self.cap(gi, hour))

    def spans(self, counts: dict[GroupHour, int]) -> dict[int, tuple[Span, ...]]:
        """The plan: in each hour the first k of a group's windows, cut to when they may open."""
        hours: dict[int, list[int]] = {}
        for gi in range(len(self.groups)):
            for hour in self.hours():
                for n in self.hour_windows(gi, hour)[: self.open_count(counts, gi, hour)]:
                    hours.setdefault(n, []).append(hour)
        spans = {}
        for n, open_hours in hours.items():
            cut = [(max(s, h * 3600), min(e, h * 3600 + 3600)) for h in open_hours for s, e in self.avail[n]]
            spans[n] = merge_spans([(s, e) for s, e in cut if s < e])
        return spans

    # ------------------------------------------------------------ simulating

    def run(self, plan: StaffingPlan) -> Outcome:
        tally: dict[GroupHour, list[int]] = {}

        def count(results):
            for result in results:
                self._tally(result, tally)
                yield result

        results = simulated_days(self.config, self.profile, plan, self.seed, self.start, self.days)
        figures = day_figures(self.config, count(results), self.target_s)
        window_hours = sum(w["open_s"] for w in figures["windows"]) / 3600
        return Outcome(tally, figures, window_hours)

    def _tally(self, result: DayResult, tally: dict[GroupHour, list[int]]) -> None:
        for visit in result.visits:
            if visit.refused:
                continue
            gi = self.group_of[visit.window] if visit.window is not None else self.home.get(visit.service)
            if gi is None:
                continue
            entry = tally.setdefault((gi, int(visit.arrive_s // 3600)), [0, 0])
            entry[0] += 1
            entry[1] += visit.called_s is not None and visit.called_s - visit.arrive_s <= self.target_s

    def misses(self, outcome: Outcome) -> set[GroupHour]:
        return {key for key in outcome.tally if key in self.counts and outcome.share(key) < self.share}

    # ------------------------------------------------------------ correcting

    def neighbours(self, gi: int) -> list[int]:
        """Groups sharing a service with ``gi``, the most shared first."""
        mine = self.groups[gi].services
        shared = [(-len(mine & g.services), i) for i, g in enumerate(self.groups) if i != gi and mine & g.services]
        return [i for _, i in sorted(shared)]

    def grow(self, outcome: Outcome) -> Outcome:
        raised: set[GroupHour] = set()
        for _ in range(GROW_ROUNDS):
            counts = dict(self.counts)
            for key in sorted(self.misses(outcome)):
                self._raise(counts, key, again=key in raised)
                raised.add(key)
            if counts == self.counts:
                break
            self.counts = counts
            outcome = self.run(self.plan())
        return outcome

    def _raise(self, counts: dict[GroupHour, int], key: GroupHour, again: bool) -> None:
        """One more window where a group-hour missed: there, or at its cap in a group sharing its
        services; at the cap or missing again, the hour before gets one too."""
        gi, hour = key
        before = (gi, hour - 1)
        at_cap = counts[key] >= self.cap(*key)
        if not at_cap:
            counts[key] += 1
        else:
            for i in self.neighbours(gi):
                if (i, hour) in counts and counts[(i, hour)] < self.cap(i, hour):
                    counts[(i, hour)] += 1
                    break
        if (again or at_cap) and before in counts and counts[before] < self.cap(*before):
            counts[before] += 1

    def trim(self, outcome: Outcome) -> Outcome:
        far = (1 + self.share) / 2
        locked: set[GroupHour] = set()
        for _ in range(TRIM_ROUNDS):
            tries = [
                key
                for key in sorted(self.counts)
                if key not in locked and outcome.tally.get(key) and outcome.share(key) >= far and self._spare(key)
            ]
            if not tries:
                break
            counts = dict(self.counts)
            for key in tries:
                counts[key] -= 1
            trial = self.run(StaffingPlan(self.spans(counts)))
            worse = self.worse(outcome, trial)
            if not worse:
                self.counts, outcome = counts, trial
                continue
            blamed = {key for key in tries if any(self._near(key, miss) for miss in worse)}
            locked |= blamed or set(tries)
        return outcome

    def worse(self, before: Outcome, after: Outcome) -> set[GroupHour]:
        """Group-hours that met the target and no longer do, or missed it and now miss by more."""
        return {key for key in self.counts if after.share(key) < min(self.share, before.share(key))}

    def _spare(self, key: GroupHour) -> bool:
        """Whether the group-hour may lose a window: it keeps one, or other groups open in that
        hour serve every service it has visitors for."""
        gi, hour = key
        if self.counts[key] >= 2:
            return True
        if self.counts[key] < 1:
            return False
        wanted = [s for s in self.groups[gi].services if s in self.profile.demand and self.profile.demand[s].per_day]
        return all(
            any(self.counts.get((self.group_of[n], hour), 0) for n in self.serving[s] if self.group_of[n] != gi)
            for s in wanted
        )

    def _near(self, removed: GroupHour, miss: GroupHour) -> bool:
        """Could removing a window at ``removed`` have made ``miss`` miss?"""
        (gi, hour), (mg, mhour) = removed, miss
        if gi == mg:
            return abs(hour - mhour) <= 1
        return gi in self.neighbours(mg) and mhour - 1 <= hour <= mhour

    def opens_all(self, plan: StaffingPlan) -> bool:
        """Whether ``plan`` is the base plan itself (so its day needs no second simulation)."""
        same_days = self.days == 1 or self.base.spans is not None  # else the base varies by day
        return same_days and {n: s for n, s in plan.spans.items() if s} == {n: s for n, s in self.avail.items() if s}

    def plan(self) -> StaffingPlan:
        return StaffingPlan(self.spans(self.counts))


@dataclass
class Advice:
    advisor: Advisor
    runs: dict[str, Outcome]  # "given" (the plan passed in), "erlang" (first guess), "advice"
    needed: dict[GroupHour, int]  # what Erlang C asked for, uncapped
    counts: dict[GroupHour, int]  # the advice
    seconds: float


def advise(
    config: HallConfig,
    profile: ArrivalProfile,
    plan: StaffingPlan,
    seed: int,
    start: date,
    days: int,
    target_s: float,
    share: float = 0.8,
) -> Advice:
    """The fewest windows per group and hour that meet the target in simulation (see above)."""
    started = clock.perf_counter()
    advisor = Advisor(config, profile, plan, seed, start, days, target_s, share)
    given = advisor.run(plan)
    first = advisor.plan()
    guess = given if advisor.opens_all(first) else advisor.run(first)
    outcome = advisor.trim(advisor.grow(guess))
    runs = {"given": given, "erlang": guess, "advice": outcome}
    return Advice(advisor, runs, advisor.needed, dict(advisor.counts), clock.perf_counter() - started)


# ---------------------------------------------------------------- what the manager reads

RUN_LABELS = {"given": "全部开放", "erlang": "Erlang C 初算", "advice": "模拟修正后"}


def _short(advice: Advice, key: GroupHour) -> bool:
    """Too few windows: every window of the group open, and the simulated hour still misses.
    (Erlang C asking for more than the group has is not enough: it often overstates, which is
    what the simulation is there to correct.)"""
    adv = advice.advisor
    return key in adv.misses(advice.runs["advice"]) and advice.counts[key] >= adv.cap(*key)


def _group_share(outcome: Outcome, gi: int) -> float | None:
    """The share of a group's visitors called within the target; None without visitors."""
    rows = [v for (g, _), v in outcome.tally.items() if g == gi]
    visitors = sum(v for v, _ in rows)
    return sum(ok for _, ok in rows) / visitors if visitors else None


def _percent(share: float | None) -> str:
    return "-" if share is None else percent(share)


def _window_list(numbers: tuple[int, ...]) -> str:
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ",".join(map(str, r)) for r in runs)


def advice_document(advice: Advice, plan_file: str) -> dict:
    adv = advice.advisor
    groups = []
    for gi, g in enumerate(adv.groups):
        hours = []
        for hour in adv.hours():
            if not adv.cap(gi, hour):
                continue
            visitors, ok = advice.runs["advice"].tally.get((gi, hour), (0, 0))
            hours.append(
                {
                    "hour": hour,
                    "arrivals": round(adv.lam.get((gi, hour), 0.0), 1),
                    "erlang_windows": advice.needed.get((gi, hour), 0),
                    "available": adv.cap(gi, hour),
                    "windows": adv.open_count(advice.counts, gi, hour),
                    "short": (gi, hour) in advice.counts and _short(advice, (gi, hour)),
                    "visitors": visitors,
                    "within_target_share": round(ok / visitors, 4) if visitors else None,
                }
            )
        groups.append(
            {
                "name": g.name,
                "windows": list(g.windows),
                "services": sorted(g.services),
                "within_target_share": {
                    k: None if (v := _group_share(o, gi)) is None else round(v, 4) for k, o in advice.runs.items()
                },
                "hours": hours,
            }
        )
    runs = {
        name: {
            "window_hours": round(o.window_hours, 1),
            "within_target_share": round(o.overall(), 4),
            "missed_group_hours": len(adv.misses(o)),
            "wait_mean_s": o.figures["wait_mean_s"],
            "over_target_share": o.figures["over_target_share"],
        }
        for name, o in advice.runs.items()
    }
    return {
        "seed": adv.seed,
        "start": adv.start.isoformat(),
        "days": adv.days,
        "wait_target_s": adv.target_s,
        "target_share": adv.share,
        "seconds": round(advice.seconds, 1),
        "runs": runs,
        "groups": groups,
        "plan_file": plan_file,
        "plan": plan_toml(adv.spans(advice.counts)),
    }


def advice_text(advice: Advice) -> str:
    adv = advice.advisor
    minutes = round(adv.target_s / 60)
    hours = adv.hours()
    headers = ["窗口组", "窗口", *(f"{h:02d}" for h in hours), *RUN_LABELS.values()]
    rows = []
    for gi, g in enumerate(adv.groups):
        cells = []
        for hour in hours:
            k = adv.open_count(advice.counts, gi, hour) if adv.cap(gi, hour) else None
            short = (gi, hour) in advice.counts and _short(advice, (gi, hour))
            cells.append("-" if k is None else f"{k}{'*' if short else ''}")
        shares = [_percent(_group_share(o, gi)) for o in advice.runs.values()]
        rows.append([g.name, _window_list(g.windows), *cells, *shares])
    wanting = []
    for gi, g in enumerate(adv.groups):
        needs = [
            f"{h:02d}时 {adv.cap(gi, h)} 个全开，{ok}/{visitors} 人达标，估算需 {advice.needed[(gi, h)]} 个"
            for h in hours
            if (gi, h) in advice.counts and _short(advice, (gi, h))
            for visitors, ok in [advice.runs["advice"].tally[(gi, h)]]
        ]
        if needs:
            wanting.append(f"  {g.name}：{'；'.join(needs)}")
    summary = [
        [
            label,
            f"{o.window_hours:.1f}",
            _percent(o.overall() if o.tally else None),
            str(len(adv.misses(o))),
            f"{o.figures['wait_mean_s'] / 60:.1f}",
            percent(o.figures["over_target_share"]),
        ]
        for label, o in zip(RUN_LABELS.values(), advice.runs.values(), strict=True)
    ]
    days = f"{adv.start.isoformat()} 起 {adv.days} 天" if adv.days > 1 else adv.start.isoformat()
    parts = [
        f"人员安排建议：每个窗口组每小时至少开几个窗口，才能让 {adv.share:.0%} 的办事群众 {minutes} 分钟内叫号"
        f"（模拟 {days}，随机种子 {adv.seed}，用时 {advice.seconds:.0f} 秒）",
        f"每小时开窗数，右侧为各方案下 {minutes} 分钟内叫号的占比；* 窗口不够：本组全部开放，模拟仍未达标",
        table(headers, rows),
    ]
    if wanting:
        parts += ["窗口不够的时段（全开时达标的人数，Erlang C 估算需要的窗口数）：\n" + "\n".join(wanting)]
    parts += [
        table(["方案", "开窗时数", "达标率", "未达标组时", "平均等候(分)", f"超过{minutes}分钟"], summary),
    ]
    return "\n\n".join(parts)


def advise_command(
    config: HallConfig,
    profile: ArrivalProfile,
    plan: StaffingPlan,
    seed: int,
    start: date,
    days: int,
    target_s: float,
    out: Path | None,
    as_json: bool,
    target_share: float = 0.8,
) -> None:
    """``hallqueue simulate --advise``: advise, write the plan file, print the advice."""
    advice = advise(config, profile, plan, seed, start, days, target_s, target_share)
    adv = advice.advisor
    comment = (
        f"hallqueue simulate --advise：{start.isoformat()} 起 {days} 天，种子 {seed}\n"
        f"目标：每个窗口组每小时 {target_share:.0%} 的人 {round(target_s / 60)} 分钟内叫号"
    )
    text = plan_toml(adv.spans(advice.counts), comment)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        path = out / "staffing.toml"
    else:
        path = Path("staffing-advice.toml")
    path.write_text(text, encoding="utf-8")
    document = advice_document(advice, str(path))
    if out is not None:
        from .charts import write_charts

        (out / "advice.json").write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        write_charts(advice.runs["advice"].figures, out)
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False, indent=1))
    else:
        click.echo(advice_text(advice))
        where = f"{path}（当前目录）" if out is None else str(path)
        click.echo(f"\n排班文件已写入 {where}；用 hallqueue simulate --staffing {path} 可按它再模拟。")
    click.echo(f"(advice in {advice.seconds:.1f} s)", err=True)
