"""Semesters: spring (Feb–Jul) and autumn (Aug–Jan), named like 2026秋 and 2027春."""

from __future__ import annotations

import re
from datetime import date, datetime

from server.common.time import china

_NAME = re.compile(r"^(\d{4})(春|秋)$")


def semester_of(moment: date | datetime) -> str:
    """The semester a day (or moment, read in China time) falls in."""
    day = china(moment).date() if isinstance(moment, datetime) else moment
    if 2 <= day.month <= 7:
        return f"{day.year}春"
    if day.month >= 8:
        return f"{day.year}秋"
    return f"{day.year - 1}秋"  # January closes the previous autumn


def semester_range(name: str) -> tuple[date, date]:
    """First and last day of a semester, or ValueError for a malformed name."""
    match = _NAME.match(name or "")
    if not match:
        raise ValueError("学期格式应为 2026春 或 2026秋")
    year = int(match.group(1))
    if match.group(2) == "春":
        return date(year, 2, 1), date(year, 7, 31)
    return date(year, 8, 1), date(year + 1, 1, 31)
