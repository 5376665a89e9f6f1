"""After an open day: feedback requests to families who came, one rating each, 满意度."""

from __future__ import annotations

from datetime import date, timedelta

from server.activities.codes import static_scene
from server.activities.models import Activity, ActivityKind, ActivityStatus, AudienceMode
from server.checkin.models import Checkin
from server.common.time import china, now
from server.notices.feedback import satisfaction
from server.notices.jobs import request_feedback
from tests.checkin.conftest import scan
from tests.notices.conftest import later, published
from tests.support.factories import make_activity


async def open_day_notice(client, school):
    start = now() - timedelta(minutes=5)
    activity = await make_activity(
        school.kg,
        kind=ActivityKind.OPEN_DAY,
        audience_mode=AudienceMode.FAMILIES,
        title="家长开放日",
        starts_at=start,
    )
    notice = await published(
        client, school, ack_mode="rsvp", deadline=later(1), activity_id=activity.id
    )
    return activity, notice


async def give(client, who, notice_id: int, stars: int, comment: str = ""):
    resp = await client.post(
        f"/api/v1/notices/{notice_id}/feedback",
        json={"stars": stars, "comment": comment},
        headers=who.headers,
    )
    return resp.status_code, resp.json()


async def finish(activity: Activity) -> None:
    await Activity.filter(id=activity.id).update(status=ActivityStatus.FINISHED)


async def test_feedback_request_goes_to_attending_families_once(client, school, outbox):
    activity, notice = await open_day_notice(client, school)
    await scan(client, school.a1.who, static_scene(activity.code), adults=1, children=1)
    await scan(client, school.b1.who, static_scene(activity.code))
    before = await request_feedback(at=now())
    assert before["asked"] == {}  # the activity is still going on
    await finish(activity)
    result = await request_feedback(at=now())
    # a1's partner belongs to a family that came; a2 did not come.
    assert result["asked"] == {notice["id"]: 3}
    [message] = outbox.of("feedback_request")
    assert set(message.person_ids) == {
        school.a1.person.id,
        school.a1_partner.person.id,
        school.b1.person.id,
    }
    assert (await request_feedback(at=now()))["asked"] == {}
    assert len(outbox.of("feedback_request")) == 1


async def test_feedback_request_follows_the_end_time_too(client, school, outbox):
    activity, notice = await open_day_notice(client, school)
    await scan(client, school.a2.who, static_scene(activity.code))
    result = await request_feedback(at=activity.ends_at + timedelta(minutes=1))
    assert result["asked"] == {notice["id"]: 1}


async def test_one_rating_per_family_editable_and_the_average(client, school):
    activity, notice = await open_day_notice(client, school)
    for family in (school.a1, school.a2, school.b1):
        await scan(client, family.who, static_scene(activity.code))
    await finish(activity)
    status, body = await give(client, school.a1, notice["id"], 3, "很好")
    assert status == 200 and body["message"] == "感谢您的评价"
    status, body = await give(client, school.a1_partner, notice["id"], 5, "孩子很开心")
    assert body["message"] == "评价已更新"
    await give(client, school.a2, notice["id"], 4)
    await give(client, school.b1, notice["id"], 3, "希望多安排户外活动")
    staff = await client.get(
        f"/api/v1/notices/{notice['id']}/feedback", headers=school.director.headers
    )
    data = staff.json()
    assert data["count"] == 3 and data["average"] == 4.0
    assert data["attended_families"] == 3 and data["distribution"]["5"] == 1
    assert {c["comment"] for c in data["comments"]} == {"孩子很开心", "希望多安排户外活动"}
    assert school.b1.person.name not in staff.text and school.a1.person.name not in staff.text
    parent = await client.get(f"/api/v1/notices/{notice['id']}/feedback", headers=school.a2.headers)
    assert parent.json() == {
        "notice_id": notice["id"],
        "count": 3,
        "average": 4.0,
        "mine": {"stars": 4, "comment": ""},
    }


async def test_families_who_did_not_come_cannot_rate(client, school):
    activity, notice = await open_day_notice(client, school)
    status, body = await give(client, school.a2, notice["id"], 5)
    assert status == 403 and body["error"] == "not_attended"


async def test_the_notice_tells_each_family_whether_it_may_rate(client, school):
    activity, notice = await open_day_notice(client, school)

    async def attended(family) -> bool:
        resp = await client.get(f"/api/v1/notices/{notice['id']}", headers=family.headers)
        return resp.json()["me"]["attended"]

    assert [await attended(f) for f in (school.a1, school.a1_partner, school.a2)] == [
        False,
        False,
        False,
    ]
    status, answer = await scan(client, school.a1.who, static_scene(activity.code))
    assert status == 200 and answer["status"] == "checked_in"
    # The family came: her partner may rate too; a family that did not come may not.
    assert [await attended(f) for f in (school.a1, school.a1_partner, school.a2)] == [
        True,
        True,
        False,
    ]
    assert (await give(client, school.a1_partner, notice["id"], 4))[0] == 200
    assert (await give(client, school.a2, notice["id"], 4))[0] == 403
    await Checkin.filter(id=answer["checkin"]["id"]).update(annulled_at=now())
    assert await attended(school.a1) is False


async def test_stars_and_comment_are_checked(client, school):
    activity, notice = await open_day_notice(client, school)
    await scan(client, school.a2.who, static_scene(activity.code))
    status, body = await give(client, school.a2, notice["id"], 6)
    assert status == 400 and body["error"] == "invalid_stars"
    status, body = await give(client, school.a2, notice["id"], 0)
    assert body["error"] == "invalid_stars"
    status, body = await give(client, school.a2, notice["id"], 5, "很" * 501)
    assert body["error"] == "comment_too_long"


async def test_notice_without_activity_takes_no_feedback(client, school):
    notice = await published(client, school)
    status, body = await give(client, school.a2, notice["id"], 5)
    assert status == 409 and body["error"] == "no_activity"


async def test_satisfaction_averages_per_kindergarten(client, school):
    activity, notice = await open_day_notice(client, school)
    for family in (school.a1, school.a2):
        await scan(client, family.who, static_scene(activity.code))
    await give(client, school.a1, notice["id"], 5)
    await give(client, school.a2, notice["id"], 2)
    today = china(now()).date()
    result = await satisfaction(
        kindergarten_ids={school.kg.id}, since=today, until=today + timedelta(days=1)
    )
    assert result["average"] == 3.5 and result["count"] == 2
    assert result["by_kindergarten"] == {school.kg.id: {"average": 3.5, "count": 2}}
    # Per linked activity too, so reports can give a pairing only its own activities' ratings.
    assert result["by_activity"] == {activity.id: {"average": 3.5, "count": 2, "stars": 7}}
    empty = await satisfaction(
        kindergarten_ids={school.kg.id}, since=date(2020, 1, 1), until=date(2020, 2, 1)
    )
    assert empty == {"average": None, "count": 0, "by_kindergarten": {}, "by_activity": {}}
