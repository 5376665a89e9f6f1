"""Through the real delivery engine: each message lands once in each person's inbox."""

from __future__ import annotations

from datetime import timedelta

from server.common.time import now
from server.delivery.models import Delivery
from server.notices.jobs import publish_due_notices
from server.notices.models import Notice
from tests.notices.conftest import published


async def inbox(client, who) -> list[dict]:
    resp = await client.get("/api/v1/inbox", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def test_published_notice_reaches_each_parent_inbox_once(client, school):
    notice = await published(client, school)
    await Notice.filter(id=notice["id"]).update(announced_at=None)
    await publish_due_notices(
        at=now() + timedelta(minutes=2)
    )  # announces again: the key keeps it single
    key = f"notice:{notice['id']}:published"
    assert await Delivery.filter(key=key).count() == 4
    [item] = await inbox(client, school.a2)
    assert item["kind"] == "notice" and item["page"] == f"pages/notice/index?id={notice['id']}"
    assert item["title"] == "家长开放日邀请"
    assert await inbox(client, school.teacher) == []


async def test_reminder_reaches_only_non_readers_inboxes(client, school):
    notice = await published(client, school)
    await client.post(f"/api/v1/notices/{notice['id']}/read", headers=school.a2.headers)
    await client.post(f"/api/v1/notices/{notice['id']}/remind", headers=school.director.headers)
    kinds_a2 = [i["kind"] for i in await inbox(client, school.a2)]
    kinds_b1 = [i["kind"] for i in await inbox(client, school.b1)]
    assert kinds_a2 == ["notice"]
    assert sorted(kinds_b1) == ["notice", "notice_reminder"]


async def test_roll_up_shows_delivery_figures(client, school):
    notice = await published(client, school)
    resp = await client.get(
        f"/api/v1/notices/{notice['id']}/receipts", headers=school.director.headers
    )
    delivery = resp.json()["delivery"]
    assert delivery is not None and sum(delivery.values()) >= 4
