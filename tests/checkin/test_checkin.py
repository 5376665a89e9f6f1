"""Scanning a code checks a person in exactly once, with a reason for every refusal."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from server.activities.codes import dynamic_scene, static_scene, time_step
from server.activities.models import ActivityInvitee, ActivityStatus, AudienceMode
from server.checkin.models import Checkin, HoursEntry
from server.common.time import now
from tests.checkin.conftest import nonce, scan, teacher_of
from tests.support.factories import login, login_as, make_activity, make_kindergarten, unique


async def test_static_scan_checks_in_and_credits_hours(client, scene):
    teacher = await teacher_of(client, scene.kg)
    status, body = await scan(
        client,
        teacher,
        static_scene(scene.activity.code),
        location={"lat": 28.2, "lng": 112.9, "accuracy": 20},
    )
    assert status == 200
    assert body["status"] == "checked_in" and body["message"] == "签到成功"
    assert body["checkin"]["method"] == "static" and not body["checkin"]["late"]
    assert not body["checkin"]["outside_geofence"] and not body["checkin"]["no_location"]
    entry = await HoursEntry.get(person_id=teacher.person.id, activity_id=scene.activity.id)
    assert entry.hours == 2 and entry.role == "attendee"


async def test_same_nonce_retry_returns_the_same_record(client, scene):
    teacher = await teacher_of(client, scene.kg)
    key = nonce()
    _, first = await scan(client, teacher, static_scene(scene.activity.code), nonce=key)
    _, again = await scan(client, teacher, static_scene(scene.activity.code), nonce=key)
    assert again["status"] == "checked_in"
    assert again["checkin"]["id"] == first["checkin"]["id"]
    assert await Checkin.filter(activity_id=scene.activity.id).count() == 1


async def test_second_scan_returns_already_checked_in(client, scene):
    teacher = await teacher_of(client, scene.kg)
    _, first = await scan(client, teacher, static_scene(scene.activity.code))
    status, second = await scan(client, teacher, static_scene(scene.activity.code))
    assert status == 200
    assert second["status"] == "already_checked_in"
    assert second["reason"] == "already_checked_in" and "已签到" in second["message"]
    assert second["checkin"]["id"] == first["checkin"]["id"]


async def test_second_scan_is_answered_from_the_database_when_redis_forgot(client, scene, api):
    teacher = await teacher_of(client, scene.kg)
    await scan(client, teacher, static_scene(scene.activity.code))
    await api.app.ctx.runtime.redis.delete(f"checkin:done:{scene.activity.id}:{teacher.person.id}")
    _, second = await scan(client, teacher, static_scene(scene.activity.code))
    assert second["status"] == "already_checked_in"


async def test_two_phones_scanning_at_once_make_one_record(client, scene):
    teacher = await teacher_of(client, scene.kg)
    code = static_scene(scene.activity.code)
    results = await asyncio.gather(*(scan(client, teacher, code) for _ in range(8)))
    statuses = sorted(body["status"] for _, body in results)
    assert statuses.count("checked_in") == 1
    assert statuses.count("already_checked_in") == 7
    assert await Checkin.filter(activity_id=scene.activity.id).count() == 1
    assert await HoursEntry.filter(activity_id=scene.activity.id).count() == 1


async def test_many_teachers_scanning_together_are_each_counted_once(client, scene):
    teachers = [await teacher_of(client, scene.kg) for _ in range(10)]
    code = static_scene(scene.activity.code)
    results = await asyncio.gather(*(scan(client, t, code) for t in teachers for _ in range(2)))
    assert sum(body["status"] == "checked_in" for _, body in results) == 10
    assert await Checkin.filter(activity_id=scene.activity.id).count() == 10


@pytest.mark.parametrize("text", ["garbage", "s.abcdefgh", "d.abcdefgh.1.AAAAAAAA", "s.短码"])
async def test_unknown_or_malformed_code_is_refused_as_bad_code(client, scene, text):
    teacher = await teacher_of(client, scene.kg)
    status, body = await scan(client, teacher, text)
    assert status == 422
    assert body["status"] == "refused" and body["reason"] == "bad_code"
    assert body["error"] == "bad_code" and "签到码" in body["message"]


async def test_forged_rotating_code_is_refused(client, scene):
    teacher = await teacher_of(client, scene.kg)
    step = time_step(now(), scene.activity.rotate_seconds)
    forged = dynamic_scene(code=scene.activity.code, secret="not-the-secret", step=step)
    _, body = await scan(client, teacher, forged)
    assert body["reason"] == "bad_code"


async def test_current_and_previous_rotating_steps_are_accepted(client, scene):
    act = scene.activity
    step = time_step(now(), act.rotate_seconds)
    for offset in (0, 1):
        teacher = await teacher_of(client, scene.kg)
        code = dynamic_scene(code=act.code, secret=act.secret, step=step - offset)
        _, body = await scan(client, teacher, code)
        assert body["status"] == "checked_in", body
        assert body["checkin"]["method"] == "dynamic" and not body["checkin"]["offline"]


async def test_old_rotating_code_without_scan_time_is_expired(client, scene):
    act = scene.activity
    teacher = await teacher_of(client, scene.kg)
    old = dynamic_scene(
        code=act.code, secret=act.secret, step=time_step(now(), act.rotate_seconds) - 5
    )
    status, body = await scan(client, teacher, old)
    assert status == 422 and body["reason"] == "code_expired"
    assert "过期" in body["message"]


async def test_offline_scan_is_accepted_by_its_own_time_step(client, scene):
    act = scene.activity
    teacher = await teacher_of(client, scene.kg)
    shown = now() - timedelta(minutes=3)
    code = dynamic_scene(
        code=act.code, secret=act.secret, step=time_step(shown, act.rotate_seconds)
    )
    _, body = await scan(client, teacher, code, scanned_at=shown.isoformat())
    assert body["status"] == "checked_in" and body["checkin"]["offline"] is True
    assert "离线" in body["message"]


async def test_offline_scan_claiming_another_time_than_its_code_is_expired(client, scene):
    act = scene.activity
    teacher = await teacher_of(client, scene.kg)
    shown = now() - timedelta(minutes=10)
    code = dynamic_scene(
        code=act.code, secret=act.secret, step=time_step(shown, act.rotate_seconds)
    )
    claimed = shown + timedelta(minutes=5)
    _, body = await scan(client, teacher, code, scanned_at=claimed.isoformat())
    assert body["reason"] == "code_expired"


async def test_offline_scan_made_after_the_window_closed_is_refused(client):
    kg = await make_kindergarten()
    start = now() - timedelta(hours=5)
    act = await make_activity(
        kg,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        checkin_closes_at=start + timedelta(hours=1),
    )
    teacher = await teacher_of(client, kg)
    shown = start + timedelta(hours=2)
    code = dynamic_scene(
        code=act.code, secret=act.secret, step=time_step(shown, act.rotate_seconds)
    )
    _, body = await scan(client, teacher, code, scanned_at=shown.isoformat())
    assert body["reason"] == "closed"


async def test_offline_scan_made_in_the_window_is_accepted_after_it_closed(client):
    kg = await make_kindergarten()
    start = now() - timedelta(hours=5)
    act = await make_activity(
        kg,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        checkin_closes_at=start + timedelta(hours=1),
    )
    teacher = await teacher_of(client, kg)
    shown = start + timedelta(minutes=2)
    code = dynamic_scene(
        code=act.code, secret=act.secret, step=time_step(shown, act.rotate_seconds)
    )
    _, body = await scan(client, teacher, code, scanned_at=shown.isoformat())
    assert body["status"] == "checked_in" and body["checkin"]["offline"]
    assert not body["checkin"]["late"]


async def test_check_in_before_the_window_opens_is_refused(client):
    kg = await make_kindergarten()
    act = await make_activity(kg, starts_at=now() + timedelta(hours=3))
    teacher = await teacher_of(client, kg)
    _, body = await scan(client, teacher, static_scene(act.code))
    assert body["reason"] == "not_open_yet" and body["message"] == "签到尚未开始"


async def test_check_in_after_the_window_closes_is_refused(client):
    kg = await make_kindergarten()
    act = await make_activity(kg, starts_at=now() - timedelta(hours=4))
    teacher = await teacher_of(client, kg)
    _, body = await scan(client, teacher, static_scene(act.code))
    assert body["reason"] == "closed"


async def test_late_arrival_is_recorded_as_late_not_refused(client):
    kg = await make_kindergarten()
    act = await make_activity(kg, starts_at=now() - timedelta(minutes=30))
    teacher = await teacher_of(client, kg)
    _, body = await scan(client, teacher, static_scene(act.code))
    assert body["status"] == "checked_in" and body["checkin"]["late"] is True
    assert "迟到" in body["message"]


async def test_person_outside_the_audience_is_not_invited(client, scene):
    stranger = await teacher_of(client, await make_kindergarten())
    _, body = await scan(client, stranger, static_scene(scene.activity.code))
    assert body["reason"] == "not_invited"
    assert await Checkin.filter(activity_id=scene.activity.id).count() == 0


async def test_invited_person_from_elsewhere_may_check_in(client):
    kg = await make_kindergarten()
    act = await make_activity(kg, audience=[], audience_mode=AudienceMode.INVITED)
    guest = await teacher_of(client, await make_kindergarten())
    await ActivityInvitee.create(activity=act, person=guest.person)
    _, body = await scan(client, guest, static_scene(act.code))
    assert body["status"] == "checked_in"


async def test_cancelled_activity_refuses_check_in(client):
    kg = await make_kindergarten()
    act = await make_activity(kg, status=ActivityStatus.CANCELLED)
    teacher = await teacher_of(client, kg)
    _, body = await scan(client, teacher, static_scene(act.code))
    assert body["reason"] == "activity_cancelled" and body["message"] == "活动已取消"


async def test_draft_activity_is_not_open(client):
    kg = await make_kindergarten()
    act = await make_activity(kg, status=ActivityStatus.DRAFT)
    teacher = await teacher_of(client, kg)
    _, body = await scan(client, teacher, static_scene(act.code))
    assert body["reason"] == "not_published"


async def test_unbound_wechat_user_is_asked_to_bind(client, scene):
    someone = await login(client, unique("stranger"))
    _, body = await scan(client, someone, static_scene(scene.activity.code))
    assert body["reason"] == "not_bound" and "绑定" in body["message"]


async def test_outside_the_geofence_is_a_flag_not_a_refusal(client, scene):
    teacher = await teacher_of(client, scene.kg)
    _, body = await scan(
        client,
        teacher,
        static_scene(scene.activity.code),
        location={"lat": 28.3, "lng": 112.9, "accuracy": 30},
    )
    assert body["status"] == "checked_in"
    assert body["checkin"]["outside_geofence"] is True
    record = await Checkin.get(id=body["checkin"]["id"])
    assert record.distance_m > 10_000


async def test_no_location_is_a_flag_not_a_refusal(client, scene):
    teacher = await teacher_of(client, scene.kg)
    _, body = await scan(client, teacher, static_scene(scene.activity.code))
    assert body["status"] == "checked_in" and body["checkin"]["no_location"] is True


async def test_poor_accuracy_widens_the_geofence(client, scene):
    teacher = await teacher_of(client, scene.kg)
    # ~550 m away, radius 300 m, accuracy 400 m: inside once accuracy is counted.
    _, body = await scan(
        client,
        teacher,
        static_scene(scene.activity.code),
        location={"lat": 28.205, "lng": 112.9, "accuracy": 400},
    )
    assert body["checkin"]["outside_geofence"] is False


@pytest.mark.parametrize(
    "payload",
    [
        {"scene": "s.abcdefgh"},
        {"scene": "s.abcdefgh", "nonce": "short"},
        {"scene": "s.abcdefgh", "nonce": "has spaces in it"},
        {"scene": "", "nonce": "abcdefgh12"},
        {"scene": "s.abcdefgh", "nonce": "abcdefgh12", "location": {"lat": 91, "lng": 0}},
        {"scene": "s.abcdefgh", "nonce": "abcdefgh12", "scanned_at": "yesterday"},
        {"scene": "s.abcdefgh", "nonce": "abcdefgh12", "adults": 50},
    ],
)
async def test_malformed_check_in_body_is_refused(client, scene, payload):
    teacher = await teacher_of(client, scene.kg)
    resp = await client.post("/api/v1/checkins", json=payload, headers=teacher.headers)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_input"


async def test_check_in_needs_login(client, scene):
    resp = await client.post(
        "/api/v1/checkins", json={"scene": static_scene(scene.activity.code), "nonce": nonce()}
    )
    assert resp.status_code == 401


async def test_parent_checks_in_to_an_open_day_with_a_headcount(client):
    from server.activities.models import ActivityKind
    from tests.support.factories import make_child, make_class, make_person

    kg = await make_kindergarten()
    act = await make_activity(kg, kind=ActivityKind.OPEN_DAY, audience_mode=AudienceMode.FAMILIES)
    parent_person = await make_person()
    child = await make_child(await make_class(kg), guardian=parent_person)
    await parent_person.fetch_related("grants")
    from server.accounts.models import RoleGrant

    await RoleGrant.create(
        person=parent_person, role="parent", scope_kind="child", scope_id=child.id
    )
    parent = await login(client, unique("mum"), person=parent_person)
    _, body = await scan(client, parent, static_scene(act.code), adults=2, children=1)
    assert body["status"] == "checked_in"
    assert body["checkin"]["adults"] == 2 and body["checkin"]["children"] == 1
    # A teacher of the kindergarten is not the audience of a family activity.
    teacher = await login_as(client, "teacher", scope_id=kg.id, teacher_of=kg)
    _, refused = await scan(client, teacher, static_scene(act.code))
    assert refused["reason"] == "not_invited"


async def test_cancelling_through_the_api_refuses_the_next_scan_at_once(client, scene):
    teacher = await teacher_of(client, scene.kg)
    first = await teacher_of(client, scene.kg)
    # A scan warms the process's caches with the published activity.
    _, ok = await scan(client, first, static_scene(scene.activity.code))
    assert ok["status"] == "checked_in"
    org = await login_as(client, "organizer", scope_id=scene.kg.id, teacher_of=scene.kg)
    resp = await client.post(
        f"/api/v1/activities/{scene.activity.id}/cancel",
        json={"reason": "暴雨预警，活动取消"},
        headers=org.headers,
    )
    assert resp.status_code == 200, resp.text
    _, body = await scan(client, teacher, static_scene(scene.activity.code))
    assert body["reason"] == "activity_cancelled"


async def test_hours_fall_in_the_semester_of_the_configured_calendar(client, scene, monkeypatch):
    from server.common.runtime import current

    runtime = current()
    # A calendar whose spring runs to November: today's activity belongs to spring.
    custom = runtime.settings.model_copy(
        update={"semester_spring": "2-11", "semester_autumn": "12-1"}
    )
    monkeypatch.setattr(runtime, "settings", custom)
    teacher = await teacher_of(client, scene.kg)
    status, _ = await scan(client, teacher, static_scene(scene.activity.code))
    assert status == 200
    entry = await HoursEntry.get(person_id=teacher.person.id, activity_id=scene.activity.id)
    year = scene.activity.starts_at.year
    expected = f"{year}春" if scene.activity.starts_at.month <= 11 else f"{year}秋"
    assert entry.semester == expected
    mine = await client.get("/api/v1/me/hours", headers=teacher.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["semester"] == expected
