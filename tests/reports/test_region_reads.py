"""The region report's reads as they run on PostgreSQL: the check-ins seen in parts by
person, 集中培训 asked by region (in parts by time), the audience of alliance-wide activities
counted once, and every statement planned for its own values (issue 18). Each figure is
checked against the raw rows or the same figure asked another way; on SQLite the reads run
whole and must agree too."""

from __future__ import annotations

import contextlib

from tortoise import connections

from server.activities.models import ActivityKind, AudienceMode
from server.checkin.models import Checkin
from server.orgs.models import Teacher
from server.reports import attendance_counts, regions, target_counts
from server.reports.periods import year_period
from server.reports.scope import CITY
from tests.reports.helpers import REPORTS, check_in, cn, held, spring, staff
from tests.support.factories import make_kindergarten, make_person
from tests.support.world import make_pairing, make_world


async def raw_seen(period) -> dict:
    """Independent count: per host region, check-ins not annulled at held non-family
    activities of the period, and the distinct people; and the people over all regions."""
    rows = await Checkin.filter(
        annulled_at=None,
        activity__starts_at__gte=period.since,
        activity__starts_at__lt=period.asof,
    ).values_list("person_id", "activity__host__region_id", "activity__kind")
    family = {ActivityKind.OPEN_DAY.value, ActivityKind.PARENT_CHILD.value}
    out: dict = {}
    people = set()
    for person, region, kind in rows:
        if kind in family:
            continue
        seen = out.setdefault(region, [0, set()])
        seen[0] += 1
        seen[1].add(person)
        people.add(person)
    return {r: {"checked_in": n, "reached": len(p)} for r, (n, p) in out.items()} | {
        None: {"checked_in": 0, "reached": len(people)}
    }


async def test_the_check_ins_seen_add_up_whatever_the_number_of_parts(api, monkeypatch):
    north = await make_world(None, REPORTS)
    south = await make_world(None, REPORTS)
    early_guest = await make_person()  # a person id below every teacher's
    teachers = await staff(north.supported, 4) + await staff(south.supported, 3)
    late_guest = await make_person()  # and one above
    a = await held(north.supported, cn(2026, 3, 3), pairing=north.pairing)
    b = await held(south.supported, cn(2026, 3, 4), pairing=south.pairing)
    open_day = await held(
        north.supported,
        cn(2026, 3, 5),
        kind=ActivityKind.OPEN_DAY,
        audience_mode=AudienceMode.FAMILIES,
    )
    for person in [*teachers, early_guest, late_guest]:
        await check_in(a, person)
    for person in teachers[2:6]:
        await check_in(b, person)  # people seen in both regions count once in the total
    await check_in(b, teachers[6], annulled=True)
    await check_in(open_day, teachers[0])  # a family activity: not a teacher reached
    ids = sorted(p.id for p in teachers)
    assert early_guest.id < ids[0] and late_guest.id > ids[-1]

    raw = await raw_seen(spring())
    assert raw[north.region.id] == {"checked_in": 9, "reached": 9}
    assert raw[south.region.id] == {"checked_in": 4, "reached": 4}
    assert raw[None]["reached"] == 9
    for parts in (1, 2, 3, 7):
        monkeypatch.setattr(attendance_counts, "PERSON_PARTS", parts)
        seen = await attendance_counts.attendance(spring(), "region", None, with_total=True)
        got = {k: {"checked_in": v["checked_in"], "reached": v["reached"]} for k, v in seen.items()}
        assert {k: got[k] for k in raw} == raw, parts
        report = await regions.region_reports(period=spring(), scope=CITY)
        by_id = {i["region_id"]: i["figures"] for i in report["items"]}
        assert by_id[north.region.id]["teachers_reached"] == 9
        assert by_id[south.region.id]["checked_in"] == 4
        assert report["total"]["figures"]["teachers_reached"] == 9


async def test_the_person_ranges_meet_end_to_end(api):
    # Every person id, inside the teachers' range or outside it, is in exactly one part.
    w = await make_world(None, REPORTS)
    await staff(w.supported, 5)
    conn = connections.get("default")
    people = [
        r["person_id"] for r in await conn.execute_query_dict("SELECT person_id FROM teacher")
    ]
    probes = sorted({0, 1, *people, max(people) + 1, 10**9})
    for parts in (2, 3, 4):
        for probe in probes:
            inside = []
            for part in range(parts):
                cond = attendance_counts._person_range(part, parts).replace(
                    "c.person_id", str(probe)
                )
                rows = await conn.execute_query_dict(f"SELECT 1 AS x WHERE 1 = 1{cond}")
                inside += [part] * len(rows)
            assert len(inside) == 1, (parts, probe, inside)


