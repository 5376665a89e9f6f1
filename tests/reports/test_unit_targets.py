"""Alliance, kindergarten and region targets; teachers reached and attendance."""

from __future__ import annotations

from server.activities.models import ActivityKind, ActivityStatus, AudienceMode
from server.reports import builders, regions, target_counts
from server.reports.periods import semester_period
from server.reports.scope import CITY, build_scope
from tests.reports.helpers import REPORTS, REPORTS_CYCLE, SPRING, check_in, cn, held, spring, staff
from tests.support.factories import make_kindergarten, make_person
from tests.support.world import make_pairing, make_world


async def one(items, key, value):
    (found,) = [i for i in items if i[key] == value]
    return found


async def test_alliance_counts_its_own_and_its_pairings_activities_over_the_year(api):
    w = await make_world(None, REPORTS)
    # Own activities (one in autumn: the year 2026 is 2026春 + 2026秋).
    await held(w.supporting, cn(2026, 3, 5), kind=ActivityKind.JOINT_RESEARCH, alliance=w.alliance)
    await held(w.supporting, cn(2026, 9, 5), kind=ActivityKind.TRAINING, alliance=w.alliance)
    # The pairing's activity counts for the pairing's alliance.
    await held(w.supported, cn(2026, 4, 5), pairing=w.pairing)
    # Cancelled, and last year's: not counted.
    await held(
        w.supporting,
        cn(2026, 5, 5),
        kind=ActivityKind.TRAINING,
        alliance=w.alliance,
        status=ActivityStatus.CANCELLED,
    )
    await held(w.supporting, cn(2026, 1, 5), kind=ActivityKind.TRAINING, alliance=w.alliance)
    items = await builders.alliance_reports(period=spring(cn(2026, 10, 1)), scope=CITY)
    item = await one(items, "alliance_id", w.alliance.id)
    activities = item["targets"]["alliance_activities"]
    assert activities["done"] == 3 and activities["target"] == 8
    assert activities["window"] == "2026年"
    assert item["figures"]["pairings"] == 1 and item["figures"]["members"] == 2
    # The same through a leader's scope (the queries then filter by alliance).
    scope = await build_scope(alliance_ids={w.alliance.id})
    (scoped,) = await builders.alliance_reports(period=spring(cn(2026, 10, 1)), scope=scope)
    assert scoped["targets"] == item["targets"] and scoped["figures"] == item["figures"]


async def test_every_member_but_the_lead_needs_one_inspection_a_year(api):
    w = await make_world(None, REPORTS)
    third = await make_kindergarten(w.region, alliance=w.alliance)
    await held(w.supported, cn(2026, 4, 1), kind=ActivityKind.INSPECTION, alliance=w.alliance)
    await held(w.supporting, cn(2026, 4, 2), kind=ActivityKind.INSPECTION, alliance=w.alliance)
    item = await one(
        await builders.alliance_reports(period=spring(), scope=CITY), "alliance_id", w.alliance.id
    )
    coverage = item["targets"]["inspection_coverage"]
    assert coverage["done"] == 1 and coverage["target"] == 2  # supported and third; lead left out
    await held(third, cn(2026, 10, 2), kind=ActivityKind.INSPECTION, alliance=w.alliance)
    year_seen = semester_period("2026秋", at=cn(2027, 3, 1))
    item = await one(
        await builders.alliance_reports(period=year_seen, scope=CITY),
        "alliance_id",
        w.alliance.id,
    )
    assert item["targets"]["inspection_coverage"]["status"] == "met"
    kg = await one(
        await builders.kindergarten_reports(period=year_seen, scope=CITY),
        "kindergarten_id",
        third.id,
    )
    assert kg["targets"]["inspected"]["done"] == 1 and kg["figures"]["inspections"] == 1


