"""A report as the files a hall manager sends on: CSV for any tool, XLSX for Excel and WPS.

CSV is UTF-8 with a byte-order mark: without it Excel in Chinese reads the headers as GBK and
shows mojibake. The XLSX (openpyxl) has a sheet per grouping, the asked one first, each with a
title line, Chinese headers, number formats (counts, percentages, seconds) and the 合计 row.
openpyxl is imported on the first export: it takes a third of a second, which the server's start
does not need to wait for.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from queue_server.core.report_figures import DURATIONS, FIGURES, GROUPING_LABELS, SHARES, Grouping

BOM = "\ufeff"


def _headers(by: Grouping) -> list[str]:
    return [GROUPING_LABELS[by], *(header for _, header in FIGURES)]


def _cells(row: dict[str, Any]) -> list[Any]:
    return [row["label"], *(row[name] for name, _ in FIGURES)]


def csv_bytes(report: dict[str, Any]) -> bytes:
    """The rows and the 合计 row, headers in Chinese; shares from 0 to 1, durations in seconds."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_headers(Grouping(report["period"]["by"])))
    for row in (*report["rows"], report["total"]):
        writer.writerow(["" if v is None else v for v in _cells(row)])
    return (BOM + out.getvalue()).encode("utf-8")


def _number_format(name: str) -> str:
    if name in SHARES:
        return "0.0%"
    if name in DURATIONS:
        return "#,##0.0"  # seconds; means and medians have a tenth
    return "#,##0"


def _sheet(wb, report: dict[str, Any], first: bool) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    by = Grouping(report["period"]["by"])
    ws = wb.active if first else wb.create_sheet()
    ws.title = f"按{GROUPING_LABELS[by]}"
    period = report["period"]
    ws.append([f"政务服务中心统计报表　{period['from']} 至 {period['to']}　按{GROUPING_LABELS[by]}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(_headers(by))
    for cell in ws[2]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F3")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for row in (*report["rows"], report["total"]):
        ws.append(_cells(row))
    last = ws.max_row
    for cell in ws[last]:
        cell.font = Font(bold=True)
    for col, (name, _) in enumerate(FIGURES, start=2):
        fmt = _number_format(name)
        for (cell,) in ws.iter_rows(min_row=3, max_row=last, min_col=col, max_col=col):
            cell.number_format = fmt
    ws.column_dimensions["A"].width = 26
    for col in range(2, len(FIGURES) + 2):
        ws.column_dimensions[get_column_letter(col)].width = 11
    ws.row_dimensions[2].height = 32
    ws.freeze_panes = "B3"


BOOKING_HEADERS = ("业务", "预约", "签到取号", "其中按时", "未到", "取消")


def _booking_sheet(wb, report: dict[str, Any]) -> None:
    """预约 per service, after the groupings."""
    from openpyxl.styles import Font, PatternFill

    ws = wb.create_sheet("预约")
    period = report["period"]
    ws.append([f"预约统计　{period['from']} 至 {period['to']}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(list(BOOKING_HEADERS))
    for cell in ws[2]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F3")
    figures = ("booked", "checked_in", "on_time", "missed", "cancelled")
    for row in (*report["bookings"]["rows"], report["bookings"]["total"]):
        ws.append([row["label"], *(row[k] for k in figures)])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 26


def xlsx_bytes(report: dict[str, Any], others: dict[str, dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    _sheet(wb, report, first=True)
    for other in others.values():
        _sheet(wb, other, first=False)
    if "bookings" in report:
        _booking_sheet(wb, report)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
