"""Every word the kiosk shows, in one Chinese catalogue (the screens use only these)."""

from __future__ import annotations

from hardware.printer_status import PrinterState

HOME_TITLE = "请选择办理的业务"
ELDERLY_LANE = "特别通道"
ELDERLY_LANE_HINT = "老年人、残疾人优先办理"
GUIDES = "服务指南"
GUIDES_HINT = "材料 · 时限 · 收费"
SEARCH_HINT = "输入事项名称或拼音首字母，如 户口 或 hkqr"
SEARCH_EMPTY = "没有找到相关事项，请换个词试试，或到咨询台询问"
BACK = "返回"
HOME = "首页"
TAKE_TICKET = "取号"
TAKE_TICKET_FOR = "为此事项取号"
WAITING = "等候 {n} 人"
CLOSED = "暂停取号"
YOUR_NUMBER = "您的号码"
AHEAD = "前面还有 {n} 人等候"
ESTIMATE = "预计等候约 {m} 分钟"
ESTIMATE_SOON = "请留意叫号"
SCAN = "扫码查看排队进度"
PRINTED = "请取走号票，留意叫号和显示屏"
DONE = "完成"
WORKING = "正在取号，请稍候……"
OFFLINE = "系统维护中，请到咨询台取号"
OFFLINE_RETRYING = "网络连接中断，正在自动重试……"
RETRY = "重试"
LIVE_LOST = "排队人数暂时无法更新"
PRIORITY_LABEL = "特别通道"
PRIORITY_CHECK = "【特别通道】请向窗口出示身份证件或残疾人证"

GUIDE_FIELDS = (
    ("department_name", "实施部门"),
    ("kind", "办件类型"),
    ("legal_basis", "法定依据"),
    ("conditions", "申请条件"),
    ("materials", "申报材料"),
    ("procedure", "办理程序"),
    ("statutory_limit", "法定时限"),
    ("promised_limit", "承诺时限"),
    ("fees", "收费标准"),
    ("complaint_phone", "投诉电话"),
)
NO_FEE = "不收费"

PRINTER_PROBLEM = {
    PrinterState.PAPER_OUT: "号票打印机缺纸，未能打印。请记住或拍下屏幕上的号码，工作人员已收到通知。",
    PrinterState.COVER_OPEN: "号票打印机盖未关好，未能打印。请记住或拍下屏幕上的号码，工作人员已收到通知。",
    PrinterState.OFFLINE: "号票打印机暂停工作，未能打印。请记住或拍下屏幕上的号码，工作人员已收到通知。",
    PrinterState.ERROR: "号票打印机故障，未能打印。请记住或拍下屏幕上的号码，工作人员已收到通知。",
    PrinterState.UNKNOWN: "号票打印机无应答，未能打印。请记住或拍下屏幕上的号码，工作人员已收到通知。",
}


def minutes(seconds: int) -> str:
    m = round(seconds / 60)
    return ESTIMATE.format(m=m) if m >= 1 else ESTIMATE_SOON
