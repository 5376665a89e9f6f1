"""Semesters: spring (Feb–Jul) and autumn (Aug–Jan) by default, named like 2026秋 and 2027春.

The calendar is configurable (settings `semester_spring`, `semester_autumn`); callers that
know the settings pass `calendar=settings.semester_calendar`, the others get the default.
"""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

from server.common.time import china

_NAME = re.compile(r"^(\d{4})(春|秋)$")
_MONTHS = re.compile(r"^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$")


@dataclass(frozen=True)
class SemesterCalendar:
    """First and last month of each semester; autumn may end in the next year (8–1).

    `holidays` are months inside a semester that are school holidays: their activities
    still belong to the semester, but no target asks for work in them (每月到园 does not
    count them, pace is measured from the first teaching month). August opens 秋 by
    default and is the summer holiday (see docs/decisions.md).
    """

    spring: tuple[int, int] = (2, 7)
    autumn: tuple[int, int] = (8, 1)
    holidays: tuple[int, ...] = (8,)

    def __post_init__(self) -> None:
        (s1, s2), (a1, a2) = self.spring, self.autumn
        if not all(1 <= m <= 12 for m in (s1, s2, a1, a2)):
            raise ValueError("学期月份须在 1 至 12 之间")
        if not s1 <= s2 < a1:
            raise ValueError("春季学期须在同一年内，且在秋季学期开始之前结束")
        if a2 < a1 and a2 >= s1:
            raise ValueError("秋季学期须在下一年春季学期开始之前结束")
        if not all(1 <= m <= 12 for m in self.holidays):
            raise ValueError("假期月份须在 1 至 12 之间")

    @classmethod
    def parse(cls, spring: str, autumn: str) -> SemesterCalendar:
        """From settings text like "2-7" and "8-1" (first and last month)."""
        return cls(spring=_months(spring), autumn=_months(autumn))

    @property
    def autumn_wraps(self) -> bool:
        """True when autumn ends in the following year (its last month is January …)."""
        return self.autumn[1] < self.autumn[0]


DEFAULT_CALENDAR = SemesterCalendar()


def _months(text: str) -> tuple[int, int]:
    match = _MONTHS.match(text or "")
    if not match:
        raise ValueError(f"学期月份格式应为“起始月-结束月”，如 2-7，而不是 {text!r}")
    return int(match.group(1)), int(match.group(2))


def semester_of(moment: date | datetime, calendar: SemesterCalendar | None = None) -> str:
    """The semester a day (or moment, read in China time) falls in.

    A day in a holiday gap between two semesters (possible with a custom calendar)
    belongs to the semester that comes next.
    """
    cal = calendar or DEFAULT_CALENDAR
    day = china(moment).date() if isinstance(moment, datetime) else moment
    month, year = day.month, day.year
    (s1, s2), (a1, a2) = cal.spring, cal.autumn
    if s1 <= month <= s2:
        return f"{year}春"
    if cal.autumn_wraps:
        if month >= a1:
            return f"{year}秋"
        if month <= a2:
            return f"{year - 1}秋"  # January closes the previous autumn
        return f"{year}秋" if month > s2 else f"{year}春"
    if a1 <= month <= a2:
        return f"{year}秋"
    if s2 < month < a1:
        return f"{year}秋"
    return f"{year}春" if month < s1 else f"{year + 1}春"


def semester_range(name: str, calendar: SemesterCalendar | None = None) -> tuple[date, date]:
    """First and last day of a semester, or ValueError for a malformed name."""
    cal = calendar or DEFAULT_CALENDAR
    match = _NAME.match(name or "")
    if not match:
        raise ValueError("学期格式应为 2026春 或 2026秋")
    year = int(match.group(1))
    if match.group(2) == "春":
        first, last = cal.spring
        return date(year, first, 1), _month_end(year, last)
    first, last = cal.autumn
    return date(year, first, 1), _month_end(year + 1 if cal.autumn_wraps else year, last)


def _month_end(year: int, month: int) -> date:
    return date(year, month, _calendar.monthrange(year, month)[1])
