"""Ledger periods: a semester (2026秋) or a year (2026年 = 2026春 + 2026秋), as first and last day.

The same windows as the reports (a year adds up the two semesters named after it), read
from the configured semester calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from server.common.errors import DomainError
from server.common.runtime import configured_calendar
from server.common.semester import semester_of, semester_range
from server.common.time import now

_YEAR = re.compile(r"^(\d{4})年?$")


@dataclass(frozen=True)
class LedgerPeriod:
    """A semester or a year: its label and its days [first, last]."""

    kind: str  #: "semester" or "year"
    label: str  #: 2026秋 or 2026年
    first: date
    last: date

    @property
    def semesters(self) -> list[str]:
        """The semesters the period is made of (one, or a year's two)."""
        if self.kind == "semester":
            return [self.label]
        year = self.label[:4]
        return [f"{year}春", f"{year}秋"]

    def holds(self, day: date) -> bool:
        """True when `day` falls within the period."""
        return self.first <= day <= self.last


def semester(name: str) -> LedgerPeriod:
    """The semester `name`, or DomainError invalid_semester."""
    try:
        first, last = semester_range(name, configured_calendar())
    except ValueError as exc:
        raise DomainError("invalid_semester", str(exc)) from exc
    return LedgerPeriod("semester", name, first, last)


def year(number: int) -> LedgerPeriod:
    """The year N: from the first day of N春 to the last day of N秋."""
    if not 2000 <= number <= 2100:
        raise DomainError("invalid_year", "年份须在 2000 至 2100 之间")
    first = semester(f"{number}春").first
    last = semester(f"{number}秋").last
    return LedgerPeriod("year", f"{number}年", first, last)


def resolve(*, semester_name: str | None = None, year_text: str | None = None) -> LedgerPeriod:
    """The period asked for by ?semester= or ?year=; the current semester by default."""
    semester_name = (semester_name or "").strip()
    year_text = (year_text or "").strip()
    if semester_name and year_text:
        raise DomainError("invalid_period", "学期和年份只能指定其一")
    if year_text:
        match = _YEAR.match(year_text)
        if not match:
            raise DomainError("invalid_year", "年份格式应为四位数字，如 2026")
        return year(int(match.group(1)))
    return semester(semester_name or semester_of(now(), configured_calendar()))


def from_label(label: str) -> LedgerPeriod:
    """A period from its label: 2026秋 / 2026春, or 2026年."""
    if label.endswith("年"):
        return resolve(year_text=label)
    return resolve(semester_name=label)
