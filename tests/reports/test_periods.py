"""Report periods and the configurable semester calendar."""

from __future__ import annotations

from datetime import date

import pytest

from server.common.errors import DomainError
from server.common.semester import SemesterCalendar, semester_of, semester_range
from server.reports.periods import resolve_period, semester_period, year_period
from server.settings import load_settings
from tests.reports.helpers import cn

SEP_JAN = SemesterCalendar.parse("2-7", "9-1")


def test_default_calendar_keeps_august_in_autumn():
    assert semester_of(date(2026, 8, 20)) == "2026秋"
    assert semester_range("2026秋") == (date(2026, 8, 1), date(2027, 1, 31))
    assert load_settings().semester_calendar == SemesterCalendar()


def test_a_september_autumn_leaves_august_to_the_coming_semester():
    assert semester_of(date(2026, 8, 20), SEP_JAN) == "2026秋"
    assert semester_range("2026秋", SEP_JAN) == (date(2026, 9, 1), date(2027, 1, 31))
    assert semester_range("2027春", SEP_JAN) == (date(2027, 2, 1), date(2027, 7, 31))
    assert semester_of(date(2027, 1, 31), SEP_JAN) == "2026秋"


def test_an_autumn_ending_in_december_sends_january_to_spring():
    cal = SemesterCalendar.parse("3-7", "9-12")
    assert semester_of(date(2027, 1, 10), cal) == "2027春"
    assert semester_range("2026秋", cal) == (date(2026, 9, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    "spring,autumn", [("2-9", "8-1"), ("x", "8-1"), ("2-7", "8-3"), ("2-7", "13-1")]
)
def test_impossible_calendars_are_refused(spring, autumn):
    with pytest.raises(ValueError):
        SemesterCalendar.parse(spring, autumn)
    with pytest.raises(ValueError):
        load_settings(semester_spring=spring, semester_autumn=autumn)


def test_a_semester_period_knows_its_months_and_pace():
    period = semester_period("2026春", at=cn(2026, 7, 10))
    assert period.months_total == 6 and period.months_completed == 5 and period.months_begun == 6
    assert 0.85 < period.elapsed < 0.9
    assert not period.over
    assert semester_period("2026春", at=cn(2026, 8, 1)).over


def test_the_configured_calendar_shapes_the_period():
    period = semester_period("2026秋", calendar=SEP_JAN, at=cn(2026, 8, 15))
    assert period.first == date(2026, 9, 1) and period.months_total == 5
    assert period.elapsed == 0.0
    year = year_period(2026, calendar=SEP_JAN, at=cn(2026, 8, 15))
    assert (year.first, year.last) == (date(2026, 2, 1), date(2027, 1, 31))


def test_the_default_period_is_the_current_semester():
    assert resolve_period(at=cn(2026, 11, 23)).label == "2026秋"
    assert resolve_period(at=cn(2026, 11, 23), calendar=SEP_JAN).label == "2026秋"
    assert resolve_period(year="2026", at=cn(2026, 11, 23)).label == "2026年"
    with pytest.raises(DomainError):
        resolve_period(semester="2026秋", year="2026")