async def test_key_teachers_must_each_give_a_send_lesson_this_semester(api, monkeypatch):
    # One key teacher at the supporting kindergarten: w.presenter.
    w = await make_world(None, REPORTS)
    idle, autumn_only = await staff(w.supported, 2, key=True)
    await staff(w.supported, 3)  # ordinary teachers are not counted
    await held(w.supported, cn(2026, 3, 3), pairing=w.pairing, presenters=[(w.presenter, 2)])
    # A lecture is not 送教; autumn is another semester.
    await held(
        w.supported,
        cn(2026, 3, 4),
        kind=ActivityKind.LECTURE,
        pairing=w.pairing,
        presenters=[(idle, 1)],
    )
    await held(w.supported, cn(2026, 9, 3), pairing=w.pairing, presenters=[(autumn_only, 1)])
    item = await one(
        await builders.alliance_reports(period=spring(), scope=CITY), "alliance_id", w.alliance.id
    )
    key = item["targets"]["key_teachers_sending"]
    assert key["done"] == 1 and key["target"] == 3 and key["status"] == "missed"
    kgs = await builders.kindergarten_reports(period=spring(), scope=CITY)
    supporting = await one(kgs, "kindergarten_id", w.supporting.id)
    assert supporting["targets"]["key_teachers_sending"]["status"] == "met"
    # Every way of asking gives the same: the city, a few kindergartens looked up per person,
    # and more than PER_PERSON_UP_TO of them with the period's presenters hashed.
    both = {w.supporting.id, w.supported.id}
    expected = {
        w.supporting.id: {"key_teachers": 1, "key_sent": 1},
        w.supported.id: {"key_teachers": 2, "key_sent": 0},
    }
    city = await target_counts.key_teachers(spring(), None)
    assert {k: city[k] for k in both} == expected
    assert await target_counts.key_teachers(spring(), both) == expected
    monkeypatch.setattr(target_counts, "PER_PERSON_UP_TO", 1)
    assert await target_counts.key_teachers(spring(), both) == expected


async def test_reached_counts_distinct_teachers_and_leaves_out_annulled_check_ins(api):
    w = await make_world(None, REPORTS)
    teachers = await staff(w.supported, 4)
    first = await held(w.supported, cn(2026, 3, 3), pairing=w.pairing)
    second = await held(w.supported, cn(2026, 3, 10), pairing=w.pairing)
    for person in teachers[:3]:
        await check_in(first, person)
    await check_in(second, teachers[0])
    await check_in(second, teachers[3], annulled=True)
    item = await one(
        await builders.pairing_reports(period=spring(), scope=CITY), "pairing_id", w.pairing.id
    )
    figures = item["figures"]
    assert figures["teachers_reached"] == 3
    assert figures["checked_in"] == 4
    # Expected: 4 staff of the audience kindergarten at each activity (the presenter is
    # staff of the other side and presents nowhere here).
    assert figures["expected"] == 8 and figures["attendance_rate"] == 0.5


async def test_expected_counts_invitees_presenters_and_the_whole_alliance(api):
    w = await make_world(None, REPORTS)  # supporting has 1 teacher (the presenter), supported none
    await staff(w.supported, 2)
    guest = await make_person()
    await held(
        w.supporting,
        cn(2026, 3, 3),
        kind=ActivityKind.JOINT_RESEARCH,
        alliance=w.alliance,
        audience=[],
        audience_mode=AudienceMode.ALLIANCE,
        presenters=[(w.presenter, 1)],
        invitees=[guest],
    )
    item = await one(
        await builders.alliance_reports(period=spring(), scope=CITY), "alliance_id", w.alliance.id
    )
    # invitee 1 + presenter 1 + staff of both members (1 + 2)
    assert item["figures"]["expected"] == 5


async def test_family_activities_count_families_not_teachers(api):
    w = await make_world(None, REPORTS)
    open_day = await held(
        w.supported,
        cn(2026, 4, 1),
        kind=ActivityKind.OPEN_DAY,
        audience_mode=AudienceMode.FAMILIES,
    )
    for _ in range(2):
        await check_in(open_day, await make_person(), adults=2, children=1)
    (kg,) = [
        i
        for i in await builders.kindergarten_reports(period=spring(), scope=CITY)
        if i["kindergarten_id"] == w.supported.id
    ]
    families = kg["figures"]["families"]
    assert families["families_checked_in"] == 2
    assert families["adults"] == 4 and families["children"] == 2
    assert kg["figures"]["teachers_reached"] == 0
    assert families["rsvp"] is None  # the notices domain offers no RSVP roll-up yet


