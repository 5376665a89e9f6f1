"""Report periods: a semester or a year, as UTC bounds, months and the share elapsed.

A year N runs from the first day of N春 to the last day of N秋 (Feb N – Jan N+1 by
default): the two semesters named N, so that yearly targets (8 alliance activities,
one 视导 per member) add up the semesters users already know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property

from server.common.errors import DomainError
from server.common.semester import (
    DEFAULT_CALENDAR,
    SemesterCalendar,
    semester_of,
    semester_range,
)
from server.common.time import CHINA, now

_YEAR = re.compile(r"^\d{4}$")


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in China, as an aware datetime."""
    return datetime.combine(day, time(0), CHINA)


def _month_starts(first: date, last: date) -> list[date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


@dataclass(frozen=True)
class Period:
    """A semester or a year, seen at moment `at` (derived values computed once)."""

    kind: str  #: "semester", "year" or "week" (weeks carry no targets)
    label: str  #: 2026秋, 2026年 or 2026-W10
    year: int  #: the year whose yearly targets this period belongs to
    first: date
    last: date
    at: datetime
    #: Months of the calendar that are school holidays (no work is asked for in them).
    holidays: frozenset[int] = frozenset()

    @cached_property
    def semesters(self) -> int:
        """How many semesters the period spans (per-semester targets scale by it)."""
        return 2 if self.kind == "year" else 1

    @cached_property
    def since(self) -> datetime:
        """Start of the period (inclusive)."""
        return _start_of(self.first)

    @cached_property
    def until(self) -> datetime:
        """End of the period (exclusive): midnight after its last day, China time."""
        return _start_of(self.last + timedelta(days=1))

    @cached_property
    def asof(self) -> datetime:
        """The moment figures are counted up to: now, or the end of a past period."""
        return max(self.since, min(self.at, self.until))

    @cached_property
    def elapsed(self) -> float:
        """Share of the period gone by, 0.0 before it starts to 1.0 once over."""
        total = (self.until - self.since).total_seconds()
        return (self.asof - self.since).total_seconds() / total

    @cached_property
    def over(self) -> bool:
        """True once the period has ended."""
        return self.at >= self.until

    @cached_property
    def month_bounds(self) -> list[datetime]:
        """Start of every calendar month of the period, then the period's end."""
        return [_start_of(m) for m in _month_starts(self.first, self.last)] + [self.until]

    @cached_property
    def months_total(self) -> int:
        """Calendar months in the period."""
        return len(self.month_bounds) - 1

    @cached_property
    def months_begun(self) -> int:
        """Months that have started by `asof` (the current month included)."""
        return sum(1 for start in self.month_bounds[:-1] if start < self.asof or self.over)

    @cached_property
    def months_completed(self) -> int:
        """Months wholly past by `at`."""
        return sum(1 for end in self.month_bounds[1:] if end <= self.at)

    def month_days(self, index: int) -> tuple[date, date]:
        """First and last day of the period's month `index` (0-based)."""
        start, end = self.month_bounds[index], self.month_bounds[index + 1]
        return start.date(), (end - timedelta(days=1)).date()

    def month_share(self, index: int) -> float:
        """Share of month `index` gone by at `asof` (0.0 before it, 1.0 once past)."""
        start, end = self.month_bounds[index], self.month_bounds[index + 1]
        done = (min(max(self.asof, start), end) - start).total_seconds()
        return done / (end - start).total_seconds()

    def clipped(self, first: date, last: date) -> Period:
        """The same period seen over [first, last] only (a pairing's own share of it)."""
        return Period(self.kind, self.label, self.year, first, last, self.at, self.holidays)


def semester_period(
    name: str, *, calendar: SemesterCalendar | None = None, at: datetime | None = None
) -> Period:
    """The semester `name` (like 2026秋), or DomainError invalid_semester."""
    try:
        first, last = semester_range(name, calendar)
    except ValueError as exc:
        raise DomainError("invalid_semester", str(exc)) from exc
    holidays = frozenset((calendar or DEFAULT_CALENDAR).holidays)
    return Period("semester", name, int(name[:4]), first, last, at or now(), holidays)


def year_period(
    year: int, *, calendar: SemesterCalendar | None = None, at: datetime | None = None
) -> Period:
    """The year N: from the start of N春 to the end of N秋."""
    if not 2000 <= year <= 2100:
        raise DomainError("invalid_year", "年份须在 2000 至 2100 之间")
    first, _ = semester_range(f"{year}春", calendar)
    _, last = semester_range(f"{year}秋", calendar)
    holidays = frozenset((calendar or DEFAULT_CALENDAR).holidays)
    return Period("year", f"{year}年", year, first, last, at or now(), holidays)


def week_period(monday: date, *, at: datetime | None = None) -> Period:
    """The week (Monday to Sunday, China time) starting on `monday`, labelled 2026-W10."""
    if monday.weekday() != 0:
        raise DomainError("invalid_period", "周报的时段须从周一开始")
    iso_year, iso_week, _ = monday.isocalendar()
    label = f"{iso_year}-W{iso_week:02d}"
    return Period("week", label, monday.year, monday, monday + timedelta(days=6), at or now())


def resolve_period(
    *,
    semester: str | None = None,
    year: str | int | None = None,
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
) -> Period:
    """The period asked for by ?semester= or ?year=; the current semester by default."""
    at = at or now()
    if semester and year:
        raise DomainError("invalid_period", "学期和年份只能指定其一")
    if year not in (None, ""):
        if isinstance(year, str) and not _YEAR.match(year):
            raise DomainError("invalid_year", "年份格式应为四位数字，如 2026")
        return year_period(int(year), calendar=calendar, at=at)
    return semester_period(semester or semester_of(at, calendar), calendar=calendar, at=at)


def year_of(period: Period, *, calendar: SemesterCalendar | None = None) -> Period:
    """The year a period belongs to (itself for a year), for yearly targets."""
    if period.kind == "year":
        return period
    return year_period(period.year, calendar=calendar, at=period.at)
