"""Targets of DOMAIN.md measured from the records: 跟岗学习 (teachers a semester), 集中培训
(trainings a year), the lead's 半日开放 (each semester); 优课率, 合格率 and papers are
labelled 需手工填报 (issue 16, item 11). Each figure is checked against the raw rows."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from server.activities.models import ActivityKind
from server.checkin.models import Checkin
from server.orgs.models import Teacher
from server.reports import builders, export
from server.reports.periods import year_period
from server.reports.scope import CITY
from tests.reports.helpers import REPORTS, SPRING, check_in, cn, held, spring, staff
from tests.support.factories import make_kindergarten
from tests.support.world import make_pairing, make_world


async def report(period, pairing_id):
    (item,) = await builders.pairing_reports(period=period, scope=CITY, pairing_id=pairing_id)
    return item


async def attendees(kind: ActivityKind, supported_id: int, **activity) -> list[tuple[int, int]]:
    """Independent count: (activity, person) of check-ins not annulled at activities of
    `kind` by teachers of the supported kindergarten, from the raw rows."""
    teachers = set(
        await Teacher.filter(kindergarten_id=supported_id).values_list("person_id", flat=True)
    )
    rows = await Checkin.filter(
        activity__kind=kind.value,
        annulled_at=None,
        **{f"activity__{k}": v for k, v in activity.items()},
    ).values_list("activity_id", "person_id")
    return [(a, p) for a, p in rows if p in teachers]


async def test_shadowing_counts_distinct_supported_teachers_who_checked_in(api):
    w = await make_world(None, REPORTS)
    ours = await staff(w.supported, 3)
    visitor = (await staff(w.supporting))[0]
    first = await held(
        w.supporting, cn(2026, 3, 10), kind=ActivityKind.SHADOWING, pairing=w.pairing
    )
    second = await held(
        w.supporting, cn(2026, 4, 10), kind=ActivityKind.SHADOWING, pairing=w.pairing
    )
    await check_in(first, ours[0])
    await check_in(second, ours[0])  # the same teacher twice: one teacher
    await check_in(first, ours[1])
    await check_in(first, ours[2], annulled=True)  # 误签: not counted
    await check_in(first, visitor)  # the supporting kindergarten's own teacher
    other = await make_world(None, REPORTS)
    elsewhere = await held(
        other.supporting, cn(2026, 3, 12), kind=ActivityKind.SHADOWING, pairing=other.pairing
    )
    await check_in(elsewhere, ours[2])  # another pairing's 跟岗学习

    shadow = (await report(spring(), w.pairing.id))["targets"]["shadow_teachers"]
    raw = await attendees(ActivityKind.SHADOWING, w.supported.id, pairing_id=w.pairing.id)
    assert shadow["done"] == len({p for _, p in raw}) == 2
    assert shadow["target"] == 1 and shadow["status"] == "met"
    assert shadow["label"] == "跟岗学习教师"


async def test_trainings_count_those_a_supported_teacher_attended_in_the_year(api):
    w = await make_world(None, REPORTS)
    ours = await staff(w.supported, 2)
    county = await make_kindergarten(w.region)
    stranger = (await staff(county))[0]
    spring_training = await held(county, cn(2026, 4, 2), kind=ActivityKind.TRAINING)
    autumn_training = await held(county, cn(2026, 11, 5), kind=ActivityKind.TRAINING)
    unattended = await held(county, cn(2026, 5, 6), kind=ActivityKind.TRAINING)
    annulled_only = await held(county, cn(2026, 6, 6), kind=ActivityKind.TRAINING)
    last_year = await held(county, cn(2025, 11, 6), kind=ActivityKind.TRAINING)
    for activity in (spring_training, autumn_training, last_year):
        await check_in(activity, ours[0])
    await check_in(spring_training, ours[1])
    await check_in(unattended, stranger)
    await check_in(annulled_only, ours[1], annulled=True)

    year = year_period(2026, at=cn(2027, 3, 1))
    trainings = (await report(year, w.pairing.id))["targets"]["trainings"]
    raw = await attendees(
        ActivityKind.TRAINING,
        w.supported.id,
        starts_at__gte=year.since,
        starts_at__lt=year.until,
    )
    assert trainings["done"] == len({a for a, _ in raw}) == 2
    assert trainings["target"] == 2 and trainings["status"] == "met"
    # In a semester the target is still the year's, counted over the year so far.
    mid = await report(spring(cn(2026, 7, 1)), w.pairing.id)
    assert mid["targets"]["trainings"]["done"] == 1
    assert mid["targets"]["trainings"]["window"] == "2026年"


async def test_trainings_of_every_pairing_at_once_match_each_pairing_alone(api):
    """The city-wide read (no pairing ids) counts a training once per pairing however many
    of its teachers attended, and a kindergarten supported by two pairings counts for both."""
    w = await make_world(None, REPORTS)
    second = await make_pairing(await make_kindergarten(w.region), w.supported)
    ours = await staff(w.supported, 3)
    other = await make_world(None, REPORTS)
    theirs = (await staff(other.supported))[0]
    first = await held(w.supporting, cn(2026, 4, 2), kind=ActivityKind.TRAINING)
    again = await held(other.supporting, cn(2026, 5, 2), kind=ActivityKind.TRAINING)
    for teacher in ours:
        await check_in(first, teacher)  # three teachers, one training
    await check_in(again, ours[0])
    await check_in(again, theirs)

    year = year_period(2026, at=cn(2027, 3, 1))
    every = {
        i["pairing_id"]: i["targets"]["trainings"]["done"]
        for i in await builders.pairing_reports(period=year, scope=CITY)
    }
    for pairing_id, supported_id in (
        (w.pairing.id, w.supported.id),
        (second.id, w.supported.id),
        (other.pairing.id, other.supported.id),
    ):
        raw = await attendees(
            ActivityKind.TRAINING,
            supported_id,
            starts_at__gte=year.since,
            starts_at__lt=year.until,
        )
        alone = (await report(year, pairing_id))["targets"]["trainings"]["done"]
        assert every[pairing_id] == alone == len({a for a, _ in raw})
    assert every[w.pairing.id] == every[second.id] == 2 and every[other.pairing.id] == 1


async def test_the_leads_half_day_opening_is_an_observation_it_hosts(api):
    w = await make_world(None, REPORTS)
    await held(w.supported, cn(2026, 3, 3), kind=ActivityKind.OBSERVATION)  # a member's
    before = {
        i["alliance_id"]: i for i in await builders.alliance_reports(period=spring(), scope=CITY)
    }[w.alliance.id]
    assert before["targets"]["lead_open_days"]["done"] == 0
    assert before["targets"]["lead_open_days"]["status"] == "missed"
    opening = await held(w.supporting, cn(2026, 5, 12), kind=ActivityKind.OBSERVATION)
    assert opening.host_id == w.alliance.lead_id
    after = {
        i["alliance_id"]: i for i in await builders.alliance_reports(period=spring(), scope=CITY)
    }[w.alliance.id]
    lead_open = after["targets"]["lead_open_days"]
    assert lead_open["done"] == 1 and lead_open["target"] == 1 and lead_open["status"] == "met"
    assert lead_open["label"] == "总园半日开放"


async def test_rates_and_papers_are_labelled_as_recorded_by_hand(api):
    w = await make_world(None, REPORTS, targets={"papers_per_year": 0})
    item = await report(spring(), w.pairing.id)
    manual = {m["key"]: m for m in item["manual"]}
    assert set(manual) == {"excellent_lesson_rate", "qualified_lesson_rate"}  # papers off
    assert manual["excellent_lesson_rate"]["goal"] == "30%"
    assert manual["qualified_lesson_rate"]["goal"] == "100%"
    assert all(m["note"] == "需手工填报，系统不统计" for m in manual.values())
    for key in manual:
        assert key not in item["targets"]  # never shown as a measured figure
    assert SPRING == item["period"]


async def test_the_workbook_carries_the_measured_and_the_hand_filled_targets(api):
    w = await make_world(None, REPORTS)
    (teacher,) = await staff(w.supported)
    shadowing = await held(
        w.supporting, cn(2026, 3, 10), kind=ActivityKind.SHADOWING, pairing=w.pairing
    )
    await check_in(shadowing, teacher)
    await held(w.supporting, cn(2026, 5, 12), kind=ActivityKind.OBSERVATION)
    content, _ = await export.targets_workbook(period=spring(), scope=CITY)
    book = load_workbook(io.BytesIO(content))
    head, row = list(book["结对"].iter_rows(values_only=True))[:2]
    cell = dict(zip(head, row, strict=True))
    raw = await attendees(ActivityKind.SHADOWING, w.supported.id, pairing_id=w.pairing.id)
    assert cell["跟岗学习教师（完成）"] == len({p for _, p in raw}) == 1
    assert cell["集中培训（全年）（目标）"] == 2
    assert cell["需手工填报的指标"] == "教师优课率、教师合格率、每年论文发表或获奖"
    head, row = list(book["联盟"].iter_rows(values_only=True))[:2]
    assert dict(zip(head, row, strict=True))["总园半日开放（完成）"] == 1
