"""Day-before and hour-before reminders: right windows, once, never to who checked in."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from server.activities.jobs import send_reminders
from server.activities.models import (
    ActivityEvent,
    ActivityInvitee,
    ActivityKind,
    ActivityStatus,
    AudienceMode,
    Presenter,
)
from server.checkin.models import Checkin, CheckinMethod
from server.common.time import china, now
from server.delivery.models import Delivery
from tests.support.factories import (
    make_activity,
    make_child,
    make_class,
    make_kindergarten,
    make_person,
)


async def reminders() -> list[dict]:
    """Reminder messages as delivered: one entry per key, with its title, body and people."""
    by_key: dict[str, dict] = {}
    for row in await Delivery.filter(kind="activity_reminder").order_by("id"):
        entry = by_key.setdefault(
            row.key, {"key": row.key, "title": row.title, "body": row.body, "person_ids": []}
        )
        entry["person_ids"].append(row.person_id)
    return list(by_key.values())


async def _activity(start_in: timedelta, **overrides):
    """A published 送教下乡 starting `start_in` from now; two staff, an invitee, a presenter."""
    host = await make_kindergarten()
    staff = [await make_person(teacher_of=host) for _ in range(2)]
    invitee = await make_person()
    presenter = await make_person()
    start = (now() + start_in).replace(microsecond=0)
    activity = await make_activity(host, starts_at=start, title="送教下乡示范课", **overrides)
    await ActivityInvitee.create(activity=activity, person=invitee)
    await Presenter.create(activity=activity, person=presenter)
    ids = {p.id for p in [*staff, invitee, presenter]}
    return activity, SimpleNamespace(staff=staff, invitee=invitee, presenter=presenter, all=ids)


@pytest.mark.parametrize("hours", [29, 19.5, 3, 0.5])
async def test_no_reminder_outside_the_windows(client, hours):
    await _activity(timedelta(hours=hours))
    assert await send_reminders(at=now()) == {"day": 0, "hour": 0, "failed": 0}
    assert await reminders() == []


async def test_day_before_reminder_goes_once_to_everyone_expected(client):
    activity, people = await _activity(timedelta(hours=24))
    at = now()
    counts = await send_reminders(at=at)
    assert counts["day"] == 4 and counts["hour"] == 0
    (call,) = await reminders()
    assert set(call["person_ids"]) == people.all
    starts = china(activity.starts_at)
    assert call["key"] == f"activity:{activity.id}:remind:day:{starts.isoformat()}"
    assert call["title"] == f"「送教下乡示范课」明天{starts:%H:%M}开始"
    assert activity.address in call["body"]
    # The next runs of the 5-minute cron, and a rerun, send nothing more.
    for minutes in (0, 5, 10, 60):
        await send_reminders(at=at + timedelta(minutes=minutes))
    assert len(await reminders()) == 1


async def test_a_five_minute_cron_sends_one_day_and_one_hour_reminder(client):
    activity, people = await _activity(timedelta(hours=30))
    at = now()
    while at < activity.starts_at:
        await send_reminders(at=at)
        at += timedelta(minutes=5)
    sent = await reminders()
    assert [m["key"].split(":")[3] for m in sent] == ["day", "hour"]
    assert all(sorted(m["person_ids"]) == sorted(people.all) for m in sent)


async def test_hour_before_reminder_skips_those_checked_in(client):
    activity, people = await _activity(timedelta(minutes=60))
    await Checkin.create(
        activity=activity,
        person=people.staff[0],
        method=CheckinMethod.STATIC,
        scanned_at=now(),
    )
    # An annulled check-in does not count: she is still expected.
    await Checkin.create(
        activity=activity,
        person=people.staff[1],
        method=CheckinMethod.STATIC,
        scanned_at=now(),
        annulled_at=now(),
    )
    counts = await send_reminders(at=now())
    assert counts == {"day": 0, "hour": 3, "failed": 0}
    (call,) = await reminders()
    assert set(call["person_ids"]) == people.all - {people.staff[0].id}
    assert ":remind:hour:" in call["key"]
    starts = china(activity.starts_at)
    assert call["title"] == f"「送教下乡示范课」将于{starts:%H:%M}开始"


@pytest.mark.parametrize(
    "status", [ActivityStatus.CANCELLED, ActivityStatus.DRAFT, ActivityStatus.FINISHED]
)
async def test_no_reminders_unless_published(client, status):
    await _activity(timedelta(hours=24), status=status)
    await _activity(timedelta(minutes=60), status=status)
    await send_reminders(at=now())
    assert await reminders() == []


async def test_a_moved_activity_is_reminded_of_its_new_time(client):
    activity, _ = await _activity(timedelta(hours=24))
    at = now()
    await send_reminders(at=at)
    new_start = activity.starts_at + timedelta(hours=3)
    await activity.filter(id=activity.id).update(
        starts_at=new_start, ends_at=new_start + timedelta(hours=2)
    )
    await send_reminders(at=at + timedelta(hours=3))
    sent = await reminders()
    assert len(sent) == 2
    assert sent[0]["key"] != sent[1]["key"]
    assert sent[1]["key"].endswith(china(new_start).isoformat())
    assert set(sent[1]["person_ids"]) == set(sent[0]["person_ids"])


async def test_day_reminder_waits_after_a_fresh_announcement(client):
    activity, _ = await _activity(timedelta(hours=24))
    await ActivityEvent.create(activity=activity, kind="published", payload={})
    await send_reminders(at=now())
    assert await reminders() == []
    # Two hours later the start is still a day away: the reminder goes.
    await send_reminders(at=now() + timedelta(hours=2, minutes=5))
    assert len(await reminders()) == 1


async def test_family_activity_reminds_only_named_people(client):
    host = await make_kindergarten()
    school_class = await make_class(host)
    yes_parent, other_parent = await make_person(), await make_person()
    for parent in (yes_parent, other_parent):
        await make_child(school_class, guardian=parent)
    presenter = await make_person(teacher_of=host)
    activity = await make_activity(
        host,
        kind=ActivityKind.OPEN_DAY,
        audience_mode=AudienceMode.FAMILIES,
        starts_at=now() + timedelta(minutes=60),
    )
    await ActivityInvitee.create(activity=activity, person=yes_parent)
    await Presenter.create(activity=activity, person=presenter)
    await send_reminders(at=now())
    (call,) = await reminders()
    assert set(call["person_ids"]) == {yes_parent.id, presenter.id}


async def test_both_jobs_are_on_the_cron_table():
    from server.jobs.registry import JOB_MODULES, registered_jobs

    assert "server.activities.jobs" in JOB_MODULES
    jobs = registered_jobs()
    assert jobs["activities.deliver_events"][1] == ("* * * * *",)
    assert jobs["activities.send_reminders"][1] == ("*/5 * * * *",)
