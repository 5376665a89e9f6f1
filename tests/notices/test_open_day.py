"""A 家长开放日 end to end: the organizer's activity, its linked notice, the parents' answers.

Everything goes through the api as the console and the mini-program call it, and lands in
the real delivery engine (inbox, sandbox).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from server.activities.models import ActivityEvent
from server.common.time import now
from server.delivery.models import Delivery
from server.notices.models import Notice
from tests.notices.conftest import create, draft, publish
from tests.support.sandbox import read_outbox

REASON = "园内消杀，开放日改期另行通知"


async def open_day(client, school, *, start_in_hours: float = 48) -> dict:
    """A 家长开放日 created and published by the school's organizer through the api."""
    starts = (now() + timedelta(hours=start_in_hours)).replace(second=0, microsecond=0)
    resp = await client.post(
        "/api/v1/activities",
        json={
            "title": "小班家长开放日",
            "kind": "家长开放日",
            "host_id": school.kg.id,
            "address": "青山镇中心幼儿园一楼大厅",
            "lat": 28.2,
            "lng": 112.9,
            "radius_m": 300,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
            "audience_mode": "families",
            "audience_kindergarten_ids": [school.kg.id],
        },
        headers=school.organizer.headers,
    )
    assert resp.status_code == 201, resp.text
    made = resp.json()
    resp = await client.post(
        f"/api/v1/activities/{made['id']}/publish", headers=school.organizer.headers
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def invitation(client, school, activity: dict) -> dict:
    """The RSVP notice linked to the open day, published by the organizer."""
    body = draft(school, ack_mode="rsvp", capacity=20, activity_id=activity["id"])
    notice = await create(client, school.organizer, body)
    return await publish(client, school.organizer, notice["id"])


def parents(school) -> set[int]:
    return {f.person.id for f in (school.a1, school.a1_partner, school.a2, school.b1)}


async def inbox_titles(client, who) -> list[str]:
    resp = await client.get("/api/v1/inbox", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return [item["title"] for item in resp.json()["items"]]


async def rsvp(client, who, notice_id: int, answer: str = "yes"):
    resp = await client.post(
        f"/api/v1/notices/{notice_id}/rsvp",
        json={"answer": answer, "adults": 1, "children": 1},
        headers=who.headers,
    )
    return resp.status_code, resp.json()


async def cancelled_and_told(client, school, activity: dict) -> None:
    resp = await client.post(
        f"/api/v1/activities/{activity['id']}/cancel",
        json={"reason": REASON},
        headers=school.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    for _ in range(200):  # the kicked job fans the event out
        event = await ActivityEvent.get_or_none(activity_id=activity["id"], kind="cancelled")
        if event is not None and event.processed_at is not None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the cancellation was not delivered in time")


async def test_invitation_linked_to_an_open_day_reaches_every_parent(client, school):
    activity = await open_day(client, school)
    notice = await invitation(client, school, activity)
    assert (await Notice.get(id=notice["id"])).announced_at is not None
    rows = await Delivery.filter(key=f"notice:{notice['id']}:published")
    assert {row.person_id for row in rows} == parents(school)
    row = rows[0]
    # The invitation carries the open day's time and place.
    assert row.field_values["place"] == "青山镇中心幼儿园一楼大厅"
    assert row.field_values["time"].startswith(activity["starts_at"][:16])
    assert "家长开放日邀请" in await inbox_titles(client, school.b1)


async def test_cancelled_open_day_closes_its_rsvp(client, school):
    activity = await open_day(client, school)
    notice = await invitation(client, school, activity)
    status, _ = await rsvp(client, school.a1, notice["id"])
    assert status == 200
    await cancelled_and_told(client, school, activity)
    status, body = await rsvp(client, school.a2, notice["id"])
    assert status == 409, body
    assert body["error"] == "activity_cancelled" and body["message"] == "活动已取消，报名已关闭"
    # Changing or withdrawing an answer is closed too; the page says why.
    status, body = await rsvp(client, school.a1, notice["id"], "no")
    assert status == 409 and body["message"] == "活动已取消，报名已关闭"
    shown = (await client.get(f"/api/v1/notices/{notice['id']}", headers=school.a2.headers)).json()
    assert shown["rsvp_closed"] == "活动已取消，报名已关闭"


async def test_cancellation_says_cancelled_and_why_on_every_channel(client, school):
    activity = await open_day(client, school)
    notice = await invitation(client, school, activity)
    await rsvp(client, school.a1, notice["id"])
    await cancelled_and_told(client, school, activity)
    rows = await Delivery.filter(
        key__startswith=f"activity:{activity['id']}:", kind="activity_cancelled"
    )
    by_person = {}
    for row in rows:
        assert row.person_id not in by_person, "a family heard of the cancellation twice"
        by_person[row.person_id] = row
    assert parents(school) <= set(by_person)
    row = by_person[school.a1.person.id]
    # The template's first keyword (title) says 已取消 in every template that maps it;
    # the reason is in the note the subscribe template shows.
    assert row.field_values["title"].startswith("已取消")
    assert REASON in row.field_values["note"]
    assert "已取消" in row.title and REASON in row.body
    titles = await inbox_titles(client, school.a1_partner)
    assert any("已取消" in t for t in titles)
    # No reminder asks for an answer to a cancelled day.
    from server.notices.jobs import remind_due_notices

    deadline = (await Notice.get(id=notice["id"])).deadline
    await remind_due_notices(at=deadline - timedelta(hours=23), offsets_hours=[24])
    assert not await Delivery.filter(key__startswith=f"notice:{notice['id']}:remind").exists()


async def test_waitlisted_family_of_another_audience_hears_of_the_cancellation(client, school):
    activity = await open_day(client, school)
    body = draft(
        school,
        ack_mode="rsvp",
        capacity=1,
        capacity_unit="families",
        activity_id=activity["id"],
    )
    notice = await publish(
        client, school.organizer, (await create(client, school.organizer, body))["id"]
    )
    await rsvp(client, school.a1, notice["id"])
    status, waiting = await rsvp(client, school.a2, notice["id"])
    assert waiting["rsvp"]["status"] == "waitlisted"
    # The activity's own audience is narrowed to invited people: only answers concern families.
    from server.activities.models import Activity, AudienceMode

    await Activity.filter(id=activity["id"]).update(audience_mode=AudienceMode.INVITED)
    await cancelled_and_told(client, school, activity)
    rows = await Delivery.filter(
        key__startswith=f"activity:{activity['id']}:", kind="activity_cancelled"
    )
    told = [row.person_id for row in rows]
    assert sorted(told) == sorted(set(told))
    assert {school.a1.person.id, school.a1_partner.person.id, school.a2.person.id} <= set(told)
    assert school.b1.person.id not in told


async def test_followers_template_message_says_cancelled_and_why(client, sandbox_client, school):
    from server.accounts.models import Account
    from server.followers.service import record_subscribe
    from tests.delivery.helpers import settle

    account = await Account.get(person_id=school.b1.person.id)
    unionid = "union_" + account.openid[:20]
    await Account.filter(id=account.id).update(unionid=unionid)
    await record_subscribe(oa_openid="oa_" + account.openid[:20], unionid=unionid)
    activity = await open_day(client, school)
    await invitation(client, school, activity)
    await cancelled_and_told(client, school, activity)
    event = await ActivityEvent.get(activity_id=activity["id"], kind="cancelled")
    rows = await settle(key=f"activity:{activity['id']}:event:{event.id}")
    assert {row.person_id for row in rows} >= parents(school)
    [sent] = await read_outbox(
        sandbox_client, kind="template_send", touser="oa_" + account.openid[:20]
    )
    values = [item["value"] for item in sent["request"]["data"].values()]
    assert values[0].startswith("已取消")
    assert REASON in values


async def test_an_invitation_for_a_cancelled_day_is_not_sent(client, school):
    from server.notices.jobs import publish_due_notices
    from tests.notices.conftest import later

    activity = await open_day(client, school)
    body = draft(school, ack_mode="rsvp", capacity=20, activity_id=activity["id"])
    now_one = await create(client, school.organizer, body)
    scheduled = await create(client, school.organizer, body)
    await publish(client, school.organizer, scheduled["id"], publish_at=later(0.01))
    await cancelled_and_told(client, school, activity)
    resp = await client.post(
        f"/api/v1/notices/{now_one['id']}/publish", headers=school.organizer.headers
    )
    assert resp.status_code == 409 and resp.json()["error"] == "activity_cancelled"
    await publish_due_notices(at=now() + timedelta(minutes=2))
    row = await Notice.get(id=scheduled["id"])
    assert row.status == "draft" and "关联的活动已取消" in row.publish_error
    assert not await Delivery.filter(key__startswith=f"notice:{scheduled['id']}:").exists()


async def test_editing_a_published_invitation_tells_its_readers(client, school):
    activity = await open_day(client, school)
    notice = await invitation(client, school, activity)
    await client.post(f"/api/v1/notices/{notice['id']}/read", headers=school.a2.headers)
    resp = await client.patch(
        f"/api/v1/notices/{notice['id']}",
        json={"body": "开放日当天请从东门入园，携带接送卡。"},
        headers=school.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    [row] = await Delivery.filter(key=f"notice:{notice['id']}:edit:2")
    assert row.person_id == school.a2.person.id
    assert row.field_values["place"] == "青山镇中心幼儿园一楼大厅"


async def _scan_without_headcount(client, who, activity: dict) -> dict:
    """The home page's 扫码签到: the scene only, no adults or children asked."""
    from server.activities.codes import static_scene
    from server.activities.models import Activity

    code = (await Activity.get(id=activity["id"])).code
    resp = await client.post(
        "/api/v1/checkins",
        json={"scene": static_scene(code), "nonce": "homescan" + str(who.person.id)},
        headers=who.headers,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_a_scan_that_asks_nothing_records_the_family_s_rsvp_headcount(client, school):
    activity = await open_day(client, school, start_in_hours=0.25)
    notice = await invitation(client, school, activity)
    resp = await client.post(
        f"/api/v1/notices/{notice['id']}/rsvp",
        json={"answer": "yes", "adults": 2, "children": 1},
        headers=school.a1.headers,
    )
    assert resp.status_code == 200, resp.text
    # The other guardian of the same child scans from the home page: the family's answer.
    body = await _scan_without_headcount(client, school.a1_partner, activity)
    assert body["status"] == "checked_in", body
    assert (body["checkin"]["adults"], body["checkin"]["children"]) == (2, 1)
    # A family that never answered is counted as one adult, as before.
    body = await _scan_without_headcount(client, school.b1, activity)
    assert (body["checkin"]["adults"], body["checkin"]["children"]) == (1, 0)
