"""Publish, move, cancel, finish: events for everyone concerned, audit, hours."""

from __future__ import annotations

from datetime import timedelta

from server.activities.models import Activity, ActivityEvent
from server.audit.models import AuditEntry
from server.checkin.models import HoursEntry, HoursRole
from tests.activities.helpers import ACTIVITIES, create, parse_time, publish, refused
from tests.support.world import make_world


async def test_publish_records_an_event_and_an_audit_entry(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    shown = await publish(client, world, made["id"])
    assert shown["status"] == "published" and shown["status_label"] == "已发布"
    assert await ActivityEvent.filter(activity_id=made["id"], kind="published").count() == 1
    entry = await AuditEntry.get(activity_id=made["id"], action="activity.publish")
    assert entry.actor_id == world.organizer.person.id
    again = await client.post(
        f"/api/v1/activities/{made['id']}/publish", headers=world.organizer.headers
    )
    refused(again, 409, "not_draft")


async def test_moving_a_published_activity_records_before_and_after(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    await publish(client, world, made["id"])
    new_start = parse_time(made["starts_at"]) + timedelta(days=2)
    new_end = parse_time(made["ends_at"]) + timedelta(days=2)
    resp = await client.patch(
        f"/api/v1/activities/{made['id']}",
        json={
            "starts_at": new_start.isoformat(),
            "ends_at": new_end.isoformat(),
            "address": "县教研室报告厅",
        },
        headers=world.partner.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 2
    event = await ActivityEvent.get(activity_id=made["id"], kind="moved")
    assert event.payload["before"]["address"] == made["address"]
    assert event.payload["after"]["address"] == "县教研室报告厅"
    assert parse_time(event.payload["before"]["starts_at"]) == parse_time(made["starts_at"])
    assert parse_time(event.payload["after"]["starts_at"]) == new_start
    # The notifications domain delivers the event in the background (a worker on the
    # services backend may have done so already): whether it has is not this test's business.
    entry = await AuditEntry.get(activity_id=made["id"], action="activity.move")
    assert entry.actor_id == world.partner.person.id
    assert entry.detail["after"]["address"] == "县教研室报告厅"


async def test_changing_a_draft_is_not_a_move(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    resp = await client.patch(
        f"/api/v1/activities/{made['id']}",
        json={"address": "另一间教室"},
        headers=world.organizer.headers,
    )
    assert resp.status_code == 200
    assert not await ActivityEvent.filter(activity_id=made["id"]).exists()


async def test_plan_changes_keep_the_poster_version(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    await publish(client, world, made["id"])
    resp = await client.patch(
        f"/api/v1/activities/{made['id']}",
        json={"plan": "新的计划"},
        headers=world.organizer.headers,
    )
    assert resp.json()["version"] == 1
    assert not await ActivityEvent.filter(activity_id=made["id"], kind="moved").exists()


async def test_cancel_records_event_audit_and_revokes_hours(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    await publish(client, world, made["id"])
    # Hours credited earlier (e.g. an attendee) are taken back on cancel.
    await HoursEntry.create(
        person_id=world.presenter.id,
        activity_id=made["id"],
        role=HoursRole.ATTENDEE,
        hours=1.5,
        semester="2026秋",
    )
    resp = await client.post(
        f"/api/v1/activities/{made['id']}/cancel",
        json={"reason": "暴雨红色预警，活动取消"},
        headers=world.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["status"] == "cancelled" and data["status_label"] == "已取消"
    assert data["cancel_reason"] == "暴雨红色预警，活动取消" and data["version"] == 2
    event = await ActivityEvent.get(activity_id=made["id"], kind="cancelled")
    assert event.payload["reason"] == "暴雨红色预警，活动取消"
    entry = await AuditEntry.get(activity_id=made["id"], action="activity.cancel")
    assert entry.reason == "暴雨红色预警，活动取消"
    assert entry.actor_id == world.organizer.person.id
    assert not await HoursEntry.filter(activity_id=made["id"]).exists()


async def test_cancel_needs_a_reason(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    resp = await client.post(
        f"/api/v1/activities/{made['id']}/cancel",
        json={"reason": "  "},
        headers=world.organizer.headers,
    )
    refused(resp, 400, "invalid_reason")


async def test_cancelled_and_finished_activities_cannot_be_edited(client):
    world = await make_world(client, ACTIVITIES)
    headers = world.organizer.headers
    cancelled = await create(client, world)
    await client.post(
        f"/api/v1/activities/{cancelled['id']}/cancel", json={"reason": "改期"}, headers=headers
    )
    finished = await create(client, world, start_in=-3, length=2)
    await publish(client, world, finished["id"])
    resp = await client.post(f"/api/v1/activities/{finished['id']}/finish", headers=headers)
    assert resp.status_code == 200, resp.text
    for made in (cancelled, finished):
        url = f"/api/v1/activities/{made['id']}"
        refused(await client.patch(url, json={"title": "改"}, headers=headers), 409, "not_editable")
        resp = await client.post(f"{url}/cancel", json={"reason": "再取消"}, headers=headers)
        refused(resp, 409, "not_editable")
        refused(await client.post(f"{url}/publish", headers=headers), 409, "not_draft")
    # A cancelled draft was never announced: no event, but the audit keeps it.
    assert not await ActivityEvent.filter(activity_id=cancelled["id"]).exists()
    assert await AuditEntry.exists(activity_id=cancelled["id"], action="activity.cancel")


async def test_finish_credits_presenter_hours(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world, start_in=-3, length=2)
    await publish(client, world, made["id"])
    resp = await client.post(
        f"/api/v1/activities/{made['id']}/finish", headers=world.organizer.headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "finished" and resp.json()["status_label"] == "已结束"
    entry = await HoursEntry.get(activity_id=made["id"], role=HoursRole.PRESENTER)
    assert entry.person_id == world.presenter.id and entry.hours == 2
    assert await AuditEntry.exists(activity_id=made["id"], action="activity.finish")
    assert (await Activity.get(id=made["id"])).status == "finished"


async def test_finish_refuses_drafts_and_activities_not_started(client):
    world = await make_world(client, ACTIVITIES)
    headers = world.organizer.headers
    draft = await create(client, world, start_in=-3, length=2)
    resp = await client.post(f"/api/v1/activities/{draft['id']}/finish", headers=headers)
    refused(resp, 409, "not_published")
    future = await create(client, world)
    await publish(client, world, future["id"])
    resp = await client.post(f"/api/v1/activities/{future['id']}/finish", headers=headers)
    refused(resp, 409, "not_started")
    assert not await HoursEntry.exists()
