"""Reminders go only to those who have not read or answered, and never twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from server.common.time import china, now
from server.notices.jobs import remind_due_notices
from server.notices.models import Notice
from tests.notices.conftest import later, published


async def remind(client, who, notice_id: int):
    return await client.post(f"/api/v1/notices/{notice_id}/remind", headers=who.headers)


async def test_on_demand_reminder_goes_only_to_non_readers(client, school, outbox):
    notice = await published(client, school)
    for family in (school.a1, school.b1):
        await client.post(f"/api/v1/notices/{notice['id']}/read", headers=family.headers)
    resp = await remind(client, school.director, notice["id"])
    assert resp.status_code == 200 and resp.json()["reminded"] == 2
    [message] = outbox.of("notice_reminder")
    assert message.person_ids == sorted([school.a1_partner.person.id, school.a2.person.id])
    assert message.key == f"notice:{notice['id']}:remind:1"
    assert "还未阅读" in message.body


async def test_on_demand_reminder_is_not_sent_twice_within_ten_minutes(client, school, outbox):
    notice = await published(client, school)
    assert (await remind(client, school.director, notice["id"])).status_code == 200
    again = await remind(client, school.organizer, notice["id"])
    assert again.status_code == 429 and again.json()["error"] == "rate_limited"
    assert "10 分钟" in again.json()["message"]
    assert len(outbox.of("notice_reminder")) == 1
    await Notice.filter(id=notice["id"]).update(
        last_manual_remind_at=china(now() - timedelta(minutes=11))
    )
    later_on = await remind(client, school.director, notice["id"])
    assert later_on.status_code == 200
    assert [m.key for m in outbox.of("notice_reminder")][-1] == f"notice:{notice['id']}:remind:2"


async def test_rsvp_reminder_skips_families_that_answered(client, school, outbox):
    notice = await published(client, school, ack_mode="rsvp", deadline=later(48))
    await client.post(
        f"/api/v1/notices/{notice['id']}/rsvp",
        json={"answer": "no"},
        headers=school.a1_partner.headers,
    )
    await remind(client, school.director, notice["id"])
    [message] = outbox.of("notice_reminder")
    # a1 read nothing, but her family answered through her partner.
    assert message.person_ids == sorted([school.a2.person.id, school.b1.person.id])


async def test_nobody_pending_means_no_reminder(client, school, outbox):
    notice = await published(client, school, audience={"grades": ["大班"]})
    await client.post(f"/api/v1/notices/{notice['id']}/read", headers=school.b1.headers)
    resp = await remind(client, school.director, notice["id"])
    assert resp.json()["reminded"] == 0 and "无需提醒" in resp.json()["message"]
    assert not outbox.of("notice_reminder")


async def test_parents_and_teachers_cannot_remind(client, school):
    notice = await published(client, school)
    assert (await remind(client, school.a1, notice["id"])).status_code == 403
    assert (await remind(client, school.teacher, notice["id"])).status_code == 403


async def test_automatic_reminder_the_day_before_the_deadline_once(client, school, outbox):
    notice = await published(client, school, ack_mode="confirm", deadline=later(48))
    await client.post(f"/api/v1/notices/{notice['id']}/confirm", headers=school.b1.headers)
    too_early = await remind_due_notices(at=now() + timedelta(hours=12), offsets_hours=[24])
    assert too_early["reminded"] == {}
    due = await remind_due_notices(at=now() + timedelta(hours=24, minutes=1), offsets_hours=[24])
    assert due["reminded"] == {notice["id"]: 3}
    again = await remind_due_notices(at=now() + timedelta(hours=24, minutes=2), offsets_hours=[24])
    assert again["reminded"] == {}
    [message] = outbox.of("notice_reminder")
    assert school.b1.person.id not in message.person_ids
    assert message.key.startswith(f"notice:{notice['id']}:remind:auto:24h:")


async def test_no_automatic_reminder_for_an_offset_before_publication(client, school, outbox):
    notice = await published(client, school, ack_mode="rsvp", deadline=later(5))
    result = await remind_due_notices(at=now() + timedelta(minutes=1), offsets_hours=[24])
    assert result["reminded"] == {} and not outbox.of("notice_reminder")
    # A second, closer offset still reminds.
    result = await remind_due_notices(
        at=now() + timedelta(hours=3, minutes=1), offsets_hours=[24, 2]
    )
    assert result["reminded"] == {notice["id"]: 4}


async def test_configured_offsets_are_used_by_default(client, school, outbox):
    notice = await published(client, school, ack_mode="confirm", deadline=later(30))
    result = await remind_due_notices(at=now() + timedelta(hours=6, minutes=1))
    assert result["reminded"] == {notice["id"]: 4}


async def test_two_reminder_clicks_at_once_send_one_reminder(client, school, outbox):
    notice = await published(client, school)
    url = f"/api/v1/notices/{notice['id']}/remind"
    answers = await asyncio.gather(
        client.post(url, headers=school.director.headers),
        client.post(url, headers=school.organizer.headers),
    )
    assert sorted(r.status_code for r in answers) == [200, 429]
    assert len(outbox.of("notice_reminder")) == 1


async def test_a_new_deadline_gets_its_own_automatic_reminder(client, school, outbox):
    notice = await published(client, school, ack_mode="confirm", deadline=later(30))
    await remind_due_notices(at=now() + timedelta(hours=6, minutes=1), offsets_hours=[24])
    resp = await client.patch(
        f"/api/v1/notices/{notice['id']}",
        json={"deadline": later(72)},
        headers=school.director.headers,
    )
    assert resp.status_code == 200
    result = await remind_due_notices(at=now() + timedelta(hours=48, minutes=1), offsets_hours=[24])
    assert result["reminded"] == {notice["id"]: 4}
    assert len({m.key for m in outbox.of("notice_reminder")}) == 2
