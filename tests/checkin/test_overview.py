"""A staff member's semester at a glance: next activity, own 课时, her kindergartens' targets."""

from __future__ import annotations

from datetime import timedelta

from server.activities.models import ActivityStatus, AudienceMode, Presenter
from server.checkin import hours
from server.checkin.models import Checkin, CheckinMethod, HoursEntry, HoursRole
from server.checkin.overview import my_overview
from server.common.auth import Grant, Principal
from server.common.semester import DEFAULT_CALENDAR
from server.common.time import now
from server.orgs.models import DEFAULT_PAIRING_TARGETS
from tests.reports.helpers import REPORTS, REPORTS_CYCLE, SPRING, cn, held, staff
from tests.support.factories import login, login_as, make_activity, make_kindergarten, unique
from tests.support.world import make_pairing, make_world

AT = cn(2026, 5, 1)  # inside 2026春


def teacher_principal(person, kg) -> Principal:
    return Principal(
        account_id=0,
        person_id=person.id,
        session_id="test",
        grants=(Grant("teacher", "kindergarten", kg.id),),
    )


async def presenter_hours_held(pairing) -> float:
    """送教课时 of a pairing's finished 送教 activities, counted from the presenters."""
    rows = await Presenter.filter(
        activity__pairing_id=pairing.id,
        activity__status=ActivityStatus.FINISHED,
        activity__kind__in=["送教下乡", "送教到园"],
        activity__starts_at__gte=cn(2026, 2, 1),
    ).values_list("hours", flat=True)
    return float(sum(rows))


async def test_her_hours_and_both_sides_targets_this_semester(api):
    w = await make_world(None, REPORTS)
    (colleague,) = await staff(w.supporting)
    first = await held(
        w.supported, cn(2026, 3, 5), pairing=w.pairing, presenters=[(w.presenter, 3)]
    )
    second = await held(w.supported, cn(2026, 4, 5), pairing=w.pairing, presenters=[(colleague, 2)])
    # Another pairing's 送教 and last semester's: not in these sums.
    elsewhere = await make_kindergarten(w.region)
    other = await make_pairing(w.supporting, elsewhere, cycle=REPORTS_CYCLE)
    await held(elsewhere, cn(2026, 3, 9), pairing=other, presenters=[(w.presenter, 4)])
    await held(w.supported, cn(2025, 11, 5), pairing=w.pairing, presenters=[(w.presenter, 6)])
    for activity in (first, second):
        await hours.credit_presenters(activity_id=activity.id)

    mine = await my_overview(
        principal=teacher_principal(w.presenter, w.supporting), calendar=DEFAULT_CALENDAR, at=AT
    )
    assert mine["semester"] == SPRING
    own = await HoursEntry.filter(person_id=w.presenter.id, semester=SPRING).values_list(
        "hours", flat=True
    )
    assert mine["hours"]["total_hours"] == sum(own) == 3
    assert mine["hours"]["presenter_hours"] == 3 and mine["hours"]["attendee_hours"] == 0
    given = [t for t in mine["targets"] if t["key"] == "send_hours"]
    assert [t["kindergarten_id"] for t in given] == [w.supporting.id]
    per_pairing = DEFAULT_PAIRING_TARGETS["send_hours_per_semester"]
    assert given[0]["target"] == 2 * per_pairing  # two pairings supported this semester
    assert given[0]["done"] == await presenter_hours_held(w.pairing) + await presenter_hours_held(
        other
    )
    assert given[0]["label"] == "送教课时" and given[0]["kindergarten_name"] == w.supporting.name
    assert not [t for t in mine["targets"] if t["key"] == "send_hours_received"]

    (receiver,) = await staff(w.supported)
    theirs = await my_overview(
        principal=teacher_principal(receiver, w.supported), calendar=DEFAULT_CALENDAR, at=AT
    )
    (received,) = theirs["targets"]
    assert received["key"] == "send_hours_received" and received["label"] == "接受送教课时"
    assert received["done"] == await presenter_hours_held(w.pairing) == 5
    assert received["target"] == per_pairing
    assert theirs["hours"]["total_hours"] == 0


