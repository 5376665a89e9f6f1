"""What each activity event tells whom, read from what the fan-out hands to delivery."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from server.activities import notify
from server.activities.models import (
    ActivityEvent,
    ActivityInvitee,
    ActivityKind,
    ActivityStatus,
    AudienceMode,
    Presenter,
)
from server.common.time import now
from tests.support.factories import (
    make_child,
    make_class,
    make_kindergarten,
    make_person,
)


@pytest.fixture
def sent(monkeypatch):
    """Every call the fan-out makes to delivery.notify, in order."""
    calls: list[dict] = []

    async def fake_notify(**kwargs):
        calls.append(kwargs)
        return SimpleNamespace(created=len(list(kwargs["person_ids"])), skipped=0, delivery_ids=[])

    monkeypatch.setattr(notify.delivery, "notify", fake_notify)
    return calls


async def _teacher_activity(**overrides):
    """A published 送教下乡 tomorrow: one invitee, one presenter, two staff in the audience."""
    from tests.support.factories import make_activity

    host = await make_kindergarten()
    staff = [await make_person(teacher_of=host) for _ in range(2)]
    invitee = await make_person(teacher_of=await make_kindergarten())
    presenter = await make_person(teacher_of=await make_kindergarten())
    start = (now() + timedelta(days=1)).replace(second=0, microsecond=0)
    activity = await make_activity(host, starts_at=start, title="送教下乡示范课", **overrides)
    await ActivityInvitee.create(activity=activity, person=invitee)
    await Presenter.create(activity=activity, person=presenter, hours=2, topic="示范课")
    people = SimpleNamespace(staff=staff, invitee=invitee, presenter=presenter)
    people.all = {p.id for p in [*staff, invitee, presenter]}
    return activity, people


async def _event(activity, kind: str, payload: dict) -> ActivityEvent:
    return await ActivityEvent.create(activity=activity, kind=kind, payload=payload)


def _place(activity) -> dict:
    return {
        "starts_at": activity.starts_at.isoformat(),
        "ends_at": activity.ends_at.isoformat(),
        "address": activity.address,
        "lat": activity.lat,
        "lng": activity.lng,
    }


async def test_published_event_goes_to_invitees_presenters_and_audience(client, sent):
    activity, people = await _teacher_activity()
    event = await _event(activity, "published", _place(activity))
    result = await notify.deliver_pending_events()
    assert result == {"events": 1, "failed": 0, "deliveries": 4}
    (call,) = sent
    assert set(call["person_ids"]) == people.all
    assert call["kind"] == "activity_published"
    assert call["key"] == f"activity:{activity.id}:announce"
    assert call["title"] == "「送教下乡示范课」已发布"
    assert activity.address in call["body"]
    assert call["page"] == f"pages/activity/index?id={activity.id}"
    assert call["fields"]["place"] == activity.address
    assert call["fields"]["status"] == "已发布"
    await event.refresh_from_db()
    assert event.processed_at is not None


async def test_processed_events_are_not_fanned_out_again(client, sent):
    activity, _ = await _teacher_activity()
    await _event(activity, "published", _place(activity))
    await notify.deliver_pending_events()
    await notify.deliver_pending_events()
    assert len(sent) == 1


async def test_failed_delivery_leaves_the_event_for_the_next_run(client, monkeypatch):
    activity, _ = await _teacher_activity()
    event = await _event(activity, "published", _place(activity))

    async def broken(**kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(notify.delivery, "notify", broken)
    result = await notify.deliver_pending_events()
    assert result["failed"] == 1
    await event.refresh_from_db()
    assert event.processed_at is None


async def test_cancel_tells_everyone_with_the_reason_and_the_planned_time(client, sent):
    activity, people = await _teacher_activity()
    await activity.filter(id=activity.id).update(
        status=ActivityStatus.CANCELLED, cancel_reason="暴雨红色预警"
    )
    event = await _event(activity, "cancelled", {"reason": "暴雨红色预警", **_place(activity)})
    await notify.deliver_pending_events()
    (call,) = sent
    assert set(call["person_ids"]) == people.all
    assert call["kind"] == "activity_cancelled"
    assert call["key"] == f"activity:{activity.id}:event:{event.id}"
    assert call["title"] == "「送教下乡示范课」已取消"
    assert "原因：暴雨红色预警" in call["body"] and activity.address in call["body"]
    assert call["fields"]["note"] == "暴雨红色预警"
    assert call["fields"]["status"] == "已取消"


async def test_move_tells_before_and_after(client, sent):
    activity, people = await _teacher_activity()
    before = _place(activity)
    new_start = activity.starts_at + timedelta(days=2)
    await activity.filter(id=activity.id).update(
        starts_at=new_start, ends_at=new_start + timedelta(hours=2), address="县教研室报告厅"
    )
    await activity.refresh_from_db()
    payload = {"before": before, "after": _place(activity), "fields": ["address", "starts_at"]}
    event = await _event(activity, "moved", payload)
    await notify.deliver_pending_events()
    (call,) = sent
    assert set(call["person_ids"]) == people.all
    assert call["kind"] == "activity_changed"
    assert call["key"] == f"activity:{activity.id}:event:{event.id}"
    assert call["title"] == "「送教下乡示范课」时间地点调整"
    old_when = notify.when_text(
        datetime.fromisoformat(before["starts_at"]), datetime.fromisoformat(before["ends_at"])
    )
    assert f"时间由 {old_when} 调整为" in call["body"]
    assert f"调整为 {notify.when_text(activity.starts_at, activity.ends_at)}" in call["body"]
    assert f"地点由 {before['address']} 调整为 县教研室报告厅" in call["body"]
    assert call["fields"]["note"].startswith("时间调整为")
    assert "地点调整为县教研室报告厅" in call["fields"]["note"]


async def test_a_corrected_map_pin_sends_nothing(client, sent):
    activity, _ = await _teacher_activity()
    before = _place(activity)
    after = {**before, "lat": 28.3}
    event = await _event(activity, "moved", {"before": before, "after": after, "fields": ["lat"]})
    await notify.deliver_pending_events()
    assert sent == []
    await event.refresh_from_db()
    assert event.processed_at is not None


async def test_a_title_change_sends_nothing(client, sent):
    activity, _ = await _teacher_activity()
    await _event(activity, "updated", {"fields": ["title"]})
    await notify.deliver_pending_events()
    assert sent == []


async def test_people_added_after_publishing_get_the_announcement(client, sent):
    activity, _ = await _teacher_activity()
    await _event(activity, "updated", {"fields": ["invitees"]})
    await notify.deliver_pending_events()
    (call,) = sent
    # Same key as the publication: delivery sends it only to those who lack it.
    assert call["key"] == f"activity:{activity.id}:announce"


async def test_events_of_a_cancelled_activity_announce_nothing_but_the_cancel(client, sent):
    activity, _ = await _teacher_activity()
    await _event(activity, "published", _place(activity))
    await activity.filter(id=activity.id).update(status=ActivityStatus.CANCELLED)
    await _event(activity, "cancelled", {"reason": "改期另行通知", **_place(activity)})
    await notify.deliver_pending_events()
    assert [c["kind"] for c in sent] == ["activity_cancelled"]
    assert not await ActivityEvent.filter(processed_at__isnull=True).exists()


async def test_family_activity_is_announced_to_presenters_only(client, sent):
    from tests.support.factories import make_activity

    host = await make_kindergarten()
    school_class = await make_class(host)
    parents = [await make_person() for _ in range(2)]
    for parent in parents:
        await make_child(school_class, guardian=parent)
    presenter = await make_person(teacher_of=host)
    activity = await make_activity(
        host,
        kind=ActivityKind.OPEN_DAY,
        audience_mode=AudienceMode.FAMILIES,
        starts_at=now() + timedelta(days=3),
        title="家长开放日",
    )
    await Presenter.create(activity=activity, person=presenter)
    await ActivityInvitee.create(activity=activity, person=parents[0])
    await _event(activity, "published", _place(activity))
    await notify.deliver_pending_events()
    (call,) = sent
    assert set(call["person_ids"]) == {presenter.id}
    # A cancel reaches every family of the audience.
    await activity.filter(id=activity.id).update(status=ActivityStatus.CANCELLED)
    await _event(activity, "cancelled", {"reason": "园内消杀", **_place(activity)})
    await notify.deliver_pending_events()
    assert set(sent[1]["person_ids"]) == {presenter.id, *(p.id for p in parents)}


async def test_a_failing_kick_never_fails_the_caller(client, monkeypatch, caplog):
    import server.jobs.broker as broker_module

    tried: list[tuple] = []

    async def broken(*args, **kwargs):
        tried.append((args, kwargs))
        raise ConnectionError("queue down")

    monkeypatch.setattr(broker_module, "enqueue", broken)
    with caplog.at_level("WARNING", logger=notify.log.name):
        await notify.notify_events_soon()  # logs and returns
    # What it tried to send: the fan-out job, once, with no arguments (it reads the events).
    assert [(args[1:], kwargs) for args, kwargs in tried] == [((notify.DELIVER_JOB,), {})]
    assert [r.getMessage() for r in caplog.records if r.name == notify.log.name] == [
        "activity events not queued, the cron will deliver: ConnectionError"
    ]
