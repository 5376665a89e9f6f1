"""Publishing, moving and cancelling through the api reach people's inboxes, once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from server.activities import notify
from server.activities.jobs import deliver_events, send_reminders
from server.activities.models import ActivityEvent
from server.common.time import now
from server.delivery.models import Delivery
from tests.activities.helpers import ACTIVITIES, create, parse_time, publish
from tests.support.factories import (
    login,
    make_activity,
    make_child,
    make_class,
    make_kindergarten,
    make_person,
    unique,
)
from tests.support.world import make_world


async def processed(activity_id: int, kind: str, *, seconds: float = 10) -> ActivityEvent:
    """The activity's `kind` event once the kicked job has fanned it out."""
    for _ in range(int(seconds / 0.05)):
        event = await ActivityEvent.filter(activity_id=activity_id, kind=kind).first()
        if event is not None and event.processed_at is not None:
            return event
        await asyncio.sleep(0.05)
    raise AssertionError(f"{kind} event of activity {activity_id} was not delivered in time")


async def recipients(activity_id: int, kind: str) -> dict[int, Delivery]:
    """Deliveries of this activity's messages of `kind`, by person."""
    rows = await Delivery.filter(key__startswith=f"activity:{activity_id}:", kind=kind)
    by_person = {row.person_id: row for row in rows}
    assert len(by_person) == len(rows), "someone got the same message twice"
    return by_person


async def _people(world):
    """A teacher of the supported side (audience) and a guest teacher invited by name.

    The guest works at the supporting side (invitees are staff of the activity's
    kindergartens), which the activities below leave out of the audience.
    """
    teacher = await make_person(teacher_of=world.supported)
    guest = await make_person(teacher_of=world.supporting)
    return teacher, guest


async def test_publishing_tells_invitees_presenters_and_audience(client):
    world = await make_world(client, ACTIVITIES)
    teacher, guest = await _people(world)
    made = await create(
        client, world, audience_kindergarten_ids=[world.supported.id], invitee_ids=[guest.id]
    )
    assert not await Delivery.exists()  # a draft tells nobody
    await publish(client, world, made["id"])
    await processed(made["id"], "published")
    got = await recipients(made["id"], "activity_published")
    # The presenter is staff of the supporting side; organizers here are not staff.
    assert set(got) == {world.presenter.id, teacher.id, guest.id}
    row = got[guest.id]
    assert row.title == f"「{made['title']}」已发布"
    assert made["address"] in row.body
    assert row.page == f"pages/activity/index?id={made['id']}"
    assert parse_time(row.field_values["time"]) == parse_time(made["starts_at"])
    # The guest reads it in her inbox.
    me = await login(client, unique("guest-"), person=guest)
    inbox = (await client.get("/api/v1/inbox", headers=me.headers)).json()
    assert [item["title"] for item in inbox["items"]] == [row.title]


async def test_cancelling_tells_everyone_at_once_with_the_reason(client):
    world = await make_world(client, ACTIVITIES)
    teacher, guest = await _people(world)
    made = await create(
        client,
        world,
        audience_kindergarten_ids=[world.supported.id],
        invitee_ids=[guest.id],
        start_in=24,
    )
    await publish(client, world, made["id"])
    await processed(made["id"], "published")
    resp = await client.post(
        f"/api/v1/activities/{made['id']}/cancel",
        json={"reason": "暴雨红色预警，活动取消"},
        headers=world.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    await processed(made["id"], "cancelled")
    got = await recipients(made["id"], "activity_cancelled")
    assert set(got) == {world.presenter.id, teacher.id, guest.id}
    row = got[teacher.id]
    assert row.title == f"「{made['title']}」已取消"
    assert "原因：暴雨红色预警，活动取消" in row.body and made["address"] in row.body
    assert row.field_values["note"] == "暴雨红色预警，活动取消"
    # No reminders for a cancelled activity, even in the day-before window.
    await send_reminders(at=now() + timedelta(hours=1))
    await send_reminders(at=parse_time(made["starts_at"]) - timedelta(hours=1))
    assert await recipients(made["id"], "activity_reminder") == {}


async def test_moving_tells_everyone_before_and_after(client):
    world = await make_world(client, ACTIVITIES)
    teacher, guest = await _people(world)
    made = await create(
        client, world, audience_kindergarten_ids=[world.supported.id], invitee_ids=[guest.id]
    )
    await publish(client, world, made["id"])
    await processed(made["id"], "published")
    new_start = parse_time(made["starts_at"]) + timedelta(days=1)
    resp = await client.patch(
        f"/api/v1/activities/{made['id']}",
        json={
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + timedelta(hours=2)).isoformat(),
            "address": "县教研室报告厅",
        },
        headers=world.partner.headers,
    )
    assert resp.status_code == 200, resp.text
    await processed(made["id"], "moved")
    got = await recipients(made["id"], "activity_changed")
    assert set(got) == {world.presenter.id, teacher.id, guest.id}
    row = got[guest.id]
    assert row.title == f"「{made['title']}」时间地点调整"
    old_when = notify.when_text(parse_time(made["starts_at"]), parse_time(made["ends_at"]))
    new_when = notify.when_text(new_start, new_start + timedelta(hours=2))
    assert f"时间由 {old_when} 调整为 {new_when}" in row.body
    assert f"地点由 {made['address']} 调整为 县教研室报告厅" in row.body
    assert row.field_values["note"] == f"时间调整为{new_when}；地点调整为县教研室报告厅"
    # Nobody was announced to twice by the move.
    assert len(await recipients(made["id"], "activity_published")) == 3


