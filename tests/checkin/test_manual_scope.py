"""补签 only for the activity's audience: an outsider is answered as nobody, earns nothing."""

from __future__ import annotations

from server.activities.models import ActivityInvitee, ActivityKind, AudienceMode, Presenter
from server.audit.models import AuditEntry
from server.checkin.models import Checkin, HoursEntry
from server.orgs.models import Person
from tests.support.factories import (
    login_as,
    make_activity,
    make_child,
    make_class,
    make_kindergarten,
    make_person,
    make_region,
)


async def _organizer(client, kg):
    return await login_as(client, "organizer", scope_id=kg.id, teacher_of=kg)


async def _missing_person_id() -> int:
    last = await Person.all().order_by("-id").first()
    return last.id + 10_000


async def _manual(client, who, activity, person_id: int):
    return await client.post(
        f"/api/v1/activities/{activity.id}/checkins",
        json={"person_id": person_id, "reason": "手机没电，现场确认"},
        headers=who.headers,
    )


async def test_an_outsider_is_refused_as_an_unknown_person_and_credited_nothing(client, scene):
    org = await _organizer(client, scene.kg)
    outsider = await make_person(teacher_of=await make_kindergarten(await make_region()))
    foreign = await _manual(client, org, scene.activity, outsider.id)
    unknown = await _manual(client, org, scene.activity, await _missing_person_id())
    assert foreign.status_code == 404, foreign.text
    assert (unknown.status_code, unknown.json()) == (foreign.status_code, foreign.json())
    assert not await Checkin.exists(person_id=outsider.id)
    assert not await HoursEntry.exists(person_id=outsider.id)
    assert not await AuditEntry.filter(action="checkin.manual").exists()


async def test_staff_of_a_kindergarten_outside_the_audience_are_refused(client):
    region = await make_region()
    host, neighbour = await make_kindergarten(region), await make_kindergarten(region)
    activity = await make_activity(host)
    org = await _organizer(client, host)
    stranger = await make_person(teacher_of=neighbour)
    refused = await _manual(client, org, activity, stranger.id)
    assert refused.status_code == 404 and refused.json()["error"] == "not_found"
    assert not await HoursEntry.exists(person_id=stranger.id)
    # Invited by name or presenting, the same person belongs to the activity.
    invited, presenter = stranger, await make_person(teacher_of=neighbour)
    await ActivityInvitee.create(activity=activity, person=invited)
    await Presenter.create(activity=activity, person=presenter, hours=1)
    for person in (invited, presenter):
        done = await _manual(client, org, activity, person.id)
        assert done.status_code == 201, done.text
    assert await HoursEntry.filter(person_id=invited.id, role="attendee").count() == 1


async def test_audience_staff_and_audience_families_are_checked_in_by_hand(client, scene):
    org = await _organizer(client, scene.kg)
    teacher = await make_person(teacher_of=scene.kg)
    done = await _manual(client, org, scene.activity, teacher.id)
    assert done.status_code == 201, done.text
    assert await HoursEntry.exists(person_id=teacher.id, activity_id=scene.activity.id)
    # A family activity's audience is the families, not the staff nor other families.
    open_day = await make_activity(
        scene.kg, kind=ActivityKind.OPEN_DAY, audience_mode=AudienceMode.FAMILIES
    )
    parent, other_parent = await make_person(), await make_person()
    await make_child(await make_class(scene.kg), guardian=parent)
    await make_child(await make_class(await make_kindergarten()), guardian=other_parent)
    assert (await _manual(client, org, open_day, parent.id)).status_code == 201
    refused = await _manual(client, org, open_day, other_parent.id)
    assert refused.status_code == 404
    assert not await Checkin.exists(activity_id=open_day.id, person_id=other_parent.id)


async def _checkin_of_scene(client, scene) -> int:
    org = await _organizer(client, scene.kg)
    teacher = await make_person(teacher_of=scene.kg)
    done = await _manual(client, org, scene.activity, teacher.id)
    assert done.status_code == 201, done.text
    return done.json()["id"]


async def _missing_checkin_id() -> int:
    last = await Checkin.all().order_by("-id").first()
    return (last.id if last else 0) + 10_000


async def test_another_regions_checkin_id_is_answered_as_an_unknown_one(client, scene):
    checkin_id = await _checkin_of_scene(client, scene)
    missing = await _missing_checkin_id()
    elsewhere = await make_kindergarten(await make_region())
    annul = ("annul", {"reason": "代人签到"})
    # Teachers may not annul at all (refused by role whatever the id); they may check out.
    for role, paths in (
        ("organizer", (("checkout", None), annul)),
        ("teacher", (("checkout", None),)),
    ):
        stranger = await login_as(client, role, scope_id=elsewhere.id, teacher_of=elsewhere)
        for path, body in paths:
            foreign = await client.post(
                f"/api/v1/checkins/{checkin_id}/{path}", json=body, headers=stranger.headers
            )
            unknown = await client.post(
                f"/api/v1/checkins/{missing}/{path}", json=body, headers=stranger.headers
            )
            assert foreign.status_code == 404, (role, path, foreign.text)
            assert (unknown.status_code, unknown.json()) == (404, foreign.json()), (role, path)
    checkin = await Checkin.get(id=checkin_id)
    assert checkin.annulled_at is None and checkin.checkout_at is None
