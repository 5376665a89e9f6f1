"""The targets engine reads what it needs in a fixed number of SQL statements, however far the
semester has gone and however many activities it holds (issue 18).

Every statement sent to the database is counted through tortoise's query log (the
`tortoise.db_client` logger, at DEBUG, logs each one before it runs, on SQLite and on
PostgreSQL alike). The same reports are built over a small world seen early in the
semester and a world with four times the activities, check-ins and kindergartens seen
near its end: the counts must be the same, and small.
"""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import contextmanager

from server.activities.models import ActivityKind, AudienceMode
from server.reports import builders
from server.reports import summary_store as summaries
from server.reports.periods import semester_period
from server.reports.regions import region_reports
from server.reports.scope import CITY, build_scope
from tests.reports.helpers import REPORTS_CYCLE, SPRING, check_in, cn, held, staff
from tests.support.factories import make_alliance, make_kindergarten, make_person, make_region
from tests.support.world import make_pairing

#: Generous bounds (a report sends 12–17 statements today, a semester summary, which builds
#: several reports, about 60); what matters is that the number does not grow with the data.
MOST = 25
MOST_FOR_SUMMARY = 80


class _Counter(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(str(record.msg if not record.args else record.args[0]))


@contextmanager
def counted():
    """Collects every SQL statement sent through tortoise while the block runs."""
    logger = logging.getLogger("tortoise.db_client")
    handler, level, propagate = _Counter(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _statements(log: list[str]) -> list[str]:
    """Statements that read or write data (tortoise also logs pool set-up lines)."""
    words = ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "SET", "BEGIN", "COMMIT")
    return [s for s in log if s.lstrip().upper().startswith(words)]


async def _county(pairs: int, per_pairing: int):
    """A region with an alliance of `pairs` pairings, each with `per_pairing` held activities of
    every kind the engine reads (送教 with presenters, 讲座, 跟岗, 培训, 视导, 观摩, family
    days), spread over 2026春, teachers (at a family day: a family) checked in at each."""
    region = await make_region()
    alliance = await make_alliance(region)
    lead = await make_kindergarten(region, alliance=alliance)
    alliance.lead_id = lead.id
    await alliance.save()
    kinds = [
        ActivityKind.SEND_TO_COUNTRYSIDE,
        ActivityKind.LECTURE,
        ActivityKind.SHADOWING,
        ActivityKind.TRAINING,
        ActivityKind.INSPECTION,
        ActivityKind.OBSERVATION,
        ActivityKind.OPEN_DAY,
    ]
    for p in range(pairs):
        supporting = lead if p == 0 else await make_kindergarten(region, alliance=alliance)
        supported = await make_kindergarten(region, alliance=alliance)
        pairing = await make_pairing(supporting, supported, alliance=alliance, cycle=REPORTS_CYCLE)
        (presenter,) = await staff(supporting, key=True)
        teachers = await staff(supported, 2)
        for n in range(per_pairing):
            kind = kinds[n % len(kinds)]
            activity = await held(
                supported,
                cn(2026, 2 + n % 5, 3 + n),
                kind=kind,
                pairing=pairing,
                presenters=[(presenter, 2)],
                audience_mode=AudienceMode.KINDERGARTENS,
            )
            if kind == ActivityKind.OPEN_DAY:
                await check_in(activity, await make_person(), adults=1, children=1)
                continue
            for teacher in teachers:
                await check_in(activity, teacher)
    return region, alliance


async def _count_reports(region, alliance, at) -> Counter:
    """Statements sent by each report, seen at `at`."""
    period = semester_period(SPRING, at=at)
    county = await build_scope(region_ids={region.id})
    leader = await build_scope(alliance_ids={alliance.id})
    reports = {
        "regions (city)": lambda: region_reports(period=period, scope=CITY),
        "regions (county)": lambda: region_reports(period=period, scope=county),
        "pairings": lambda: builders.pairing_reports(period=period, scope=county),
        "alliances": lambda: builders.alliance_reports(period=period, scope=leader),
        "kindergartens": lambda: builders.kindergarten_reports(period=period, scope=county),
        "semester summary": lambda: summaries.build_data(
            kind="semester", period=SPRING, scope=summaries.SummaryScope("region", region.id)
        ),
    }
    out = Counter()
    for name, build in reports.items():
        with counted() as log:
            await build()
        out[name] = len(_statements(log))
    return out


async def test_reports_read_in_a_fixed_number_of_statements_however_far_the_semester(api):
    small_region, small_alliance = await _county(pairs=1, per_pairing=7)
    early = await _count_reports(small_region, small_alliance, cn(2026, 3, 1))

    big_region, big_alliance = await _county(pairs=4, per_pairing=14)
    late = await _count_reports(big_region, big_alliance, cn(2026, 7, 20))

    assert early == late, f"statements grew with the data: {dict(early)} → {dict(late)}"
    bounds = {name: MOST_FOR_SUMMARY if "summary" in name else MOST for name in late}
    assert all(0 < n <= bounds[name] for name, n in late.items()), sorted(late.items())
