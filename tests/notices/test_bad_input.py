"""Every bad input is refused with a stable code and a Chinese explanation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from server.activities.models import ActivityStatus
from tests.notices.conftest import create, draft, family_in, later
from tests.support.factories import make_activity, make_class, make_kindergarten, make_person

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def earlier(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


CASES = {
    "empty audience": ({"audience": {}}, "empty_audience"),
    "empty audience lists": ({"audience": {"grades": [], "class_ids": []}}, "empty_audience"),
    "deadline in the past": ({"deadline": earlier(1)}, "deadline_past"),
    "title empty": ({"title": "  "}, "invalid_title"),
    "title too long": ({"title": "通" * 65}, "invalid_title"),
    "body too long": ({"body": "字" * 5001}, "body_too_long"),
    "ten images": (
        {"images": [f"https://img.example.cn/{i}.jpg" for i in range(10)]},
        "too_many_images",
    ),
    "image not a url": ({"images": ["javascript:alert(1)"]}, "invalid_url"),
    "six attachments": (
        {
            "attachments": [
                {"name": f"附件{i}", "url": "https://f.example.cn/a.pdf"} for i in range(6)
            ]
        },
        "too_many_attachments",
    ),
    "attachment without name": (
        {"attachments": [{"name": "", "url": "https://f.example.cn/a.pdf"}]},
        "invalid_attachment",
    ),
    "unknown grade": ({"audience": {"grades": ["研究生班"]}}, "invalid_audience"),
    "unknown mode": ({"ack_mode": "sign"}, "invalid_ack_mode"),
    "zero capacity": ({"ack_mode": "rsvp", "capacity": 0}, "invalid_capacity"),
    "unknown capacity unit": ({"capacity_unit": "seats"}, "invalid_capacity_unit"),
    "adults limit zero": ({"max_adults": 0}, "invalid_limits"),
    "unknown activity": ({"activity_id": 999999}, "invalid_activity"),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_bad_notice_is_refused_clearly(client, school, case):
    extra, code = CASES[case]
    resp = await client.post(
        "/api/v1/notices", json=draft(school, **extra), headers=school.director.headers
    )
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["error"] == code
    assert CHINESE.search(body["message"]), body


async def test_class_of_another_kindergarten_is_refused(client, school):
    foreign = await make_class(await make_kindergarten())
    resp = await client.post(
        "/api/v1/notices",
        json=draft(school, audience={"class_ids": [foreign.id]}),
        headers=school.director.headers,
    )
    assert resp.json()["error"] == "invalid_audience" and "不属于本园" in resp.json()["message"]


async def test_parent_of_another_kindergarten_is_refused(client, school):
    stranger = await family_in(client, await make_class(await make_kindergarten()))
    resp = await client.post(
        "/api/v1/notices",
        json=draft(school, audience={"parent_ids": [stranger.person.id]}),
        headers=school.director.headers,
    )
    assert resp.json()["error"] == "invalid_audience"
    assert resp.json()["details"]["parent_ids"] == [stranger.person.id]


async def test_teacher_of_another_kindergarten_is_refused(client, school):
    other = await make_person(teacher_of=await make_kindergarten())
    resp = await client.post(
        "/api/v1/notices",
        json=draft(school, audience={"teacher_ids": [other.id]}),
        headers=school.director.headers,
    )
    assert resp.json()["error"] == "invalid_audience" and "教职工" in resp.json()["message"]


async def test_class_without_families_cannot_be_published(client, school):
    empty = await make_class(school.kg)
    notice = await create(
        client, school.director, draft(school, audience={"class_ids": [empty.id]})
    )
    resp = await client.post(
        f"/api/v1/notices/{notice['id']}/publish", json={}, headers=school.director.headers
    )
    assert resp.status_code == 400 and resp.json()["error"] == "empty_audience"


async def test_deadline_passed_before_publication_is_refused(client, school):
    from server.notices.models import Notice

    notice = await create(client, school.director, draft(school, deadline=later(1)))
    await Notice.filter(id=notice["id"]).update(deadline=datetime.now(UTC) - timedelta(minutes=1))
    resp = await client.post(
        f"/api/v1/notices/{notice['id']}/publish", json={}, headers=school.director.headers
    )
    assert resp.json()["error"] == "deadline_past"


async def test_scheduling_after_the_deadline_is_refused(client, school):
    notice = await create(client, school.director, draft(school, deadline=later(2)))
    resp = await client.post(
        f"/api/v1/notices/{notice['id']}/publish",
        json={"publish_at": later(3)},
        headers=school.director.headers,
    )
    assert resp.json()["error"] == "deadline_before_publish"


async def test_patching_a_past_deadline_is_refused(client, school):
    notice = await create(client, school.director, draft(school))
    resp = await client.patch(
        f"/api/v1/notices/{notice['id']}",
        json={"deadline": earlier(2)},
        headers=school.director.headers,
    )
    assert resp.status_code == 400 and resp.json()["error"] == "deadline_past"


async def test_publishing_twice_is_refused(client, school):
    notice = await create(client, school.director, draft(school))
    first = await client.post(
        f"/api/v1/notices/{notice['id']}/publish", headers=school.director.headers
    )
    assert first.status_code == 200
    again = await client.post(
        f"/api/v1/notices/{notice['id']}/publish", json={}, headers=school.director.headers
    )
    assert again.status_code == 409 and again.json()["error"] == "already_published"


async def test_cancelled_activity_cannot_be_linked(client, school):
    activity = await make_activity(school.kg, status=ActivityStatus.CANCELLED)
    resp = await client.post(
        "/api/v1/notices",
        json=draft(school, activity_id=activity.id),
        headers=school.director.headers,
    )
    assert resp.json()["error"] == "invalid_activity" and "已取消" in resp.json()["message"]


async def test_unknown_fields_are_refused(client, school):
    resp = await client.post(
        "/api/v1/notices", json=draft(school, colour="red"), headers=school.director.headers
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_input"


async def test_reminding_a_cancelled_notice_is_refused(client, school):
    notice = await create(client, school.director, draft(school))
    await client.post(
        f"/api/v1/notices/{notice['id']}/cancel", json={}, headers=school.director.headers
    )
    resp = await client.post(
        f"/api/v1/notices/{notice['id']}/remind", headers=school.director.headers
    )
    assert resp.status_code == 409 and resp.json()["error"] == "notice_cancelled"
