"""Message kinds, their configured templates, and keyword values WeChat accepts.

Senders give semantic fields (title, time, place, note …); each kind's configuration maps
them to template keywords (thing1, time2 …). The keyword's type decides the format and the
limit, checked here before sending so that WeChat never answers 47003 for our own data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from server.common.time import CHINA, china
from server.settings import MessageTemplate, Settings
from server.wechat.sandbox.limits import value_ok

#: Chinese names of the message kinds, as people see them in their subscription settings.
KIND_NAMES = {
    "notice": "通知公告",
    "notice_updated": "通知变更提醒",
    "notice_reminder": "通知回执提醒",
    "activity_published": "活动通知",
    "activity_changed": "活动变更提醒",
    "activity_cancelled": "活动取消提醒",
    "activity_reminder": "活动开始提醒",
    "feedback_request": "活动反馈邀请",
    "summary": "工作简报",
    "alert": "帮扶进度预警",
}

#: Chinese names of the semantic fields, for reasons recorded when a value cannot be sent.
FIELD_NAMES = {
    "title": "标题",
    "time": "时间",
    "deadline": "截止时间",
    "date": "日期",
    "place": "地点",
    "note": "备注",
    "status": "状态",
    "name": "姓名",
    "count": "人数",
}

#: Values used when a sender leaves a mapped field out (title comes from the message).
_DEFAULTS = {"note": "点击查看详情", "place": "详见小程序"}

THING_LIMIT = 20
_KEYWORD_RE = re.compile(r"([a-z_]+?)(\d+)")
_SPACE_RE = re.compile(r"\s+")


def template_for(settings: Settings, kind: str) -> MessageTemplate:
    """The configured templates of `kind` (empty when none is configured)."""
    return settings.templates.get(kind) or MessageTemplate()


def subscribe_template_ids(settings: Settings) -> dict[str, list[str]]:
    """Configured subscribe template ids -> the kinds that use them."""
    found: dict[str, list[str]] = {}
    for kind in KIND_NAMES:
        template_id = template_for(settings, kind).subscribe_id
        if template_id:
            found.setdefault(template_id, []).append(kind)
    return found


def _parse_moment(text: str) -> datetime | date | None:
    text = text.strip()
    try:
        if "T" in text or " " in text or len(text) > 10:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment
        return date.fromisoformat(text)
    except ValueError:
        return None


def _format_time(text: str) -> str | None:
    parts = re.split(r"[~～]", text)
    if len(parts) > 2:
        return None
    shown = []
    for part in parts:
        moment = _parse_moment(part)
        if not isinstance(moment, datetime):
            return None  # a time keyword needs a clock time
        local = china(moment)
        shown.append(f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}")
    return "~".join(shown)


def _format_date(text: str) -> str | None:
    parts = re.split(r"[~～]", text)
    if len(parts) > 2:
        return None
    shown = []
    for part in parts:
        moment = _parse_moment(part)
        if isinstance(moment, datetime):
            moment = china(moment).date()
        if moment is None:
            return None
        shown.append(f"{moment.year}年{moment.month}月{moment.day}日")
    return "~".join(shown)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def keyword_value(keyword: str, raw: object) -> str | None:
    """A value WeChat accepts for `keyword` (thing1, time2 …), shortened where safe; else None."""
    match = _KEYWORD_RE.fullmatch(keyword)
    if match is None or raw is None:
        return None
    kind = match[1]
    text = _SPACE_RE.sub(" ", str(raw)).strip()
    if not text:
        return None
    if value_ok(keyword, text):
        value: str | None = text
    elif kind == "thing":
        value = _shorten(text, THING_LIMIT)
    elif kind == "time":
        value = _format_time(text)
    elif kind == "date":
        value = _format_date(text)
    elif kind == "number":
        value = text.replace(",", "").replace(" ", "")
    else:
        # phrase, name, character_string …: cutting them would change their meaning.
        value = None
    return value if value is not None and value_ok(keyword, value) else None


@dataclass
class BuiltData:
    """Template data ready for WeChat, or the Chinese reason it cannot be made."""

    data: dict[str, str] | None
    reason: str | None = None


def build_data(
    mapping: dict[str, str], *, fields: dict, title: str, created_at: datetime
) -> BuiltData:
    """Map semantic fields to keywords with valid values; a reason when one cannot be valid."""
    if not mapping:
        return BuiltData(None, "未配置模板字段")
    data: dict[str, str] = {}
    for semantic, keyword in mapping.items():
        raw = fields.get(semantic)
        if raw in (None, ""):
            if semantic == "title":
                raw = title
            elif semantic in ("time", "deadline", "date"):
                raw = fields.get("time") or created_at.isoformat()
            else:
                raw = _DEFAULTS.get(semantic)
        name = FIELD_NAMES.get(semantic, semantic)
        if raw in (None, ""):
            return BuiltData(None, f"缺少字段「{name}」")
        value = keyword_value(keyword, raw)
        if value is None:
            return BuiltData(None, f"字段「{name}」的内容不符合微信模板格式要求")
        data[keyword] = value
    return BuiltData(data)
