"""The period of a certificate: a semester (2026秋) or a year (2026: 2026春 and 2026秋).

A year is the two semesters named after it, as in the reports (server/reports/periods.py),
so that a year's certificate adds up the semester figures teachers already know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from server.common.errors import DomainError
from server.common.semester import SemesterCalendar, semester_of, semester_range

_PERIOD = re.compile(r"^(\d{4})(春|秋)?年?$")


@dataclass(frozen=True)
class CertificatePeriod:
    """A semester or a year, with the semesters of the ledger it covers."""

    name: str  #: 2026秋 or 2026
    semesters: tuple[str, ...]
    first: date
    last: date

    @property
    def is_year(self) -> bool:
        """True for a year's certificate."""
        return len(self.semesters) > 1

    @property
    def label(self) -> str:
        """2026秋季学期 or 2026年度."""
        return f"{self.name}年度" if self.is_year else f"{self.name}季学期"

    @property
    def span(self) -> str:
        """2026年8月1日至2027年1月31日."""
        return f"{chinese_date(self.first)}至{chinese_date(self.last)}"


def chinese_date(day: date | datetime) -> str:
    """2026年12月8日."""
    return f"{day.year}年{day.month}月{day.day}日"


def parse_period(text: str | None, *, calendar: SemesterCalendar) -> CertificatePeriod:
    """The period named `text` (2026秋, 2026春 or 2026), or DomainError invalid_period."""
    match = _PERIOD.match((text or "").strip())
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise DomainError("invalid_period", "期间格式应为学期（如 2026秋）或年份（如 2026）")
    year, season = match.group(1), match.group(2)
    semesters = (f"{year}{season}",) if season else (f"{year}春", f"{year}秋")
    first, _ = semester_range(semesters[0], calendar)
    _, last = semester_range(semesters[-1], calendar)
    return CertificatePeriod(year + (season or ""), semesters, first, last)


def current_semester(*, at: datetime, calendar: SemesterCalendar) -> str:
    """The semester a moment falls in: the default period."""
    return semester_of(at, calendar)
