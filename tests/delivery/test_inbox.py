"""The inbox, subscription reports, and who may call the delivery routes."""

from __future__ import annotations

import pytest

from server.delivery.models import Channel
from server.delivery.service import delivery_counts, notify
from tests.delivery.helpers import (
    delivered,
    make_parent,
    settle,
    subscribe,
    template_id,
)
from tests.support.factories import login_as
from tests.support.sandbox import read_outbox


async def three_messages(parent) -> None:
    for n in range(1, 4):
        await notify(
            person_ids=[parent.person_id],
            kind="notice",
            key=f"notice:{n}",
            title=f"第{n}号通知",
            body=f"第{n}号通知的正文",
            fields={"note": "请按时参加"},
            page=f"pages/notice/index?id={n}",
        )
        await settle(key=f"notice:{n}")


async def test_inbox_lists_her_messages_newest_first_and_marks_read(client):
    parent = await make_parent(client)
    await three_messages(parent)
    resp = await client.get("/api/v1/inbox", headers=parent.headers)
    assert resp.status_code == 200
    page = resp.json()
    assert (page["total"], page["unread"]) == (3, 3)
    assert [m["title"] for m in page["items"]] == ["第3号通知", "第2号通知", "第1号通知"]
    first = page["items"][0]
    assert first["kind_name"] == "通知公告" and first["read"] is False
    assert first["fields"] == {"note": "请按时参加"}
    assert first["page"] == "pages/notice/index?id=3"

    resp = await client.post(f"/api/v1/inbox/{first['id']}/read", headers=parent.headers)
    assert resp.status_code == 200 and resp.json()["read"] is True
    again = await client.post(f"/api/v1/inbox/{first['id']}/read", headers=parent.headers)
    assert again.json()["read_at"] == resp.json()["read_at"]
    assert await delivery_counts(key="notice:3") == {"queued": 0, "sent": 0, "failed": 0, "read": 1}

    resp = await client.get("/api/v1/inbox?unread=1&limit=1", headers=parent.headers)
    page = resp.json()
    assert (page["total"], page["unread"], len(page["items"])) == (2, 2, 1)
    assert page["items"][0]["title"] == "第2号通知"
    resp = await client.get("/api/v1/inbox?limit=2&offset=2", headers=parent.headers)
    assert [m["title"] for m in resp.json()["items"]] == ["第1号通知"]


async def test_a_person_sees_and_reads_only_her_own_messages(client):
    mine, other = await make_parent(client), await make_parent(client)
    await three_messages(mine)
    resp = await client.get("/api/v1/inbox", headers=other.headers)
    assert resp.json()["items"] == [] and resp.json()["unread"] == 0
    some_id = (await client.get("/api/v1/inbox", headers=mine.headers)).json()["items"][0]["id"]
    resp = await client.post(f"/api/v1/inbox/{some_id}/read", headers=other.headers)
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"
    assert (await client.post("/api/v1/inbox/999999/read", headers=mine.headers)).status_code == 404
    assert (await client.get("/api/v1/inbox")).status_code == 401


async def test_subscription_reports_accept_reject_and_ban(client, sandbox_client):
    parent = await make_parent(client)
    tid = template_id("notice")

    async def report(result: str):
        resp = await client.post(
            "/api/v1/subscriptions", json={"results": {tid: result}}, headers=parent.headers
        )
        assert resp.status_code == 200, resp.text
        return next(i for i in resp.json()["items"] if i["template_id"] == tid)

    assert (await report("accept"))["remaining"] == 1
    assert (await report("accept"))["remaining"] == 2
    assert (await report("reject"))["remaining"] == 2
    banned = await report("ban")
    assert banned["banned"] is True and banned["name"] == "通知公告"

    # Banned: not used although two remain (the sandbox would accept).
    await subscribe(client, sandbox_client, parent, times=0, in_sandbox=2)
    await notify(person_ids=[parent.person_id], kind="notice", key="n:ban", title="t", body="b")
    [row] = await settle(key="n:ban")
    assert (
        row.channel == Channel.INBOX
        and await read_outbox(sandbox_client, kind="subscribe_send") == []
    )

    again = await report("accept")
    assert (again["banned"], again["remaining"]) == (False, 3)
    await notify(person_ids=[parent.person_id], kind="notice", key="n:ok", title="t", body="b")
    [row] = await settle(key="n:ok")
    assert row.channel == Channel.SUBSCRIBE
    assert await delivered(sandbox_client, parent.openid) == 1

    resp = await client.get("/api/v1/subscriptions", headers=parent.headers)
    body = resp.json()
    assert {i["kind"] for i in body["items"]} >= {"notice", "activity_reminder"}
    assert tid in body["template_ids"]
    mine = next(i for i in body["items"] if i["kind"] == "notice")
    assert mine["remaining"] == 2


async def test_unknown_template_ids_are_refused(client):
    parent = await make_parent(client)
    resp = await client.post(
        "/api/v1/subscriptions",
        json={"results": {template_id(): "accept", "not-our-template": "accept"}},
        headers=parent.headers,
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "unknown_template"
    assert resp.json()["details"] == ["not-our-template"]
    mine = (await client.get("/api/v1/subscriptions", headers=parent.headers)).json()
    assert all(i["remaining"] == 0 for i in mine["items"])  # nothing applied
    bad = await client.post(
        "/api/v1/subscriptions", json={"results": {template_id(): "maybe"}}, headers=parent.headers
    )
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/delivery/dead-letters"),
        ("POST", "/api/v1/delivery/dead-letters/1/retry"),
        ("POST", "/api/v1/delivery/group-dead-letters/1/retry"),
        ("GET", "/api/v1/delivery/outbox?key=notice:1"),
    ],
)
async def test_admin_routes_refuse_everyone_else(client, method, path):
    for role in ("parent", "teacher", "director", "leader"):
        who = await login_as(client, role)
        resp = await client.request(method, path, headers=who.headers)
        assert resp.status_code == 403, (role, resp.text)
    assert (await client.request(method, path)).status_code == 401


async def test_admin_outbox_counts_statuses_and_channels(client, sandbox_client):
    subscribed, plain = await make_parent(client), await make_parent(client)
    await subscribe(client, sandbox_client, subscribed)
    await notify(
        person_ids=[subscribed.person_id, plain.person_id],
        kind="notice",
        key="notice:9",
        title="t",
        body="b",
    )
    await settle(key="notice:9")
    admin = await login_as(client, "admin")
    resp = await client.get("/api/v1/delivery/outbox?key=notice:9", headers=admin.headers)
    assert resp.status_code == 200
    assert resp.json()["counts"] == {"queued": 0, "sent": 2, "failed": 0, "read": 0}
    assert resp.json()["channels"] == {"subscribe": 1, "inbox": 1}
    missing = await client.get("/api/v1/delivery/outbox", headers=admin.headers)
    assert missing.status_code == 400
