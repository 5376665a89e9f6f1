"""Semester naming and ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from server.common.semester import semester_of, semester_range


@pytest.mark.parametrize(
    "day,name",
    [
        (date(2026, 3, 1), "2026春"),
        (date(2026, 7, 31), "2026春"),
        (date(2026, 9, 1), "2026秋"),
        (date(2027, 1, 15), "2026秋"),
        (date(2027, 2, 1), "2027春"),
        (date(2026, 8, 20), "2026秋"),
    ],
)
def test_semester_of_day(day, name):
    assert semester_of(day) == name
    start, end = semester_range(name)
    assert start <= day <= end


def test_moment_is_read_in_china_time():
    # 2026-01-31 17:00 UTC is already 1 February in Beijing.
    assert semester_of(datetime(2026, 1, 31, 17, 0, tzinfo=UTC)) == "2026春"


@pytest.mark.parametrize("bad", ["2026", "26春", "2026夏", ""])
def test_malformed_semester_is_refused(bad):
    with pytest.raises(ValueError):
        semester_range(bad)
