"""Time on site decides an attendee's 课时 (docs/decisions.md); presenters keep theirs.

Each ledger entry is checked against a count made here from the stored times alone, in whole
seconds and fractions, not with the ledger's own function.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from server.activities.codes import static_scene
from server.activities.models import Presenter
from server.checkin.models import Checkin, HoursEntry, HoursRole
from server.common.time import now
from tests.checkin.conftest import scan, teacher_of
from tests.support.factories import login_as, make_activity, make_kindergarten


def expected_hours(activity, checkin) -> Fraction:
    """The rule, counted independently: seconds inside the activity, half earns it all."""
    length = int((activity.ends_at - activity.starts_at).total_seconds())
    arrived = activity.starts_at if checkin.method.value == "manual" else checkin.scanned_at
    left = checkin.checkout_at or activity.ends_at
    inside = int((min(left, activity.ends_at) - max(arrived, activity.starts_at)).total_seconds())
    inside = max(inside, 0)
    full = Fraction(activity.attendee_hours).limit_denominator(100)
    if 2 * inside >= length:
        return full
    halves = (full * inside * 2) // length  # whole half-课时 earned, rounded down
    return Fraction(halves, 2)


async def ledger(activity_id: int, person_id: int, role: HoursRole = HoursRole.ATTENDEE) -> float:
    entry = await HoursEntry.get_or_none(activity_id=activity_id, person_id=person_id, role=role)
    return entry.hours if entry else 0.0


async def test_leaving_after_a_minute_earns_no_hours(client):
    kg = await make_kindergarten()
    activity = await make_activity(kg, attendee_hours=2)  # began 5 minutes ago, 2 hours long
    teacher = await teacher_of(client, kg)
    _, body = await scan(client, teacher, static_scene(activity.code))
    cid = body["checkin"]["id"]
    assert await ledger(activity.id, teacher.person.id) == 2  # she is taken to stay
    resp = await client.post(f"/api/v1/checkins/{cid}/checkout", headers=teacher.headers)
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["hours"] == 0 and "签退成功" in answer["message"]
    assert await ledger(activity.id, teacher.person.id) == 0
    # A second tap changes nothing: the first check-out counts.
    again = await client.post(f"/api/v1/checkins/{cid}/checkout", headers=teacher.headers)
    assert again.json()["checkout_at"] == answer["checkout_at"]


async def test_hours_follow_time_on_site_against_an_independent_count(client):
    kg = await make_kindergarten()
    organizer = await login_as(client, "organizer", scope_id=kg.id)
    # 180-minute activities that began this many minutes ago; each has one 补签 attendee
    # checked out now by the organizer (a 补签's time on site starts at the activity's start).
    seen = {}
    for minutes, full in [(1, 2.5), (30, 2.5), (60, 2), (75, 3), (89, 2), (91, 2), (170, 1.5)]:
        start = now() - timedelta(minutes=minutes)
        activity = await make_activity(
            kg,
            starts_at=start,
            ends_at=start + timedelta(minutes=180),
            checkin_opens_at=start - timedelta(minutes=30),
            checkin_closes_at=start + timedelta(minutes=180),
            attendee_hours=full,
        )
        teacher = await teacher_of(client, kg)
        made = await client.post(
            f"/api/v1/activities/{activity.id}/checkins",
            json={"person_id": teacher.person.id, "reason": "手机没电"},
            headers=organizer.headers,
        )
        assert made.status_code == 201, made.text
        out = await client.post(
            f"/api/v1/checkins/{made.json()['id']}/checkout", headers=organizer.headers
        )
        assert out.status_code == 200, out.text
        checkin = await Checkin.get(id=made.json()["id"])
        got = await ledger(activity.id, teacher.person.id)
        assert Fraction(got).limit_denominator(100) == expected_hours(activity, checkin), minutes
        assert out.json()["hours"] == got
        seen[minutes] = got
    # The rule's landmarks, written out: a minute earns nothing, a third of 2 课时 is 0.5
    # (0.67 rounded down), from half on the full hours.
    assert seen == {1: 0, 30: 0.0, 60: 0.5, 75: 1.0, 89: 0.5, 91: 2, 170: 1.5}


async def test_a_late_scan_earns_the_share_it_was_there_and_presenters_keep_theirs(client):
    kg = await make_kindergarten()
    organizer = await login_as(client, "organizer", scope_id=kg.id)
    start = now() - timedelta(minutes=149)
    activity = await make_activity(
        kg,
        starts_at=start,
        ends_at=start + timedelta(minutes=180),
        checkin_closes_at=start + timedelta(minutes=180),
        attendee_hours=3,
    )
    late = await teacher_of(client, kg)
    presenter = await teacher_of(client, kg)
    await Presenter.create(
        activity=activity, person_id=presenter.person.id, hours=2, topic="示范课"
    )
    _, body = await scan(client, late, static_scene(activity.code))
    assert body["status"] == "checked_in"
    checkin = await Checkin.get(id=body["checkin"]["id"])
    # 31 of 180 minutes: just over a sixth of 3 课时, 0.52, rounded down to 0.5.
    assert await ledger(activity.id, late.person.id) == float(expected_hours(activity, checkin))
    assert await ledger(activity.id, late.person.id) == 0.5
    _, body = await scan(client, presenter, static_scene(activity.code))
    out = await client.post(
        f"/api/v1/checkins/{body['checkin']['id']}/checkout", headers=presenter.headers
    )
    assert out.status_code == 200
    finished = await client.post(
        f"/api/v1/activities/{activity.id}/finish", headers=organizer.headers
    )
    assert finished.status_code == 200, finished.text
    assert await ledger(activity.id, presenter.person.id, HoursRole.PRESENTER) == 2
    assert await ledger(activity.id, presenter.person.id) == 0  # left at once as an attendee
    assert await ledger(activity.id, late.person.id) == 0.5  # finishing recounts the same


async def test_checking_out_of_a_cancelled_activity_gives_no_hours_back(client):
    kg = await make_kindergarten()
    activity = await make_activity(kg, attendee_hours=2)
    organizer = await login_as(client, "organizer", scope_id=kg.id)
    teacher = await teacher_of(client, kg)
    _, body = await scan(client, teacher, static_scene(activity.code))
    cancelled = await client.post(
        f"/api/v1/activities/{activity.id}/cancel",
        json={"reason": "暴雨停课"},
        headers=organizer.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert await ledger(activity.id, teacher.person.id) == 0
    out = await client.post(
        f"/api/v1/checkins/{body['checkin']['id']}/checkout", headers=teacher.headers
    )
    assert out.status_code == 409 and out.json()["error"] == "activity_cancelled"
    assert await ledger(activity.id, teacher.person.id) == 0
