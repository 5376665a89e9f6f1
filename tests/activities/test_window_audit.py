"""Changing the check-in window or the late mark of a running activity is on the record."""

from __future__ import annotations

from datetime import datetime, timedelta

from server.audit.models import AuditEntry
from server.common.time import now
from tests.support.factories import login_as, make_activity, make_kindergarten


async def _log(client, activity_id: int, who) -> list[dict]:
    resp = await client.get(f"/api/v1/activities/{activity_id}/audit", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_moving_the_late_mark_of_a_running_activity_is_audited(client):
    kg = await make_kindergarten()
    activity = await make_activity(kg)  # began 5 minutes ago; check-in open since 35
    organizer = await login_as(client, "organizer", scope_id=kg.id)
    later = activity.late_after + timedelta(minutes=20)
    closes = activity.checkin_closes_at - timedelta(minutes=30)
    resp = await client.patch(
        f"/api/v1/activities/{activity.id}",
        json={"late_after": later.isoformat(), "checkin_closes_at": closes.isoformat()},
        headers=organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    entries = [
        e for e in await _log(client, activity.id, organizer) if e["action"] == "activity.window"
    ]
    assert len(entries) == 1
    detail = entries[0]["detail"]
    assert detail["fields"] == ["checkin_closes_at", "late_after"]
    assert datetime.fromisoformat(detail["before"]["late_after"]) == activity.late_after
    assert datetime.fromisoformat(detail["after"]["late_after"]) == later
    assert datetime.fromisoformat(detail["before"]["checkin_closes_at"]) == (
        activity.checkin_closes_at
    )
    assert datetime.fromisoformat(detail["after"]["checkin_closes_at"]) == closes
    assert entries[0]["actor"] == organizer.person.name
    # Saving the same times again changes nothing and records nothing.
    again = await client.patch(
        f"/api/v1/activities/{activity.id}",
        json={"late_after": later.isoformat()},
        headers=organizer.headers,
    )
    assert again.status_code == 200
    assert await AuditEntry.filter(activity_id=activity.id, action="activity.window").count() == 1


async def test_setting_the_window_before_check_in_opens_is_not_an_audited_change(client):
    kg = await make_kindergarten()
    start = now() + timedelta(days=2)
    activity = await make_activity(
        kg,
        starts_at=start,
        checkin_opens_at=start - timedelta(minutes=30),
        late_after=start + timedelta(minutes=10),
        checkin_closes_at=start + timedelta(hours=2),
    )
    organizer = await login_as(client, "organizer", scope_id=kg.id)
    resp = await client.patch(
        f"/api/v1/activities/{activity.id}",
        json={"late_after": (start + timedelta(minutes=15)).isoformat()},
        headers=organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    assert not await AuditEntry.exists(activity_id=activity.id, action="activity.window")