async def test_trainings_asked_by_region_match_each_pairing_alone(api, monkeypatch):
    w = await make_world(None, REPORTS)
    second = await make_pairing(await make_kindergarten(w.region), w.supported)
    other = await make_world(None, REPORTS)
    ours = await staff(w.supported, 2)
    theirs = (await staff(other.supported))[0]
    trainings = [
        await held(other.supporting, cn(2026, month, 2), kind=ActivityKind.TRAINING)
        for month in (2, 4, 7, 9, 12)
    ]
    for person in (*ours, theirs):
        await check_in(trainings[1], person)  # two of ours at one training: once
    await check_in(trainings[0], ours[1])
    await check_in(trainings[3], ours[0])
    await check_in(trainings[4], ours[0], annulled=True)  # 误签: not attended
    await check_in(trainings[2], theirs)

    year = year_period(2026, at=cn(2027, 3, 1))
    for parts in (1, 2, 3, 5):
        monkeypatch.setattr(target_counts, "TRAINING_PARTS", parts)
        by_region = await target_counts.trainings_attended(year, None, region_ids={w.region.id})
        assert set(by_region) == {w.pairing.id, second.id}, parts  # not the other region's
        for pairing_id in (w.pairing.id, second.id):
            alone = await target_counts.trainings_attended(year, {pairing_id})
            assert by_region[pairing_id] == alone[pairing_id] == 3, parts
        city = await target_counts.trainings_attended(year, None)
        assert city[other.pairing.id] == 2 and city[w.pairing.id] == 3, parts


async def test_an_alliance_wide_audience_counts_each_kindergarten_once(api):
    w = await make_world(None, REPORTS)  # supporting (1 teacher, the presenter) and supported
    await staff(w.supported, 2)
    outsider = await make_kindergarten(w.region)  # listed, not a member
    await staff(outsider, 3)
    no_alliance = await make_kindergarten(w.region)
    await staff(no_alliance, 4)
    await held(
        w.supporting,
        cn(2026, 3, 3),
        kind=ActivityKind.JOINT_RESEARCH,
        alliance=w.alliance,
        audience=[w.supported, outsider],  # a member listed too: counted once
        audience_mode=AudienceMode.ALLIANCE,
    )
    await held(no_alliance, cn(2026, 3, 4), audience=[no_alliance, w.supported])
    staff_of = {}
    for kg in (w.supporting, w.supported, outsider, no_alliance):
        staff_of[kg.id] = await Teacher.filter(kindergarten_id=kg.id, active=True).count()
    # members 1 + 2, the outsider 3; then the second activity's two kindergartens 4 + 2
    independent = staff_of[w.supporting.id] + staff_of[w.supported.id] + staff_of[outsider.id]
    independent += staff_of[no_alliance.id] + staff_of[w.supported.id]
    assert independent == 1 + 2 + 3 + 4 + 2
    seen = await attendance_counts.attendance(spring(), "region", {w.region.id})
    assert seen[w.region.id]["expected"] == independent
    city = await attendance_counts.attendance(spring(), "region", None)
    assert city[w.region.id]["expected"] == independent


async def test_the_report_statements_are_not_left_as_named_prepared_statements(api):
    """Each runs as the unnamed statement, planned for its values: a named (cached) one run
    a sixth time on a connection may get PostgreSQL's generic plan (4-5× slower here)."""
    await make_world(None, REPORTS)
    for _ in range(8):
        await regions.region_reports(period=spring(), scope=CITY)
    client = connections.get("default")
    if client.capabilities.dialect != "postgres":
        assert client.capabilities.dialect == "sqlite"
        return
    pool = client._pool
    named = []
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(pool.get_max_size()):  # every connection of the pool at once
            conn = await stack.enter_async_context(pool.acquire())
            named += [
                r["statement"]
                for r in await conn.fetch("SELECT statement FROM pg_prepared_statements")
                if "FROM activity a" in r["statement"]  # the reports' SQL, not the ORM's
            ]
    assert named == []
