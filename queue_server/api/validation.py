"""Why a request body was refused, in Chinese for the people who read it on a staff page.

pydantic explains in English ("String should have at least 2 characters"); the hall reads
"整改情况：至少 2 个字". Each problem names the field in Chinese and keeps its JSON path in
brackets, so IT staff and client authors still know which key it was.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

# What the fields of the API's bodies are called on the hall's screens.
FIELD_LABELS = {
    "service": "业务",
    "services": "业务",
    "priority": "类别",
    "request_id": "请求编号",
    "login": "账号",
    "password": "密码",
    "window": "窗口",
    "force": "接管窗口",
    "number": "号码",
    "level": "评价等级",
    "reasons": "不满意原因",
    "comment": "意见建议",
    "phone": "联系电话",
    "resolution": "整改情况",
    "notices": "通知",
    "component": "部件",
    "state": "状态",
    "message": "说明",
}


def _says(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    match error["type"]:
        case "missing":
            return "必须填写"
        case "extra_forbidden":
            return "不是这个请求的字段"
        case "string_too_short":
            return f"至少 {ctx.get('min_length')} 个字"
        case "string_too_long":
            return f"最多 {ctx.get('max_length')} 个字"
        case "too_short":
            return f"至少 {ctx.get('min_length')} 项"
        case "too_long":
            return f"最多 {ctx.get('max_length')} 项"
        case "string_pattern_mismatch" | "value_error":
            return "格式不对"
        case "greater_than_equal":
            return f"不能小于 {ctx.get('ge')}"
        case "greater_than":
            return f"应大于 {ctx.get('gt')}"
        case "less_than_equal":
            return f"不能大于 {ctx.get('le')}"
        case "less_than":
            return f"应小于 {ctx.get('lt')}"
        case "int_type" | "int_parsing" | "int_from_float":
            return "应为整数"
        case "string_type":
            return "应为文字"
        case "bool_type" | "bool_parsing":
            return "应为 true 或 false"
        case "list_type":
            return "应为列表"
        case "model_type" | "dict_type" | "model_attributes_type":
            return "应为 JSON 对象"
        case "literal_error" | "enum":
            return f"只能是：{ctx.get('expected', '规定的值')}"
        case _:
            return "无效"


def _where(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "请求内容"
    path = ".".join(str(p) for p in loc)
    names = [FIELD_LABELS[p] for p in loc if isinstance(p, str) and p in FIELD_LABELS]
    return f"{names[-1]}（{path}）" if names else path


def problems(exc: ValidationError) -> list[str]:
    """One Chinese line per problem: ``整改情况（resolution）：至少 2 个字``."""
    return [f"{_where(tuple(e['loc']))}：{_says(e)}" for e in exc.errors()]
