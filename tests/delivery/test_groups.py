"""WeCom group robots: once per key, at most 20 a minute per robot, unknown groups refused."""

from __future__ import annotations

import asyncio

from server.delivery.models import DeliveryStatus, GroupMessage
from server.delivery.service import notify_group
from tests.delivery.helpers import fault
from tests.support.factories import login_as
from tests.support.sandbox import read_outbox
from tests.wechat.images import image_bytes

GROUP = "leaders"


async def settled_groups(count: int, within: float = 20) -> list[GroupMessage]:
    """Wait until `count` group messages exist and each is sent or failed."""
    final = (DeliveryStatus.SENT, DeliveryStatus.FAILED)
    deadline = asyncio.get_running_loop().time() + within
    while True:
        rows = await GroupMessage.all().order_by("id")
        if len(rows) >= count and all(r.status in final for r in rows):
            return rows
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError([(r.id, r.status, r.parts_sent) for r in rows])
        await asyncio.sleep(0.05)


async def wecom_calls(sandbox_client) -> list[dict]:
    return await read_outbox(sandbox_client, kind="wecom_send")


async def test_group_message_is_sent_once_per_key_with_its_image(sandbox_client, client):
    image = image_bytes("PNG")
    text = "**本周送教** 3 场"
    assert await notify_group(
        group=GROUP, kind="summary", key="summary:w47", markdown=text, image_png=image
    )
    assert await notify_group(group=GROUP, kind="summary", key="summary:w47", markdown="again")
    [row] = await settled_groups(1)
    assert (row.status, row.parts_sent) == (DeliveryStatus.SENT, 2)
    calls = await wecom_calls(sandbox_client)
    assert [c["request"]["msgtype"] for c in calls] == ["markdown", "image"]
    assert calls[0]["request"]["markdown"]["content"] == "**本周送教** 3 场"
    assert all(c["delivered"] for c in calls)


async def test_unknown_group_is_refused():
    assert await notify_group(group="无此群", kind="summary", key="s:x", markdown="hi") is False


async def test_at_most_20_a_minute_per_robot_the_rest_wait(sandbox_client, client):
    for n in range(21):
        await notify_group(group=GROUP, kind="summary", key=f"summary:{n}", markdown=f"第{n}条")
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        rows = await GroupMessage.all().order_by("id")
        sent = [r for r in rows if r.status == DeliveryStatus.SENT]
        waiting = [r for r in rows if r.status == DeliveryStatus.QUEUED and r.last_error]
        if len(sent) == 20 and len(waiting) == 1:
            break
        assert asyncio.get_running_loop().time() < deadline, [(r.id, r.status) for r in rows]
        await asyncio.sleep(0.05)
    assert "每分钟最多发送 20 条" in waiting[0].last_error
    calls = await wecom_calls(sandbox_client)
    assert sum(c["delivered"] for c in calls) == 20


async def test_failed_group_message_is_a_dead_letter_an_admin_can_retry(
    sandbox_client, client, settings
):
    await fault(sandbox_client, kind="wecom_send", errcode=-1)
    await notify_group(group=GROUP, kind="summary", key="summary:bad", markdown="周报")
    [row] = await settled_groups(1)
    assert row.status == DeliveryStatus.FAILED
    assert row.attempts == settings.delivery_max_attempts
    admin = await login_as(client, "admin")
    resp = await client.get("/api/v1/delivery/dead-letters", headers=admin.headers)
    [letter] = resp.json()["groups"]
    assert letter["group"] == GROUP and "微信系统繁忙" in letter["reason"]
    await sandbox_client.delete("/sandbox/faults")
    resp = await client.post(
        f"/api/v1/delivery/group-dead-letters/{row.id}/retry", headers=admin.headers
    )
    assert resp.status_code == 202
    deadline = asyncio.get_running_loop().time() + 20
    while (await GroupMessage.get(id=row.id)).status != DeliveryStatus.SENT:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)
