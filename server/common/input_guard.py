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


def control_characters_refused() -> DomainError:
    """The refusal of text holding a control character."""
    return DomainError("invalid_input", "提交的文字含有不可见的控制字符，请删除后重试")


async def refuse_malformed_input(request: Request) -> None:
    """Request middleware: JSON or form text with a control character is refused.

    Forms must also be UTF-8: Sanic would otherwise drop one it cannot decode and hand the
    handler no form at all. (Streamed uploads have no body yet; they read their form with
    server.common.uploads.read_multipart, which applies the same rules.)
    """
    content_type = request.content_type or ""
    if not request.body:
        return
    if "json" in content_type:
        try:
            data = request.json
        except Exception:  # noqa: BLE001 - malformed JSON is the validators' to refuse
            return
    elif content_type.startswith("multipart/form-data"):
        from server.common.uploads import read_multipart

        read_multipart(request)
        return
    elif content_type.startswith("application/x-www-form-urlencoded"):
        try:
            request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DomainError("form_not_utf8", "提交的表单不是 UTF-8 编码，无法读取") from exc
        data = dict(request.form or {})
    else:
        return
    if has_control_characters(data):
        raise control_characters_refused()