async def test_a_new_invitee_hears_of_a_published_activity_and_others_hear_nothing_new(client):
    world = await make_world(client, ACTIVITIES)
    teacher, guest = await _people(world)
    made = await create(client, world, audience_kindergarten_ids=[world.supported.id])
    await publish(client, world, made["id"])
    await processed(made["id"], "published")
    resp = await client.patch(
        f"/api/v1/activities/{made['id']}",
        json={"invitee_ids": [guest.id], "title": "送教下乡：中班科学活动"},
        headers=world.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    await processed(made["id"], "updated")
    got = await recipients(made["id"], "activity_published")
    assert set(got) == {world.presenter.id, teacher.id, guest.id}
    assert got[guest.id].title == "「送教下乡：中班科学活动」已发布"
    assert await Delivery.filter(person_id=teacher.id).count() == 1


async def test_running_deliver_events_twice_sends_once(client):
    host = await make_kindergarten()
    staff = [await make_person(teacher_of=host) for _ in range(3)]
    activity = await make_activity(host, starts_at=now() + timedelta(days=2))
    await ActivityEvent.create(activity=activity, kind="published", payload={})
    # Two runs at once (the kick and the cron), then a rerun after a crash lost the mark.
    await asyncio.gather(deliver_events(), deliver_events())
    await ActivityEvent.filter(activity_id=activity.id).update(processed_at=None)
    again = await deliver_events()
    assert again == {"events": 1, "failed": 0, "deliveries": 0}
    got = await recipients(activity.id, "activity_published")
    assert set(got) == {p.id for p in staff}


async def test_a_failed_kick_is_caught_up_by_the_cron(client, monkeypatch):
    import server.jobs.broker as broker_module

    async def broken(*args, **kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(broker_module, "enqueue", broken)
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    await publish(client, world, made["id"])  # the request succeeds all the same
    event = await ActivityEvent.get(activity_id=made["id"], kind="published")
    assert event.processed_at is None
    await deliver_events()
    assert set(await recipients(made["id"], "activity_published")) == {world.presenter.id}


async def test_family_open_day_is_announced_by_notice_but_its_cancel_reaches_families(client):
    world = await make_world(client, ACTIVITIES)
    school_class = await make_class(world.supported)
    parents = [await make_person() for _ in range(2)]
    for parent in parents:
        await make_child(school_class, guardian=parent)
    made = await create(
        client,
        world,
        kind="家长开放日",
        title="小班家长开放日",
        audience_mode="families",
        audience_kindergarten_ids=[world.supported.id],
    )
    await publish(client, world, made["id"])
    await processed(made["id"], "published")
    # Families hear of it through the notice; only the presenter gets the announcement.
    assert set(await recipients(made["id"], "activity_published")) == {world.presenter.id}
    resp = await client.post(
        f"/api/v1/activities/{made['id']}/cancel",
        json={"reason": "园内消杀，改期另行通知"},
        headers=world.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    await processed(made["id"], "cancelled")
    got = await recipients(made["id"], "activity_cancelled")
    assert set(got) == {world.presenter.id, *(p.id for p in parents)}
