"""Activities: organizers and directors create, list, show and change them within scope."""

from __future__ import annotations

from datetime import timedelta

from server.activities.models import Activity, ActivityAudience, ActivityInvitee, Presenter
from tests.activities.helpers import ACTIVITIES, at, create, parse_time, payload, publish, refused
from tests.support.factories import (
    login_as,
    make_child,
    make_class,
    make_kindergarten,
    make_person,
)
from tests.support.world import make_world


async def test_a_joint_research_of_a_pairing_is_for_both_sides_by_default(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world, kind="联合教研")
    assert {k["id"] for k in made["audience"]} == {world.supporting.id, world.supported.id}


async def test_organizer_creates_a_draft_with_default_checkin_window(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    starts, ends = parse_time(made["starts_at"]), parse_time(made["ends_at"])
    assert made["status"] == "draft" and made["status_label"] == "草稿"
    assert made["kind"] == "送教下乡" and made["host_name"] == world.supported.name
    assert parse_time(made["checkin_opens_at"]) == starts - timedelta(minutes=30)
    assert parse_time(made["late_after"]) == starts + timedelta(minutes=10)
    assert parse_time(made["checkin_closes_at"]) == ends
    assert made["starts_at"].endswith("+08:00")  # shown in China time
    assert made["presenters"] == [
        {
            "person_id": world.presenter.id,
            "name": world.presenter.name,
            "hours": 2.0,
            "topic": "示范课",
            "class_name": "",
            "subject_area": "",
        }
    ]
    # A 送教 is help for the supported side: its staff alone are the audience by default
    # (the sending side presents and organizes; issue 16, item 14).
    assert [k["id"] for k in made["audience"]] == [world.supported.id]
    assert made["audience_mode"] == "kindergartens" and made["can_manage"] is True
    stored = await Activity.get(id=made["id"])
    assert stored.created_by_id == world.organizer.person.id and len(stored.code) == 8
    assert stored.secret and stored.version == 1


async def test_each_lesson_keeps_its_class_and_subject_area(client):
    world = await make_world(client, ACTIVITIES)
    lesson = {"person_id": world.presenter.id, "hours": 1, "topic": "示范课《小蝌蚪找妈妈》"}
    made = await create(
        client, world, presenters=[{**lesson, "class_name": "大二班", "subject_area": "语言领域"}]
    )
    assert made["presenters"][0]["class_name"] == "大二班"
    assert made["presenters"][0]["subject_area"] == "语言"  # stored without the word 领域
    resp = await client.post(
        "/api/v1/activities",
        json=payload(world, presenters=[{**lesson, "subject_area": "数学"}]),
        headers=world.organizer.headers,
    )
    assert "健康、语言、社会、科学、艺术" in refused(resp, 400, "invalid_subject_area")["message"]


async def test_director_of_the_host_creates_and_partner_organizer_manages(client):
    world = await make_world(client, ACTIVITIES)
    director = await login_as(client, "director", scope_id=world.supported.id)
    # Without a pairing the presenter is one of the host's own staff.
    own = await make_person(teacher_of=world.supported)
    resp = await client.post(
        "/api/v1/activities",
        json=payload(
            world,
            pairing_id=None,
            title="园内教研",
            presenters=[{"person_id": own.id, "hours": 2, "topic": "示范课"}],
        ),
        headers=director.headers,
    )
    assert resp.status_code == 201, resp.text
    activity_id = resp.json()["id"]
    # The supported side's organizer also runs it (she is the host's organizer).
    resp = await client.patch(
        f"/api/v1/activities/{activity_id}",
        json={"plan": "说课、评课"},
        headers=world.partner.headers,
    )
    assert resp.status_code == 200 and resp.json()["plan"] == "说课、评课"


async def test_invitees_audience_and_counts_are_shown(client):
    world = await make_world(client, ACTIVITIES)
    people = [await make_person(teacher_of=world.supported) for _ in range(3)]
    made = await create(
        client,
        world,
        audience_mode="invited",
        invitee_ids=[p.id for p in people] + [people[0].id],
    )
    assert made["audience_mode"] == "invited" and made["audience"] == []
    assert made["invitees_count"] == 3 and made["invitee_ids"] == sorted(p.id for p in people)
    assert await ActivityInvitee.filter(activity_id=made["id"]).count() == 3


async def test_family_activity_defaults_to_the_hosts_families(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world, kind="家长开放日", title="大班家长开放日")
    assert made["audience_mode"] == "families"
    assert [k["id"] for k in made["audience"]] == [world.supported.id]


async def test_venue_defaults_to_the_host_kindergarten(client):
    world = await make_world(client, ACTIVITIES)
    body = payload(world)
    for key in ("address", "lat", "lng"):
        body.pop(key)
    resp = await client.post("/api/v1/activities", json=body, headers=world.organizer.headers)
    assert resp.status_code == 201, resp.text
    made = resp.json()
    assert (made["lat"], made["lng"]) == (world.supported.lat, world.supported.lng)


async def test_list_filters_and_pages(client):
    world = await make_world(client, ACTIVITIES)
    first = await create(client, world, start_in=24)
    second = await create(client, world, start_in=72, kind="专题讲座", title="专题讲座")
    await create(client, world, start_in=24 * 40, title="下月活动")
    await publish(client, world, second["id"])
    headers = world.organizer.headers

    everything = (await client.get("/api/v1/activities", headers=headers)).json()
    assert everything["total"] == 3 and len(everything["items"]) == 3
    assert everything["items"][0]["title"] == "下月活动"  # newest start first

    page = (await client.get("/api/v1/activities?limit=1&offset=1", headers=headers)).json()
    assert page["total"] == 3 and [a["id"] for a in page["items"]] == [second["id"]]

    lectures = (await client.get("/api/v1/activities?kind=专题讲座", headers=headers)).json()
    assert [a["id"] for a in lectures["items"]] == [second["id"]]
    published = (await client.get("/api/v1/activities?status=published", headers=headers)).json()
    assert [a["id"] for a in published["items"]] == [second["id"]]
    drafts = (await client.get("/api/v1/activities?status=draft", headers=headers)).json()
    assert drafts["total"] == 2

    day = at(24).astimezone(parse_time(first["starts_at"]).tzinfo).date().isoformat()
    window = (await client.get(f"/api/v1/activities?from={day}&to={day}", headers=headers)).json()
    assert [a["id"] for a in window["items"]] == [first["id"]]
    by_pairing = (
        await client.get(f"/api/v1/activities?pairing_id={world.pairing.id}", headers=headers)
    ).json()
    assert by_pairing["total"] == 3
    by_host = (
        await client.get(f"/api/v1/activities?host_id={world.supporting.id}", headers=headers)
    ).json()
    assert by_host["total"] == 0


async def test_list_refuses_an_unknown_status_in_chinese(client):
    world = await make_world(client, ACTIVITIES)
    resp = await client.get("/api/v1/activities?status=maybe", headers=world.organizer.headers)
    refused(resp, 400, "invalid_input")
    resp = await client.get("/api/v1/activities?from=tomorrow", headers=world.organizer.headers)
    refused(resp, 400, "invalid_input")


async def test_ongoing_is_shown_between_start_and_end(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world, start_in=-0.5, length=2)
    assert made["status"] == "draft"  # a draft is never ongoing
    shown = await publish(client, world, made["id"])
    assert shown["status"] == "ongoing" and shown["status_label"] == "进行中"
    assert (await Activity.get(id=made["id"])).status == "published"
    ongoing = (
        await client.get("/api/v1/activities?status=ongoing", headers=world.organizer.headers)
    ).json()
    assert [a["id"] for a in ongoing["items"]] == [made["id"]]


async def test_patch_changes_fields_and_replaces_lists(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    other = await make_person(teacher_of=world.supporting)
    resp = await client.patch(
        f"/api/v1/activities/{made['id']}",
        json={
            "title": "  送教下乡（第二期）  ",
            "presenters": [{"person_id": other.id, "hours": 1, "topic": "评课"}],
            "audience_kindergarten_ids": [world.supported.id],
            "radius_m": 800,
        },
        headers=world.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["title"] == "送教下乡（第二期）" and data["radius_m"] == 800
    assert [p["person_id"] for p in data["presenters"]] == [other.id]
    assert await Presenter.filter(activity_id=made["id"]).count() == 1
    assert await ActivityAudience.filter(activity_id=made["id"]).count() == 1
    assert data["version"] == 2  # the title is on the poster


async def test_moving_the_start_shifts_the_window_with_it(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world, late_after=None)
    new_start = parse_time(made["starts_at"]) + timedelta(days=1)
    new_end = parse_time(made["ends_at"]) + timedelta(days=1)
    resp = await client.patch(
        f"/api/v1/activities/{made['id']}",
        json={"starts_at": new_start.isoformat(), "ends_at": new_end.isoformat()},
        headers=world.organizer.headers,
    )
    data = resp.json()
    assert parse_time(data["checkin_opens_at"]) == new_start - timedelta(minutes=30)
    assert parse_time(data["checkin_closes_at"]) == new_end


async def test_times_without_zone_are_china_time(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(
        client,
        world,
        starts_at="2027-05-20T09:00:00",
        ends_at="2027-05-20T11:30:00",
    )
    assert made["starts_at"] == "2027-05-20T09:00:00+08:00"


async def test_teacher_cannot_create(client):
    world = await make_world(client, ACTIVITIES)
    teacher = await login_as(client, "teacher", scope_id=world.supported.id)
    resp = await client.post("/api/v1/activities", json=payload(world), headers=teacher.headers)
    refused(resp, 403, "forbidden")


async def test_organizer_of_another_kindergarten_cannot_create_or_touch(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    stranger_kg = await make_kindergarten()
    stranger = await login_as(client, "organizer", scope_id=stranger_kg.id)
    refused(
        await client.post(
            "/api/v1/activities", json=payload(world, pairing_id=None), headers=stranger.headers
        ),
        403,
        "forbidden",
    )
    # A pairing out of her sight is answered as one that does not exist.
    refused(
        await client.post("/api/v1/activities", json=payload(world), headers=stranger.headers),
        400,
        "invalid_pairing",
    )
    for method, path, body in (
        ("GET", f"/api/v1/activities/{made['id']}", None),
        ("PATCH", f"/api/v1/activities/{made['id']}", {"title": "改名"}),
        ("POST", f"/api/v1/activities/{made['id']}/publish", None),
        ("POST", f"/api/v1/activities/{made['id']}/cancel", {"reason": "不办了"}),
        ("GET", f"/api/v1/activities/{made['id']}/code", None),
        ("GET", f"/api/v1/activities/{made['id']}/poster.png", None),
    ):
        resp = await client.request(method, path, json=body, headers=stranger.headers)
        refused(resp, 404, "not_found")
    listed = (await client.get("/api/v1/activities", headers=stranger.headers)).json()
    assert listed == {"items": [], "total": 0}


async def test_teacher_of_the_host_sees_but_cannot_manage(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    teacher = await login_as(client, "teacher", scope_id=world.supported.id)
    shown = (await client.get(f"/api/v1/activities/{made['id']}", headers=teacher.headers)).json()
    assert shown["title"] == made["title"] and shown["can_manage"] is False
    assert "invitee_ids" not in shown
    resp = await client.patch(
        f"/api/v1/activities/{made['id']}", json={"title": "x"}, headers=teacher.headers
    )
    refused(resp, 403, "forbidden")


async def test_parent_cannot_see_a_non_family_activity_but_sees_an_open_day(client):
    world = await make_world(client, ACTIVITIES)
    lesson = await create(client, world)
    open_day = await create(client, world, kind="家长开放日", title="家长开放日")
    guardian = await make_person()
    child = await make_child(await make_class(world.supported), guardian=guardian)
    parent = await login_as(client, "parent", scope_kind="child", scope_id=child.id)
    resp = await client.get(f"/api/v1/activities/{lesson['id']}", headers=parent.headers)
    refused(resp, 404, "not_found")
    shown = await client.get(f"/api/v1/activities/{open_day['id']}", headers=parent.headers)
    assert shown.status_code == 200
    # Families see topics and hours, never the presenters' names.
    assert all(p["name"] is None for p in shown.json()["presenters"])
    listed = (await client.get("/api/v1/activities", headers=parent.headers)).json()
    assert [a["id"] for a in listed["items"]] == [open_day["id"]]


async def test_secret_never_leaves_the_server(client, api):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    secret = (await Activity.get(id=made["id"])).secret
    headers = world.organizer.headers
    answers = [
        made,
        (await client.get(f"/api/v1/activities/{made['id']}", headers=headers)).json(),
        (await client.get("/api/v1/activities", headers=headers)).json(),
        (await client.get(f"/api/v1/activities/{made['id']}/code", headers=headers)).json(),
        (
            await client.patch(
                f"/api/v1/activities/{made['id']}", json={"plan": "计划"}, headers=headers
            )
        ).json(),
        await publish(client, world, made["id"]),
        (
            await client.post(f"/api/v1/activities/{made['id']}/projector-link", headers=headers)
        ).json(),
        (
            await client.get(f"/api/v1/activities/{made['id']}/rotating-code", headers=headers)
        ).json(),
        (
            await client.post(
                f"/api/v1/activities/{made['id']}/cancel",
                json={"reason": "暴雨"},
                headers=headers,
            )
        ).json(),
    ]
    for answer in answers:
        assert "secret" not in str(answer) and secret not in str(answer), answer
