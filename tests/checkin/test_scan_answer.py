"""A scan's answer names its activity and the 课时 earned, to those who may attend only."""

from __future__ import annotations

from datetime import timedelta

from server.activities.codes import dynamic_scene, static_scene, time_step
from server.checkin.models import HoursEntry
from server.common.time import now
from tests.checkin.conftest import scan, teacher_of
from tests.support.factories import make_activity, make_kindergarten


async def test_a_scan_names_the_activity_and_the_hours_it_credits(client, scene):
    teacher = await teacher_of(client, scene.kg)
    status, body = await scan(client, teacher, static_scene(scene.activity.code))
    assert status == 200 and body["status"] == "checked_in"
    assert body["activity"]["id"] == scene.activity.id
    assert body["activity"]["title"] == scene.activity.title
    assert body["activity"]["address"] == scene.activity.address
    assert body["activity"]["starts_at"].endswith("+08:00")
    entry = await HoursEntry.get(person_id=teacher.person.id, activity_id=scene.activity.id)
    assert body["hours"] == entry.hours == scene.activity.attendee_hours

    _, again = await scan(client, teacher, static_scene(scene.activity.code))
    assert again["status"] == "already_checked_in"
    assert again["activity"]["title"] == scene.activity.title and again["hours"] == entry.hours


async def test_a_late_arrival_is_told_the_smaller_share_of_hours(client):
    kg = await make_kindergarten()
    # Two hours long, started 75 minutes ago: 45 minutes on site is under half of it.
    act = await make_activity(
        kg, starts_at=now() - timedelta(minutes=75), attendee_hours=2, late_after=now()
    )
    teacher = await teacher_of(client, kg)
    _, body = await scan(client, teacher, static_scene(act.code))
    entry = await HoursEntry.get(person_id=teacher.person.id, activity_id=act.id)
    assert body["status"] == "checked_in" and body["hours"] == entry.hours
    assert 0 < entry.hours < 2


async def test_an_expected_person_is_told_which_activity_refused_her(client, scene):
    act = scene.activity
    teacher = await teacher_of(client, scene.kg)
    old = dynamic_scene(
        code=act.code, secret=act.secret, step=time_step(now(), act.rotate_seconds) - 5
    )
    status, body = await scan(client, teacher, old)
    assert status == 422 and body["reason"] == "code_expired"
    assert body["activity"]["title"] == act.title and body["hours"] is None


async def test_a_refusal_tells_a_stranger_nothing_about_the_activity(client):
    kg = await make_kindergarten()
    early = await make_activity(kg, starts_at=now() + timedelta(hours=3))
    stranger = await teacher_of(client, await make_kindergarten())
    # Refused for the window before the audience is looked at: still not named to her.
    status, body = await scan(client, stranger, static_scene(early.code))
    assert status == 422 and body["reason"] == "not_open_yet"
    assert body["activity"] is None
    live = await make_activity(kg)
    _, body = await scan(client, stranger, static_scene(live.code))
    assert body["reason"] == "not_invited" and body["activity"] is None
    _, body = await scan(client, stranger, "s.nosuchcode")
    assert body["reason"] == "bad_code" and body["activity"] is None
