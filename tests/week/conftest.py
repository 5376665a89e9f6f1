"""The week test's deployment: started for the test that asks for it, stopped after."""

from __future__ import annotations

import pytest

from tests.week.clock import FakeClock, china
from tests.week.cluster import start_week

#: Monday of the first school week of 2026秋, 08:30 in China: the county's first day of use.
MONDAY = china(2026, 8, 31, 8, 30)


@pytest.fixture
async def week(settings, tmp_path):
    clock = FakeClock(tmp_path / "faketime.rc")
    clock.set(MONDAY)
    started = await start_week(settings, tmp_path, clock)
    try:
        yield started
    finally:
        await started.stop()
