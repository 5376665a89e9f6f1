"""RSVP: yes/no per family, capacity, an ordered waitlist, deadline, the open day check-in."""

from __future__ import annotations

from datetime import timedelta

from server.activities.codes import static_scene
from server.activities.models import ActivityInvitee, ActivityKind, AudienceMode
from server.common.time import now
from server.notices.models import Notice
from tests.checkin.conftest import scan
from tests.notices.conftest import family_in, later, published
from tests.support.factories import make_activity


async def rsvp(
    client, who, notice_id: int, answer: str = "yes", adults: int = 1, children: int = 0
):
    resp = await client.post(
        f"/api/v1/notices/{notice_id}/rsvp",
        json={"answer": answer, "adults": adults, "children": children},
        headers=who.headers,
    )
    return resp.status_code, resp.json()


async def cancel(client, who, notice_id: int):
    resp = await client.delete(f"/api/v1/notices/{notice_id}/rsvp", headers=who.headers)
    return resp.status_code, resp.json()


async def rsvp_notice(client, school, **extra) -> dict:
    fields = {"ack_mode": "rsvp", "deadline": later(24), "capacity": 4, **extra}
    return await published(client, school, **fields)


async def test_yes_takes_places_and_no_is_recorded(client, school):
    notice = await rsvp_notice(client, school)
    status, body = await rsvp(client, school.a1, notice["id"], adults=2, children=1)
    assert status == 200
    assert body["rsvp"]["status"] == "confirmed" and body["message"].startswith("报名成功")
    assert body["totals"]["places_left"] == 1
    status, body = await rsvp(client, school.a2, notice["id"], "no")
    assert body["rsvp"]["status"] == "declined" and body["message"] == "已收到您的回复：不参加"
    assert body["totals"]["rsvp_yes"] == 1


async def test_guardians_of_one_child_share_one_answer(client, school):
    notice = await rsvp_notice(client, school)
    await rsvp(client, school.a1, notice["id"], adults=1, children=1)
    status, body = await rsvp(client, school.a1_partner, notice["id"], adults=2, children=1)
    assert body["rsvp"]["adults"] == 2 and body["totals"]["rsvp_yes"] == 1
    mine = await client.get(f"/api/v1/notices/{notice['id']}", headers=school.a1.headers)
    assert mine.json()["me"]["rsvp"]["adults"] == 2


async def test_over_capacity_joins_the_waitlist_and_says_so(client, school):
    notice = await rsvp_notice(client, school, capacity=3)
    await rsvp(client, school.a1, notice["id"], adults=2, children=1)
    status, body = await rsvp(client, school.a2, notice["id"], adults=1)
    assert status == 200
    assert body["rsvp"]["status"] == "waitlisted" and body["rsvp"]["waitlist_position"] == 1
    assert "候补第 1 位" in body["message"]


async def test_cancelling_promotes_the_waitlist_in_order_and_tells_them(client, school, outbox):
    c1 = await family_in(client, school.large)
    notice = await rsvp_notice(client, school, capacity=2)
    await rsvp(client, school.a1, notice["id"], adults=2)
    _, first = await rsvp(client, school.b1, notice["id"], adults=1, children=1)
    _, second = await rsvp(client, c1.who, notice["id"], adults=1)
    assert first["rsvp"]["waitlist_position"] == 1 and second["rsvp"]["waitlist_position"] == 2
    status, body = await cancel(client, school.a1_partner, notice["id"])
    assert status == 200 and body["rsvp"]["status"] == "cancelled"
    b1 = await client.get(f"/api/v1/notices/{notice['id']}", headers=school.b1.headers)
    c1_view = await client.get(f"/api/v1/notices/{notice['id']}", headers=c1.headers)
    assert b1.json()["me"]["rsvp"]["status"] == "confirmed"
    # The second family would fit only after the first: order is kept.
    assert c1_view.json()["me"]["rsvp"]["status"] == "waitlisted"
    assert c1_view.json()["me"]["rsvp"]["waitlist_position"] == 1
    [told] = outbox.of("notice_updated")
    assert told.person_ids == [school.b1.person.id] and "候补成功" in told.title


async def test_first_waiting_family_is_not_jumped_by_a_smaller_one(client, school):
    c1 = await family_in(client, school.large)
    notice = await rsvp_notice(client, school, capacity=3)
    await rsvp(client, school.a1, notice["id"], adults=2)
    await rsvp(client, school.a2, notice["id"], adults=1)
    await rsvp(client, school.b1, notice["id"], adults=2, children=1)  # waits first, needs 3
    await rsvp(client, c1.who, notice["id"], adults=1)  # waits second, needs 1
    await cancel(client, school.a2, notice["id"])  # frees 1: not enough for the first
    c1_view = await client.get(f"/api/v1/notices/{notice['id']}", headers=c1.headers)
    assert c1_view.json()["me"]["rsvp"]["status"] == "waitlisted"
    await cancel(client, school.a1, notice["id"])  # frees 2 more: the first goes in
    b1 = await client.get(f"/api/v1/notices/{notice['id']}", headers=school.b1.headers)
    assert b1.json()["me"]["rsvp"]["status"] == "confirmed"


