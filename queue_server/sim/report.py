"""The simulator's figures as text tables for the hall manager (Chinese headers, minutes)."""

from __future__ import annotations

import unicodedata
from typing import Any


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain table: the first column left-aligned, the figures right-aligned."""
    widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        lines.append("  ".join(_pad(str(cell), widths[i], right=i > 0) for i, cell in enumerate(row)))
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def summary(f: dict[str, Any]) -> str:
    target = round(f["wait_target_s"] / 60)
    return "\n".join(
        [
            f"模拟 {f['days']} 天：到达 {f['arrivals']} 人，取号 {f['tickets']}，办结 {f['served']}，"
            f"过号 {f['no_show']}，过期 {f['expired']}，见等候太长未取号 {f['balked']}，未能取号 {f['refused']}，"
            f"转办 {f['transferred']}",
            f"等候：平均 {minutes(f['wait_mean_s'])} 分钟，P90 {minutes(f['wait_p90_s'])}，"
            f"最长 {minutes(f['wait_max_s'])}；超过 {target} 分钟的占 {percent(f['over_target_share'])}；"
            f"窗口利用率 {percent(f['utilisation'])}",
            f"号票上的预计等候：平均绝对误差 {minutes(f['estimate_mae_s'])} 分钟"
            f"（为平均等候的 {percent(f['estimate_mae_share'])}），P90 {minutes(f['estimate_p90_abs_error_s'])}，"
            f"偏差 {minutes(f['estimate_bias_s'])}（负数：预计偏短）",
            f"普通号平均等候 {minutes(f['normal']['wait_mean_s'])} 分钟，"
            f"优先号（特别通道、预约、绿色通道）{minutes(f['priority']['wait_mean_s'])} 分钟",
        ]
    )


def service_table(f: dict[str, Any]) -> str:
    rows = [
        [
            s["name"],
            s["tickets"],
            s["served"],
            s["no_show"],
            minutes(s["wait_mean_s"]),
            minutes(s["wait_p90_s"]),
            minutes(s["wait_max_s"]),
            percent(s["over_target_share"]),
            minutes(s["estimate_mae_s"]),
            minutes(s["estimate_bias_s"]),
        ]
        for s in f["services"]
    ]
    headers = ["业务", "取号", "办结", "过号", "平均等候", "P90", "最长", "超时占比", "估计误差", "估计偏差"]
    return table(headers, rows)


def hour_table(f: dict[str, Any]) -> str:
    rows = [
        [
            f"{h['hour']:02d}:00",
            h["tickets"],
            minutes(h["wait_mean_s"]),
            minutes(h["wait_p90_s"]),
            minutes(h["wait_max_s"]),
            percent(h["over_target_share"]),
            h["no_show"],
            h["open_windows"],
            percent(h["utilisation"]),
            h["queue"],
        ]
        for h in f["hours"]
    ]
    headers = ["时段", "取号", "平均等候", "P90", "最长", "超时占比", "过号", "开窗数", "利用率", "整点排队"]
    return table(headers, rows)


def full_report(f: dict[str, Any]) -> str:
    return "\n\n".join(
        [summary(f), "按业务（等候单位：分钟）", service_table(f), "按时段（取号时间；等候单位：分钟）", hour_table(f)]
    )


def compare_table(results: dict[str, dict[str, Any]], labels: dict[str, str]) -> str:
    rows = []
    for name, f in results.items():
        rows.append(
            [
                labels.get(name, name),
                minutes(f["normal"]["wait_mean_s"]),
                minutes(f["normal"]["wait_p90_s"]),
                minutes(f["priority"]["wait_mean_s"]),
                minutes(f["priority"]["wait_p90_s"]),
                minutes(f["longest_wait_s"]),
                percent(f["over_target_share"]),
            ]
        )
    headers = ["规则", "普通平均", "普通P90", "优先平均", "优先P90", "最长等候", "超时占比"]
    return "同一随机种子下的叫号规则对比（单位：分钟）\n" + table(headers, rows)
