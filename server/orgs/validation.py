"""Checks shared by the orgs services: names, phones, coordinates, pagination."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tortoise.queryset import QuerySet

from server.common.errors import DomainError

MOBILE = re.compile(r"1[3-9]\d{9}")
#: Separators people type inside phone numbers: spaces, hyphens, dots, brackets.
PHONE_NOISE = re.compile(r"[\s\-.()（）]")


def clean_name(value: str | None, *, what: str, max_length: int = 64) -> str:
    """A trimmed name of 1..max_length characters, or a Chinese refusal."""
    name = (value or "").strip()
    if not 1 <= len(name) <= max_length:
        raise DomainError("invalid_name", f"{what}须为 1 至 {max_length} 个字")
    return name


def clean_text(value: str | None, *, what: str, max_length: int) -> str:
    """Optional free text, trimmed, at most max_length characters."""
    text = (value or "").strip()
    if len(text) > max_length:
        raise DomainError("text_too_long", f"{what}不能超过 {max_length} 个字")
    return text


def normalise_phone(value: str | None) -> str | None:
    """A mainland mobile number as 11 digits ("+86 138-0013-8000" → 13800138000)."""
    if value is None or not value.strip():
        return None
    digits = PHONE_NOISE.sub("", value.strip())
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not MOBILE.fullmatch(digits):
        raise DomainError("invalid_phone", "手机号格式不正确，请填写 11 位中国大陆手机号")
    return digits


def mask_phone(phone: str | None) -> str | None:
    """138****8000: enough to recognise a number, not to dial it."""
    if not phone:
        return None
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def check_coordinates(lat: float | None, lng: float | None) -> None:
    """Latitude −90..90 and longitude −180..180 (either may be empty)."""
    if lat is not None and not -90 <= lat <= 90:
        raise DomainError("invalid_coordinates", "纬度须在 -90 至 90 之间")
    if lng is not None and not -180 <= lng <= 180:
        raise DomainError("invalid_coordinates", "经度须在 -180 至 180 之间")


async def paginate(query: QuerySet, *, limit: int, offset: int, view: Callable[[Any], Any]) -> dict:
    """One page of `query` as {"items", "total"}; limit capped at 200."""
    limit = max(1, min(limit, 200))
    total = await query.count()
    rows = await query.offset(max(0, offset)).limit(limit)
    return {"items": [view(row) for row in rows], "total": total}