async def test_capacity_in_families_counts_each_family_once(client, school):
    notice = await rsvp_notice(client, school, capacity=1, capacity_unit="families")
    _, body = await rsvp(client, school.a1, notice["id"], adults=2, children=2)
    assert body["rsvp"]["status"] == "confirmed" and body["totals"]["places_left"] == 0
    _, body = await rsvp(client, school.a2, notice["id"], adults=1)
    assert body["rsvp"]["status"] == "waitlisted"


async def test_raising_capacity_promotes_waiting_families(client, school, outbox):
    notice = await rsvp_notice(client, school, capacity=1)
    await rsvp(client, school.a1, notice["id"], adults=1)
    await rsvp(client, school.a2, notice["id"], adults=1)
    resp = await client.patch(
        f"/api/v1/notices/{notice['id']}", json={"capacity": 2}, headers=school.director.headers
    )
    assert resp.status_code == 200
    view = await client.get(f"/api/v1/notices/{notice['id']}", headers=school.a2.headers)
    assert view.json()["me"]["rsvp"]["status"] == "confirmed"
    assert school.a2.person.id in outbox.people("notice_updated")


async def test_capacity_below_confirmed_is_refused(client, school):
    notice = await rsvp_notice(client, school, capacity=10)
    await rsvp(client, school.a1, notice["id"], adults=2, children=2)
    resp = await client.patch(
        f"/api/v1/notices/{notice['id']}", json={"capacity": 3}, headers=school.director.headers
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "capacity_below_confirmed"
    assert "已有 4 人报名成功" in resp.json()["message"]


async def test_a_confirmed_family_cannot_grow_past_capacity_and_keeps_its_places(client, school):
    notice = await rsvp_notice(client, school, capacity=3)
    await rsvp(client, school.a1, notice["id"], adults=2)
    status, body = await rsvp(client, school.a1, notice["id"], adults=2, children=2)
    assert status == 409 and body["error"] == "not_enough_places"
    view = await client.get(f"/api/v1/notices/{notice['id']}", headers=school.a1.headers)
    assert view.json()["me"]["rsvp"]["adults"] == 2 and view.json()["me"]["rsvp"]["children"] == 0


async def test_rsvp_after_the_deadline_is_refused(client, school):
    notice = await rsvp_notice(client, school)
    await Notice.filter(id=notice["id"]).update(deadline=now() - timedelta(minutes=1))
    status, body = await rsvp(client, school.a1, notice["id"])
    assert status == 400 and body["error"] == "deadline_passed" and "截止" in body["message"]


async def test_headcounts_out_of_range_are_refused(client, school):
    notice = await rsvp_notice(client, school, max_adults=2, max_children=1)
    status, body = await rsvp(client, school.a1, notice["id"], adults=3)
    assert status == 400 and body["error"] == "adults_out_of_range"
    status, body = await rsvp(client, school.a1, notice["id"], adults=0)
    assert body["error"] == "adults_out_of_range"
    status, body = await rsvp(client, school.a1, notice["id"], adults=1, children=2)
    assert body["error"] == "children_out_of_range" and "0 至 1" in body["message"]
    status, body = await rsvp(client, school.a1, notice["id"], answer="maybe")
    assert body["error"] == "invalid_answer"


async def test_not_a_recipient_cannot_answer(client, school):
    notice = await rsvp_notice(client, school, audience={"grades": ["大班"]})
    status, body = await rsvp(client, school.teacher, notice["id"])
    assert status == 403 and body["error"] == "not_recipient"


async def test_answering_a_read_only_notice_is_refused(client, school):
    notice = await published(client, school)
    status, body = await rsvp(client, school.a1, notice["id"])
    assert status == 409 and body["error"] == "not_rsvp"


async def test_cancel_without_an_answer_is_refused(client, school):
    notice = await rsvp_notice(client, school)
    status, body = await cancel(client, school.a1, notice["id"])
    assert status == 409 and body["error"] == "no_rsvp"


async def test_sender_sees_who_answered_and_the_waitlist(client, school):
    notice = await rsvp_notice(client, school, capacity=2)
    await rsvp(client, school.a1, notice["id"], adults=2)
    await rsvp(client, school.b1, notice["id"], adults=1)
    roll = await client.get(
        f"/api/v1/notices/{notice['id']}/receipts", headers=school.director.headers
    )
    data = roll.json()
    assert data["totals"]["rsvp_yes"] == 1 and data["totals"]["rsvp_waitlisted"] == 1
    assert data["totals"]["unanswered"] == 1 and data["places_left"] == 0
    people = {p["person_id"]: p for p in data["people"]}
    assert people[school.b1.person.id]["waitlist_position"] == 1
    assert people[school.a1_partner.person.id]["rsvp_status"] == "confirmed"


async def open_day(school, **extra):
    start = now() - timedelta(minutes=5)
    fields = dict(
        kind=ActivityKind.OPEN_DAY,
        audience_mode=AudienceMode.INVITED,
        audience=[],
        starts_at=start,
        title="小班家长开放日",
    )
    fields.update(extra)
    return await make_activity(school.kg, **fields)


async def test_yes_family_may_check_in_to_the_linked_open_day(client, school):
    activity = await open_day(school)
    notice = await rsvp_notice(client, school, activity_id=activity.id, capacity=2)
    await rsvp(client, school.a1, notice["id"], adults=1, children=1)
    await rsvp(client, school.a2, notice["id"], adults=2)  # waitlisted
    await rsvp(client, school.b1, notice["id"], "no")
    code = static_scene(activity.code)
    status, body = await scan(client, school.a1_partner.who, code, adults=1, children=1)
    assert status == 200 and body["status"] == "checked_in", body
    _, waiting = await scan(client, school.a2.who, code)
    assert waiting["status"] == "refused" and waiting["reason"] == "not_invited"
    _, declined = await scan(client, school.b1.who, code)
    assert declined["reason"] == "not_invited"


async def test_cancelling_withdraws_the_invitation_only_the_answer_made(client, school):
    activity = await open_day(school)
    await ActivityInvitee.create(activity=activity, person_id=school.a2.person.id)
    notice = await rsvp_notice(client, school, activity_id=activity.id, capacity=10)
    await rsvp(client, school.a1, notice["id"])
    await rsvp(client, school.a2, notice["id"])
    invited = set(
        await ActivityInvitee.filter(activity_id=activity.id).values_list("person_id", flat=True)
    )
    assert invited == {school.a1.person.id, school.a1_partner.person.id, school.a2.person.id}
    await cancel(client, school.a1, notice["id"])
    await cancel(client, school.a2, notice["id"])
    invited = set(
        await ActivityInvitee.filter(activity_id=activity.id).values_list("person_id", flat=True)
    )
    assert invited == {school.a2.person.id}  # the organizer's own invitation stays


async def test_rsvp_for_an_activity_defaults_its_deadline_to_the_start(client, school):
    activity = await open_day(school, starts_at=now() + timedelta(days=2))
    from tests.notices.conftest import create, draft

    notice = await create(
        client, school.director, draft(school, ack_mode="rsvp", activity_id=activity.id)
    )
    assert notice["deadline"] is not None and notice["activity"]["id"] == activity.id
    assert notice["deadline"] == notice["activity"]["starts_at"]


async def test_two_families_racing_for_the_last_place_get_one_place(client, school):
    import asyncio

    notice = await rsvp_notice(client, school, capacity=1, capacity_unit="families")
    results = await asyncio.gather(
        *(rsvp(client, f, notice["id"]) for f in (school.a1, school.a2, school.b1))
    )
    statuses = sorted(body["rsvp"]["status"] for _, body in results)
    assert statuses == ["confirmed", "waitlisted", "waitlisted"]
    positions = sorted(body["rsvp"]["waitlist_position"] or 0 for _, body in results)
    assert positions == [0, 1, 2]


async def test_cancelling_the_notice_withdraws_the_invitations(client, school):
    activity = await open_day(school)
    notice = await rsvp_notice(client, school, activity_id=activity.id)
    await rsvp(client, school.a2, notice["id"])
    assert await ActivityInvitee.filter(activity_id=activity.id).count() == 1
    resp = await client.post(
        f"/api/v1/notices/{notice['id']}/cancel", json={}, headers=school.director.headers
    )
    assert resp.status_code == 200
    assert await ActivityInvitee.filter(activity_id=activity.id).count() == 0
    status, body = await rsvp(client, school.a2, notice["id"])
    assert status == 409 and body["error"] == "notice_cancelled"


async def test_organizer_replacing_invitees_keeps_the_families_who_said_yes(client, school):
    activity = await open_day(school)
    notice = await rsvp_notice(client, school, activity_id=activity.id, capacity=10)
    await rsvp(client, school.a1, notice["id"])
    resp = await client.patch(
        f"/api/v1/activities/{activity.id}",
        json={"invitee_ids": [school.teacher.person.id]},
        headers=school.director.headers,
    )
    assert resp.status_code == 200, resp.text
    invited = set(
        await ActivityInvitee.filter(activity_id=activity.id).values_list("person_id", flat=True)
    )
    assert invited == {
        school.teacher.person.id,
        school.a1.person.id,
        school.a1_partner.person.id,
    }
    status, body = await scan(client, school.a1.who, static_scene(activity.code))
    assert status == 200 and body["status"] == "checked_in", body
    # Her later cancellation still withdraws only what her answer made.
    await cancel(client, school.a1_partner, notice["id"])
    invited = set(
        await ActivityInvitee.filter(activity_id=activity.id).values_list("person_id", flat=True)
    )
    assert invited == {school.teacher.person.id}
