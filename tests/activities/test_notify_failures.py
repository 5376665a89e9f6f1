"""No silent failure: an activity message that cannot go out is given up, said, and counted."""

from __future__ import annotations

from datetime import timedelta

from server.activities import notify
from server.activities.jobs import deliver_events, send_reminders
from server.activities.models import ActivityEvent
from server.common.time import now
from server.jobs.failures import MAX_ATTEMPTS
from tests.metrics.test_metrics import moved, scrape
from tests.support.factories import make_activity, make_kindergarten, make_person


def broken_send(monkeypatch) -> list[str]:
    """The delivery engine raises for every message; answers the keys it was handed."""
    calls: list[str] = []

    async def send(message):
        calls.append(message.key)
        raise AttributeError("'str' object has no attribute 'astimezone'")

    monkeypatch.setattr(notify, "send", send)
    return calls


async def test_an_event_that_keeps_failing_is_given_up_with_a_reason(client, monkeypatch):
    host = await make_kindergarten()
    await make_person(teacher_of=host)
    activity = await make_activity(host, starts_at=now() + timedelta(days=2))
    event = await ActivityEvent.create(activity=activity, kind="cancelled", payload={})
    calls = broken_send(monkeypatch)
    before = await scrape(client)
    for _ in range(MAX_ATTEMPTS + 3):
        await deliver_events()
    # Tried up to the cap, then no more: no loop every minute.
    assert len([key for key in calls if key == f"activity:{activity.id}:event:{event.id}"]) == (
        MAX_ATTEMPTS
    )
    assert (await ActivityEvent.get(id=event.id)).processed_at is None
    reason = await notify.event_failure(activity_id=activity.id)
    assert reason is not None and "取消通知未能发出" in reason
    counted = moved(before, await scrape(client))
    given_up = 'songjiao_job_failures_total{job="activities.deliver_events",outcome="given_up"}'
    assert counted[given_up] == 1
    assert (await scrape(client))['songjiao_jobs_failed{kind="activities.deliver_events"}'] >= 1
    # A newer event of another activity is still delivered meanwhile.
    monkeypatch.undo()
    other = await make_activity(host, starts_at=now() + timedelta(days=3))
    await ActivityEvent.create(activity=other, kind="published", payload={})
    result = await deliver_events()
    assert result["events"] == 1 and result["failed"] == 0


async def test_a_reminder_that_keeps_failing_is_given_up(client, monkeypatch):
    host = await make_kindergarten()
    await make_person(teacher_of=host)
    activity = await make_activity(host, starts_at=now() + timedelta(hours=24))
    calls = broken_send(monkeypatch)
    for step in range(MAX_ATTEMPTS + 3):
        # Every five minutes inside the day-before window.
        await send_reminders(at=now() + timedelta(minutes=5 * step))
    mine = [key for key in calls if key.startswith(f"activity:{activity.id}:")]
    assert len(mine) == MAX_ATTEMPTS
    assert all(key.startswith(f"activity:{activity.id}:remind:day:") for key in mine)
