"""The page behind a ticket's QR code (/t/CODE): where the visitor stands, on their phone.

Plain HTML with the system's fonts, no script and nothing fetched from outside (halls are often
offline); its style sheet is ``static/status.css`` from this server (the page's
Content-Security-Policy allows no inline style). It refreshes itself every 30 seconds.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

REFRESH_S = 30


def _minutes(seconds: int) -> str:
    minutes = round(seconds / 60)
    return f"约 {minutes} 分钟" if minutes >= 1 else "即将叫号"


def status_page(hall_name: str, view: dict[str, Any] | None) -> str:
    """The page for a ticket view (as the API returns it), or for an unknown code."""
    if view is None:
        title, body = "没有找到号票", "<p class=big>没有找到这张号票</p><p>请核对二维码，或到咨询台询问。</p>"
    else:
        title = f"{view['number']} 号"
        status = view["status"]
        if status == "waiting":
            line = (
                f"<p>前面还有 <b>{view['waiting_ahead']}</b> 人等候</p>"
                f"<p>预计等候{_minutes(view['estimated_wait_s'])}</p>"
            )
        elif status in ("called", "serving"):
            line = f"<p class=call>请到 <b>{escape(view['window_name'] or str(view['window']))}</b> 办理</p>"
        else:
            line = f"<p>{escape(view['status_label'])}</p>"
        if status == "waiting" and view.get("where"):
            line += f"<p class=where>办理窗口：{escape(view['where'])}</p>"
        guide = f"/guides?q={quote(view['service_name'])}"
        body = (
            f"<p class=number>{escape(view['number'])}</p>"
            f"<p class=service>{escape(' + '.join(s['name'] for s in view['services']))}</p>"
            f"<p class=status>{escape(view['status_label'])}</p>{line}"
            f'<p class=guide><a href="{escape(guide)}">查看办事指南：所需材料、办理时限、收费</a></p>'
        )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_S}">
<title>{escape(title)} · {escape(hall_name)}</title>
<link rel="stylesheet" href="/static/status.css"></head>
<body><header>{escape(hall_name)}</header><main>{body}</main>
<footer>页面每 {REFRESH_S} 秒自动刷新 · 过号请重新取号</footer></body></html>
"""
