"""Refuse text no endpoint can store or show, before any handler sees it.

Control characters (other than tab and line breaks) cannot be written to an .xlsx sheet, a
PostgreSQL text column (NUL) or a WeChat message, so a name holding one would break the
sign-in sheet, the exports and the archive long after it was accepted.
"""

from __future__ import annotations

import re
from typing import Any

from sanic import Request

from server.common.errors import DomainError

#: The characters openpyxl refuses (its ILLEGAL_CHARACTERS_RE), NUL included.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def has_control_characters(value: Any) -> bool:
    """True when a string anywhere in a JSON value (keys too) holds a control character."""
    if isinstance(value, str):
        return CONTROL.search(value) is not None
    if isinstance(value, dict):
        return any(has_control_characters(k) or has_control_characters(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_control_characters(item) for item in value)
    return False


async def refuse_malformed_input(request: Request) -> None:
    """Request middleware: a JSON body with a control character in any string is refused."""
    if not request.body or "json" not in (request.content_type or ""):
        return
    try:
        data = request.json
    except Exception:  # noqa: BLE001 - malformed JSON is the validators' to refuse
        return
    if has_control_characters(data):
        raise DomainError("invalid_input", "提交的文字含有不可见的控制字符，请删除后重试")
