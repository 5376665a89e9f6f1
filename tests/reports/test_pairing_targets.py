"""Pairing targets: 送教课时, 专题讲座 and the monthly visit, with their edge cases."""

from __future__ import annotations

from server.activities.models import ActivityKind, ActivityStatus
from server.orgs.models import Pairing
from server.reports import builders
from server.reports.periods import semester_period, year_period
from server.reports.scope import CITY
from tests.reports.helpers import NO_SHADOW_OR_TRAINING, REPORTS, SPRING, cn, held, spring, staff
from tests.support.world import make_world


async def report(period, pairing_id):
    (item,) = await builders.pairing_reports(period=period, scope=CITY, pairing_id=pairing_id)
    return item


async def test_send_hours_sum_presenters_of_held_send_activities(api):
    w = await make_world(None, REPORTS)
    (second,) = await staff(w.supporting)
    await held(
        w.supported,
        cn(2026, 3, 3),
        pairing=w.pairing,
        presenters=[(w.presenter, 2), (second, 1.5)],
    )
    await held(
        w.supported,
        cn(2026, 4, 7),
        kind=ActivityKind.SEND_TO_KINDERGARTEN,
        pairing=w.pairing,
        presenters=[(w.presenter, 3)],
    )
    # A lecture's hours are not 送教 hours.
    await held(
        w.supported,
        cn(2026, 4, 8),
        kind=ActivityKind.LECTURE,
        pairing=w.pairing,
        presenters=[(w.presenter, 5)],
    )
    item = await report(spring(), w.pairing.id)
    hours = item["targets"]["send_hours"]
    assert hours["done"] == 6.5 and hours["target"] == 10
    assert hours["status"] == "missed" and hours["label"] == "送教课时"
    assert item["targets"]["lectures"]["done"] == 1


async def test_semester_boundary_is_midnight_of_1_february_in_china(api):
    w = await make_world(None, REPORTS)
    last_of_autumn = cn(2026, 1, 31, 23, 30)  # 2025秋
    first_of_spring = cn(2026, 2, 1, 0, 30)  # 2026春 (still 31 January in UTC)
    await held(w.supported, last_of_autumn, pairing=w.pairing, presenters=[(w.presenter, 3)])
    await held(w.supported, first_of_spring, pairing=w.pairing, presenters=[(w.presenter, 4)])
    seen = cn(2026, 11, 1)
    autumn = await report(semester_period("2025秋", at=seen), w.pairing.id)
    spring_item = await report(semester_period(SPRING, at=seen), w.pairing.id)
    assert autumn["targets"]["send_hours"]["done"] == 3
    assert spring_item["targets"]["send_hours"]["done"] == 4


async def test_cancelled_draft_and_future_activities_do_not_count(api):
    w = await make_world(None, REPORTS)
    at = cn(2026, 5, 15)
    counted = [
        held(w.supported, cn(2026, 3, 3), pairing=w.pairing, presenters=[(w.presenter, 1)]),
        # Published and over by the moment seen counts, even if nobody pressed 结束.
        held(
            w.supported,
            cn(2026, 3, 10),
            pairing=w.pairing,
            status=ActivityStatus.PUBLISHED,
            presenters=[(w.presenter, 2)],
        ),
    ]
    ignored = [
        held(
            w.supported,
            cn(2026, 3, 17),
            pairing=w.pairing,
            status=ActivityStatus.CANCELLED,
            presenters=[(w.presenter, 10)],
        ),
        held(
            w.supported,
            cn(2026, 3, 24),
            pairing=w.pairing,
            status=ActivityStatus.DRAFT,
            presenters=[(w.presenter, 10)],
        ),
        # Still to come at the moment seen.
        held(
            w.supported,
            cn(2026, 6, 2),
            pairing=w.pairing,
            status=ActivityStatus.PUBLISHED,
            presenters=[(w.presenter, 10)],
        ),
    ]
    for made in counted + ignored:
        await made
    item = await report(spring(at), w.pairing.id)
    assert item["targets"]["send_hours"]["done"] == 3
    assert item["figures"]["activities"] == 2