async def test_the_next_activity_is_the_soonest_she_is_expected_at(api):
    w = await make_world(None, REPORTS)
    (receiver,) = await staff(w.supported)
    # Held for the supported side only: visible to the supporting side through the pairing.
    theirs = await make_activity(
        w.supported, pairing=w.pairing, starts_at=cn(2026, 5, 2), audience=[w.supported]
    )
    ours = await make_activity(w.supporting, starts_at=cn(2026, 5, 3))
    # Ended, a draft and a cancelled one come before both and are never next.
    await make_activity(w.supporting, starts_at=cn(2026, 4, 30, 8))
    await make_activity(w.supporting, starts_at=cn(2026, 5, 1, 12), status=ActivityStatus.DRAFT)
    await make_activity(w.supporting, starts_at=cn(2026, 5, 1, 13), status=ActivityStatus.CANCELLED)
    await Checkin.create(
        activity=theirs, person=receiver, method=CheckinMethod.STATIC, scanned_at=AT
    )

    mine = await my_overview(
        principal=teacher_principal(w.presenter, w.supporting), calendar=DEFAULT_CALENDAR, at=AT
    )
    assert mine["next_activity"]["id"] == ours.id
    assert (
        mine["next_activity"]["title"] == ours.title
        and mine["next_activity"]["checked_in"] is False
    )
    other = await my_overview(
        principal=teacher_principal(receiver, w.supported), calendar=DEFAULT_CALENDAR, at=AT
    )
    assert other["next_activity"]["id"] == theirs.id and other["next_activity"]["checked_in"]

    # An activity in progress is still next until it ends.
    later = await my_overview(
        principal=teacher_principal(w.presenter, w.supporting),
        calendar=DEFAULT_CALENDAR,
        at=cn(2026, 5, 3, 10),
    )
    assert later["next_activity"]["id"] == ours.id
    done = await my_overview(
        principal=teacher_principal(w.presenter, w.supporting),
        calendar=DEFAULT_CALENDAR,
        at=cn(2026, 5, 3, 12),
    )
    assert done["next_activity"] is None


async def test_the_overview_over_http_shows_only_her_own(client):
    kg = await make_kindergarten()
    teacher = await login_as(client, "teacher", scope_id=kg.id, teacher_of=kg)
    upcoming = await make_activity(kg, starts_at=now() + timedelta(days=1))
    resp = await client.get("/api/v1/me/overview", headers=teacher.headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["next_activity"]["id"] == upcoming.id
    assert body["hours"] == {"presenter_hours": 0, "attendee_hours": 0, "total_hours": 0}
    assert body["targets"] == []  # no pairing, no 送教课时 target

    # Someone of another kindergarten sees neither that activity nor its targets.
    w = await make_world(None, REPORTS)
    stranger = await login_as(client, "teacher", scope_id=w.supporting.id, teacher_of=w.supporting)
    theirs = (await client.get("/api/v1/me/overview", headers=stranger.headers)).json()
    assert theirs["next_activity"] is None
    assert {t["kindergarten_id"] for t in theirs["targets"]} == {w.supporting.id}
    # A family activity is not a teacher's; an account with no person has nothing.
    await make_activity(
        kg, starts_at=now() + timedelta(hours=2), audience_mode=AudienceMode.FAMILIES
    )
    again = (await client.get("/api/v1/me/overview", headers=teacher.headers)).json()
    assert again["next_activity"]["id"] == upcoming.id
    nobody = await login(client, unique("nobody-"))
    empty = (await client.get("/api/v1/me/overview", headers=nobody.headers)).json()
    assert empty["next_activity"] is None and empty["targets"] == []
    assert (await client.get("/api/v1/me/overview")).status_code == 401


async def test_her_check_ins_carry_the_hours_they_earned(client, api):
    kg = await make_kindergarten()
    teacher = await login_as(client, "teacher", scope_id=kg.id, teacher_of=kg)
    act = await make_activity(kg)
    await Checkin.create(
        activity=act, person=teacher.person, method=CheckinMethod.STATIC, scanned_at=act.starts_at
    )
    await HoursEntry.create(
        person=teacher.person, activity=act, role=HoursRole.ATTENDEE, hours=1.5, semester=SPRING
    )
    await HoursEntry.create(
        person=teacher.person, activity=act, role=HoursRole.PRESENTER, hours=2, semester=SPRING
    )
    rows = (await client.get("/api/v1/me/checkins", headers=teacher.headers)).json()
    assert [(r["activity_id"], r["hours"]) for r in rows] == [(act.id, 3.5)]