async def test_regions_add_up_their_units_and_the_total_counts_people_once(api):
    north = await make_world(None, REPORTS)
    south = await make_world(None, REPORTS)
    (traveller,) = await staff(north.supported)
    a = await held(
        north.supported, cn(2026, 3, 3), pairing=north.pairing, presenters=[(north.presenter, 4)]
    )
    b = await held(
        south.supported, cn(2026, 3, 4), pairing=south.pairing, presenters=[(south.presenter, 7)]
    )
    await check_in(a, traveller)
    await check_in(b, traveller)  # the same teacher, in the other county
    report = await regions.region_reports(period=spring(), scope=CITY)
    by_id = {i["region_id"]: i for i in report["items"]}
    assert by_id[north.region.id]["targets"]["send_hours"]["done"] == 4
    assert by_id[south.region.id]["targets"]["send_hours"]["done"] == 7
    assert by_id[north.region.id]["figures"]["teachers_reached"] == 1
    assert by_id[south.region.id]["figures"]["teachers_reached"] == 1
    total = report["total"]
    assert total["targets"]["send_hours"]["done"] == 11
    assert total["targets"]["send_hours"]["target"] == 20
    assert total["figures"]["teachers_reached"] == 1
    assert total["figures"]["checked_in"] == 2
    assert total["figures"]["pairings"] == 2 and total["figures"]["alliances"] == 2


async def test_a_region_scope_sees_only_its_region(api):
    north = await make_world(None, REPORTS)
    await make_world(None, REPORTS)
    scope = await build_scope(region_ids={north.region.id})
    report = await regions.region_reports(period=spring(), scope=scope)
    assert [i["region_id"] for i in report["items"]] == [north.region.id]
    pairings = await builders.pairing_reports(period=spring(), scope=scope)
    assert [p["pairing_id"] for p in pairings] == [north.pairing.id]


async def test_kindergarten_sums_pairings_given_and_received(api):
    w = await make_world(None, REPORTS)
    other = await make_kindergarten(w.region)
    second = await make_pairing(
        w.supporting, other, targets={"send_hours_per_semester": 6}, cycle=REPORTS_CYCLE
    )
    await held(w.supported, cn(2026, 3, 3), pairing=w.pairing, presenters=[(w.presenter, 4)])
    await held(other, cn(2026, 3, 5), pairing=second, presenters=[(w.presenter, 3)])
    kgs = await builders.kindergarten_reports(
        period=semester_period(SPRING, at=cn(2026, 9, 1)), scope=CITY
    )
    supporting = await one(kgs, "kindergarten_id", w.supporting.id)
    assert supporting["targets"]["send_hours"]["done"] == 7
    assert supporting["targets"]["send_hours"]["target"] == 16
    assert supporting["figures"]["pairings_given"] == 2
    received = await one(kgs, "kindergarten_id", other.id)
    assert received["targets"]["send_hours_received"]["done"] == 3
    assert received["targets"]["send_hours_received"]["target"] == 6


async def test_parents_satisfaction_comes_from_the_notices_domain(api):
    from server.common.time import now
    from server.notices.models import Notice, NoticeFeedback
    from server.reports.periods import resolve_period

    w = await make_world(None, REPORTS)
    # The notice announced an open day of the pairing: its ratings are the pairing's too.
    open_day = await held(w.supported, now(), kind=ActivityKind.OPEN_DAY, pairing=w.pairing)
    notice = await Notice.create(kindergarten=w.supported, title="家长开放日", activity=open_day)
    for stars in (5, 3):
        await NoticeFeedback.create(
            notice=notice,
            kindergarten_id=w.supported.id,
            family=f"f{stars}",
            person=await make_person(),
            stars=stars,
        )
    period = resolve_period()  # now: the feedback was just given
    (kg,) = [
        i
        for i in await builders.kindergarten_reports(period=period, scope=CITY)
        if i["kindergarten_id"] == w.supported.id
    ]
    assert kg["figures"]["families"]["satisfaction"] == 4.0
    assert kg["figures"]["families"]["satisfaction_count"] == 2
    region = (await regions.region_reports(period=period, scope=CITY))["items"][0]
    assert region["figures"]["families"]["satisfaction"] == 4.0
    pairing = (await builders.pairing_reports(period=period, scope=CITY))[0]
    assert pairing["figures"]["families"]["satisfaction"] == 4.0