async def test_edited_targets_replace_the_defaults(api):
    w = await make_world(
        None, REPORTS, targets={"send_hours_per_semester": 4, "lectures_per_semester": 0}
    )
    await held(w.supported, cn(2026, 3, 3), pairing=w.pairing, presenters=[(w.presenter, 4)])
    item = await report(spring(), w.pairing.id)
    assert item["targets"]["send_hours"]["target"] == 4
    assert item["targets"]["send_hours"]["status"] == "met"
    assert "lectures" not in item["targets"]  # a target of 0 is not tracked
    # Editing the stored targets later changes the report at once.
    pairing = await Pairing.get(id=w.pairing.id)
    pairing.targets = {**pairing.targets, "send_hours_per_semester": 8, "visit_every_month": False}
    await pairing.save()
    item = await report(spring(), w.pairing.id)
    assert item["targets"]["send_hours"]["target"] == 8
    assert item["targets"]["send_hours"]["status"] == "missed"
    assert "monthly_visits" not in item["targets"]


async def test_lectures_need_two_per_semester(api):
    w = await make_world(None, REPORTS)
    for day in (3, 17):
        await held(w.supported, cn(2026, 3, day), kind=ActivityKind.LECTURE, pairing=w.pairing)
    lectures = (await report(spring(), w.pairing.id))["targets"]["lectures"]
    assert lectures["done"] == 2 and lectures["target"] == 2 and lectures["status"] == "met"


async def test_a_month_without_a_visit_is_a_certain_miss(api):
    w = await make_world(None, REPORTS)
    for month in (2, 3, 5):
        await held(w.supported, cn(2026, month, 10), pairing=w.pairing)
    # Held at the supporting kindergarten (跟岗学习): not a visit to the supported one.
    await held(w.supporting, cn(2026, 4, 10), kind=ActivityKind.SHADOWING, pairing=w.pairing)
    visits = (await report(spring(cn(2026, 6, 15)), w.pairing.id))["targets"]["monthly_visits"]
    assert visits["done"] == 3 and visits["target"] == 6
    assert visits["months_missed"] == 1  # April
    assert visits["status"] == "missed"


async def test_visits_every_month_so_far_are_on_track(api):
    w = await make_world(None, REPORTS)
    for month in (2, 3, 4, 5):
        await held(w.supported, cn(2026, month, 10), pairing=w.pairing)
    # Mid-June: June is under way, not missed yet.
    visits = (await report(spring(cn(2026, 6, 15)), w.pairing.id))["targets"]["monthly_visits"]
    assert visits["months_missed"] == 0 and visits["months_begun"] == 5
    assert visits["status"] == "on_track"
    await held(w.supported, cn(2026, 6, 10), pairing=w.pairing)
    await held(w.supported, cn(2026, 7, 10), pairing=w.pairing)
    visits = (await report(spring(), w.pairing.id))["targets"]["monthly_visits"]
    assert visits["done"] == 6 and visits["status"] == "met"


async def test_a_year_adds_both_semesters_against_doubled_targets(api):
    w = await make_world(None, REPORTS)
    await held(w.supported, cn(2026, 3, 3), pairing=w.pairing, presenters=[(w.presenter, 6)])
    await held(w.supported, cn(2026, 10, 3), pairing=w.pairing, presenters=[(w.presenter, 5)])
    await held(w.supported, cn(2027, 1, 20), pairing=w.pairing, presenters=[(w.presenter, 4)])
    item = await report(year_period(2026, at=cn(2027, 3, 1)), w.pairing.id)
    assert item["period"] == "2026年"
    hours = item["targets"]["send_hours"]
    assert hours["done"] == 15 and hours["target"] == 20
    # Twelve months, less August (the summer holiday).
    assert item["targets"]["monthly_visits"]["target"] == 11


async def test_score_is_the_mean_completion_of_the_targets(api):
    w = await make_world(
        None, REPORTS, targets={"visit_every_month": False, **NO_SHADOW_OR_TRAINING}
    )
    await held(w.supported, cn(2026, 3, 3), pairing=w.pairing, presenters=[(w.presenter, 15)])
    await held(w.supported, cn(2026, 3, 4), kind=ActivityKind.LECTURE, pairing=w.pairing)
    item = await report(spring(), w.pairing.id)
    # min(1, 15/10) and 1/2: (1 + 0.5) / 2
    assert item["score"] == 0.75
    assert item["behind"] == ["lectures"]
