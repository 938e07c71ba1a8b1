"""The page behind a ticket's QR code (/t/CODE): where the visitor stands, on their phone.

Rendered whole on the server from the phone view (``phone_view.py``), so it reads right on a
phone without script (which then reloads it every 30 seconds). With script, ``static/phone.js``
keeps the same elements live from the push stream, alerts the visitor when it is nearly their
turn and when they are called, and offers 扫码评价 after 办结. Its style sheet and script come
from this server (the page's Content-Security-Policy allows nothing inline, nothing outside).
"""

from __future__ import annotations

from html import escape
from typing import Any

from queue_server.core.feedback import LEVELS, REASONS

NO_SCRIPT_REFRESH_S = 30


def _serving_items(view: dict[str, Any]) -> str:
    return "".join(f"<li><span>{s['window']} 号窗口</span><b>{escape(s['text'])}</b></li>" for s in view["serving"])


def _linked_items(view: dict[str, Any]) -> str:
    return "".join(
        f"<li><b>{escape(t['number'])}</b> {escape(t['service_name'])}：{escape(t['text'])}</li>"
        for t in view["linked"]
    )


def _rating_form() -> str:
    levels = "".join(
        f'<button type="button" class="level level-{level}" data-level="{level}">{label}</button>'
        for level, label in LEVELS.items()
    )
    reasons = "".join(
        f'<label><input type="checkbox" name="reason" value="{escape(r)}"> {escape(r)}</label>' for r in REASONS
    )
    return (
        '<section id="rate-box" class="box rate" hidden><h2>请为本次服务评价</h2>'
        f'<div class="levels">{levels}</div>'
        '<div id="low" hidden><p>请选择不满意的原因（可多选）</p>'
        f'<div class="reasons">{reasons}</div>'
        '<label class="field">您的意见（选填）<textarea id="comment" maxlength="200" rows="3"></textarea></label>'
        '<label class="field">回访电话（选填，仅用于回访）'
        '<input id="callback" type="tel" inputmode="tel" maxlength="20" autocomplete="tel"></label></div>'
        '<button type="button" id="rate-send" class="send" disabled>提交评价</button>'
        '<p id="rate-msg" class="msg" role="alert"></p></section>'
        '<p id="rated" class="box rated" hidden>您已评价，感谢您的反馈</p>'
    )


def _sms_box(sms: dict[str, Any]) -> str:
    """短信提醒: leave a mobile number for 快到您了 and 请到 N 号窗口 (``runtime/notifier.py``)."""
    left = sms["phone"]
    kept = "当天" if not sms["keep_days"] else f"当天及之后 {sms['keep_days']} 天内"
    return (
        '<section id="sms-box" class="box sms"><h2>短信提醒</h2>'
        f'<p id="sms-left"{"" if left else " hidden"}>已留号码 <b id="sms-phone">{escape(left or "")}</b>，'
        '快到您和叫号时发短信。<button type="button" id="sms-drop">不用提醒了</button></p>'
        f'<div id="sms-form"{" hidden" if left else ""}><p>想离开一会儿？留下手机号，快到您和叫号时发短信提醒您。</p>'
        '<p class="sms-row"><input id="sms-input" type="tel" inputmode="numeric" maxlength="16" '
        'autocomplete="tel" aria-label="手机号码"><button type="button" id="sms-send">提醒我</button></p></div>'
        f'<p class="note">号码只用于本号的提醒，{kept}后删除。</p>'
        '<p id="sms-msg" class="msg" role="alert"></p></section>'
    )


def status_page(hall_name: str, view: dict[str, Any] | None, code: str, sms: dict[str, Any] | None = None) -> str:
    """The page for a phone view, or for a code that names no ticket; ``sms`` (the number left,
    masked, and how long it is kept) when the hall sends reminders and the ticket is in line."""
    if view is None:
        title = "没有找到号票"
        body = "<main><p class=big>没有找到这张号票</p><p>请核对二维码，或到咨询台询问。</p></main>"
        attrs = ""
    else:
        title = f"{view['number']} 号"
        hidden = " hidden" if not view["serving"] else ""
        linked_hidden = " hidden" if not view["linked"] else ""
        body = (
            f'<main id="ticket" class="status-{escape(view["status"])}{" soon" if view["soon"] else ""}">'
            f'<p class="number" id="number">{escape(view["number"])}</p>'
            f'<p class="service" id="service">{escape(" + ".join(s["name"] for s in view["services"]))}</p>'
            '<section class="now" role="status" aria-live="assertive">'
            f'<p class="headline" id="headline">{escape(view["headline"])}</p>'
            f'<p class="detail" id="detail">{escape(view["detail"])}</p>'
            f'<p class="advice" id="advice">{escape(view["advice"])}</p></section>'
            f'<section id="serving-box" class="box"{hidden}><h2>各窗口正在办理</h2>'
            f'<ul id="serving" class="serving">{_serving_items(view)}</ul></section>'
            f'<section id="linked-box" class="box"{linked_hidden}><h2>同一次来访的其他号票</h2>'
            f'<ul id="linked">{_linked_items(view)}</ul></section>'
            '<p id="alerts-box" class="box alerts" hidden>'
            '<button type="button" id="alerts">开启声音和振动提醒</button>'
            '<span id="alerts-on" hidden>已开启：快到您和叫号时，手机会响铃、振动</span></p>'
            f"{_sms_box(sms) if sms is not None else ''}"
            f"{_rating_form()}"
            f'<p class="guide"><a href="{escape(view["guide_path"])}">查看办事指南：所需材料、办理时限、收费</a></p>'
            "</main>"
        )
        attrs = (
            f' data-code="{escape(code)}" data-seq="{view["seq"]}" data-status="{escape(view["status"])}"'
            f' data-soon="{int(view["soon"])}" data-calls="{view["call_count"]}"'
            f' data-can-rate="{int(view["can_rate"])}" data-rated="{int(view["rated"])}"'
        )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<noscript><meta http-equiv="refresh" content="{NO_SCRIPT_REFRESH_S}"></noscript>
<title>{escape(title)} · {escape(hall_name)}</title>
<link rel="stylesheet" href="/static/status.css">
<script src="/static/phone.js" defer></script></head>
<body{attrs}><header>{escape(hall_name)}</header>{body}
<footer id="footer">本页自动更新，无需刷新</footer></body></html>
"""
