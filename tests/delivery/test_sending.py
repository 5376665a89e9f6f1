"""notify(): once per (key, person), the best channel that reaches her, retries, dead letters."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from server.accounts.models import Account
from server.common.time import now
from server.delivery import sending
from server.delivery.jobs import recover_stuck, send_batch
from server.delivery.models import Channel, Delivery, DeliveryStatus, SubscriptionQuota
from server.delivery.service import delivery_counts, notify
from server.followers.service import record_subscribe, record_unsubscribe
from tests.delivery.helpers import (
    delivered,
    fault,
    make_parent,
    settle,
    subscribed_parent,
    template_id,
)
from tests.support.factories import login_as
from tests.support.sandbox import read_outbox

START = "2026-11-25T14:30:00+08:00"


async def send_notice(*people, key: str = "notice:1", title: str = "家长开放日通知", **kw):
    return await notify(
        person_ids=[p.person_id for p in people],
        kind="notice",
        key=key,
        title=title,
        body="本周五上午九点，欢迎家长来园参加开放日活动。",
        fields={"time": START, **kw.pop("fields", {})},
        page="pages/notice/index?id=1",
        **kw,
    )


async def test_same_key_twice_makes_one_delivery_and_one_message(client, sandbox_client):
    parent = await subscribed_parent(client, sandbox_client, in_sandbox=3)
    first = await send_notice(parent)
    second = await send_notice(parent)
    assert (first.created, first.skipped) == (1, 0)
    assert (second.created, second.skipped, second.delivery_ids) == (0, 1, [])
    [row] = await settle(key="notice:1")
    assert (row.status, row.channel, row.attempts) == (DeliveryStatus.SENT, Channel.SUBSCRIBE, 1)
    assert await delivered(sandbox_client, parent.openid) == 1
    assert await delivery_counts(key="notice:1") == {"queued": 0, "sent": 1, "failed": 0, "read": 0}


async def test_a_job_run_twice_sends_once(client, sandbox_client):
    # The sandbox would take a second message: only our claim can prevent one.
    parent = await subscribed_parent(client, sandbox_client, in_sandbox=5)
    await subscribe_more(client, parent)
    row = await Delivery.create(
        key="notice:twice", person_id=parent.person_id, kind="notice", title="通知", body="正文"
    )
    results = await asyncio.gather(
        send_batch(delivery_ids=[row.id]), send_batch(delivery_ids=[row.id])
    )
    assert sorted(r["claimed"] for r in results) == [0, 1]
    assert (await send_batch(delivery_ids=[row.id]))["claimed"] == 0
    assert await delivered(sandbox_client, parent.openid) == 1
    quota = await SubscriptionQuota.get(person_id=parent.person_id)
    assert quota.remaining == 1  # two accepted, one spent


async def subscribe_more(client, parent):
    resp = await client.post(
        "/api/v1/subscriptions",
        json={"results": {template_id(): "accept"}},
        headers=parent.headers,
    )
    assert resp.status_code == 200


async def test_subscribed_parent_gets_a_subscribe_message_with_mapped_fields(
    client, sandbox_client
):
    parent = await subscribed_parent(client, sandbox_client)
    await send_notice(parent, fields={"note": "请带好孩子的室内鞋"})
    [row] = await settle(key="notice:1")
    assert row.channel == Channel.SUBSCRIBE and row.sent_at is not None
    [sent] = await read_outbox(sandbox_client, kind="subscribe_send", touser=parent.openid)
    request = sent["request"]
    assert request["template_id"] == template_id()
    assert request["page"] == "pages/notice/index?id=1"
    assert request["data"] == {
        "thing1": {"value": "家长开放日通知"},
        "time2": {"value": "2026年11月25日 14:30"},
        "thing3": {"value": "请带好孩子的室内鞋"},
    }
    assert (await SubscriptionQuota.get(person_id=parent.person_id)).remaining == 0


async def test_without_a_subscription_the_message_is_in_the_inbox_only(client, sandbox_client):
    parent = await make_parent(client)
    never_logged_in = await login_as(client, "teacher")
    await notify(
        person_ids=[parent.person_id, never_logged_in.person.id],
        kind="notice",
        key="notice:2",
        title="通知",
        body="正文",
    )
    rows = await settle(key="notice:2")
    assert [(r.status, r.channel) for r in rows] == [(DeliveryStatus.SENT, Channel.INBOX)] * 2
    assert all(r.last_error.startswith("仅站内信") for r in rows)
    assert await read_outbox(sandbox_client, kind="subscribe_send") == []


async def test_43101_zeroes_the_quota_and_falls_back_without_retry(client, sandbox_client):
    # We believe she has one left; WeChat says she has none.
    parent = await subscribed_parent(client, sandbox_client, in_sandbox=0)
    await send_notice(parent)
    [row] = await settle(key="notice:1")
    assert (row.status, row.channel, row.attempts) == (DeliveryStatus.SENT, Channel.INBOX, 1)
    assert "订阅次数已用完" in row.last_error
    calls = await read_outbox(sandbox_client, kind="subscribe_send", touser=parent.openid)
    assert [c["errcode"] for c in calls] == [43101]
    quota = await SubscriptionQuota.get(person_id=parent.person_id)
    assert quota.remaining == 0 and row.quota_template is None


async def test_a_60_character_title_is_shortened_and_accepted(client, sandbox_client):
    parent = await subscribed_parent(client, sandbox_client)
    title = "关于开展二〇二六年秋季学期送教下乡暨结对帮扶园所家长开放日观摩研讨活动的通知" * 2
    assert len(title) >= 60
    await send_notice(parent, title=title[:60])
    [row] = await settle(key="notice:1")
    assert row.channel == Channel.SUBSCRIBE
    [sent] = await read_outbox(sandbox_client, kind="subscribe_send", touser=parent.openid)
    value = sent["request"]["data"]["thing1"]["value"]
    assert len(value) == 20 and value.endswith("…") and sent["errcode"] == 0
    assert row.title == title[:60]  # the inbox keeps the whole title


async def test_a_value_that_cannot_be_made_valid_drops_the_channel_with_a_reason(
    client, sandbox_client
):
    parent = await subscribed_parent(client, sandbox_client)
    await send_notice(parent, fields={"time": "下周五上午"})
    [row] = await settle(key="notice:1")
    assert row.channel == Channel.INBOX
    assert "时间" in row.last_error and "格式" in row.last_error
    assert await read_outbox(sandbox_client, kind="subscribe_send") == []
    # Her subscription was not spent on it.
    assert (await SubscriptionQuota.get(person_id=parent.person_id)).remaining == 1


async def test_busy_wechat_is_retried_with_backoff_then_sent(client, sandbox_client):
    parent = await subscribed_parent(client, sandbox_client)
    await fault(sandbox_client, kind="subscribe_send", errcode=-1, times=2)
    await send_notice(parent)
    [row] = await settle(key="notice:1")
    assert (row.status, row.channel, row.attempts) == (DeliveryStatus.SENT, Channel.SUBSCRIBE, 3)
    calls = await read_outbox(sandbox_client, kind="subscribe_send", touser=parent.openid)
    assert [c["errcode"] for c in calls] == [-1, -1, 0]
    moments = [c["time"] for c in calls]
    assert moments == sorted(moments)


async def test_repeated_busy_makes_a_dead_letter_that_an_admin_can_retry(
    client, sandbox_client, settings
):
    parent = await subscribed_parent(client, sandbox_client)
    await fault(sandbox_client, kind="subscribe_send", errcode=-1)
    await send_notice(parent)
    [row] = await settle(key="notice:1")
    attempts = settings.delivery_max_attempts
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, attempts)
    assert row.last_error == f"发送失败：微信系统繁忙，请稍后再试（已尝试 {attempts} 次）"
    # WeChat never took the subscription: it is hers again.
    assert (await SubscriptionQuota.get(person_id=parent.person_id)).remaining == 1

    admin = await login_as(client, "admin")
    resp = await client.get("/api/v1/delivery/dead-letters", headers=admin.headers)
    assert resp.status_code == 200
    [letter] = resp.json()["items"]
    assert letter["id"] == row.id and letter["reason"] == row.last_error
    assert "body" not in letter and "title" not in letter

    await sandbox_client.delete("/sandbox/faults")
    resp = await client.post(f"/api/v1/delivery/dead-letters/{row.id}/retry", headers=admin.headers)
    assert resp.status_code == 202, resp.text
    [row] = await settle(key="notice:1")
    assert (row.status, row.channel) == (DeliveryStatus.SENT, Channel.SUBSCRIBE)
    assert await delivered(sandbox_client, parent.openid) == 1
    again = await client.post(
        f"/api/v1/delivery/dead-letters/{row.id}/retry", headers=admin.headers
    )
    assert again.status_code == 409


async def test_a_delivery_left_sending_by_a_dead_worker_is_sent_by_the_sweeper(
    client, sandbox_client
):
    parent = await subscribed_parent(client, sandbox_client)
    row = await Delivery.create(
        key="notice:stuck",
        person_id=parent.person_id,
        kind="notice",
        title="通知",
        body="正文",
        status=DeliveryStatus.SENDING,
        claim="dead-worker",
        claimed_at=now() - timedelta(hours=1),
        enqueued_at=now() - timedelta(hours=1),
    )
    result = await recover_stuck()
    assert result["reset"] == 1 and result["requeued"] >= 1
    [row] = await settle(key="notice:stuck")
    assert (row.status, row.channel) == (DeliveryStatus.SENT, Channel.SUBSCRIBE)
    assert await delivered(sandbox_client, parent.openid) == 1


async def test_a_resent_message_whose_first_send_went_out_is_not_sent_twice(client, sandbox_client):
    # A worker died after WeChat took the message: the delivery still holds the
    # subscription it spent, and WeChat has none left for a second copy.
    parent = await subscribed_parent(client, sandbox_client)
    await send_notice(parent)
    [row] = await settle(key="notice:1")
    await Delivery.filter(id=row.id).update(
        status=DeliveryStatus.QUEUED, quota_template=template_id(), channel=None
    )
    await send_batch(delivery_ids=[row.id])
    row = await Delivery.get(id=row.id)
    assert (row.status, row.channel) == (DeliveryStatus.SENT, Channel.SUBSCRIBE)
    assert "已送达" in row.last_error
    assert await delivered(sandbox_client, parent.openid) == 1


async def test_template_message_when_she_follows_the_official_account(client, sandbox_client):
    parent = await make_parent(client)
    # She follows the 公众号; its openid differs, the unionid ties it to her account.
    await Account.filter(openid=parent.openid).update(unionid="union_" + parent.openid[:20])
    await record_subscribe(
        oa_openid="oa_" + parent.openid[:20], unionid="union_" + parent.openid[:20]
    )
    await notify(
        person_ids=[parent.person_id],
        kind="activity_cancelled",
        key="activity:7:cancelled",
        title="送教下乡示范课取消",
        body="因天气原因活动取消。",
        fields={"time": START, "place": "青山镇中心幼儿园"},
        page="pages/activity/index?id=7",
    )
    [row] = await settle(key="activity:7:cancelled")
    assert row.channel == Channel.TEMPLATE
    [sent] = await read_outbox(sandbox_client, kind="template_send")
    assert sent["request"]["client_msg_id"] == sending.client_msg_id(row.key, parent.person_id)
    assert sent["request"]["miniprogram"]["pagepath"] == "pages/activity/index?id=7"
    assert sent["request"]["data"]["thing3"]["value"] == "青山镇中心幼儿园"
    assert sent["request"]["touser"] == "oa_" + parent.openid[:20]


async def test_no_template_message_after_she_unfollows(client, sandbox_client):
    parent = await make_parent(client)
    await Account.filter(openid=parent.openid).update(unionid="union_" + parent.openid[:20])
    oa_openid = "oa_" + parent.openid[:20]
    await record_subscribe(oa_openid=oa_openid, unionid="union_" + parent.openid[:20])
    await record_unsubscribe(oa_openid=oa_openid)
    await notify(
        person_ids=[parent.person_id],
        kind="activity_cancelled",
        key="activity:8:cancelled",
        title="送教下乡示范课取消",
        body="因天气原因活动取消。",
        fields={"time": START, "place": "青山镇中心幼儿园"},
    )
    [row] = await settle(key="activity:8:cancelled")
    assert row.channel == Channel.INBOX
    assert await read_outbox(sandbox_client, kind="template_send") == []


async def test_fan_out_to_many_people_sends_each_once(client, sandbox_client):
    parents = [await subscribed_parent(client, sandbox_client) for _ in range(8)]
    others = [await make_parent(client) for _ in range(4)]
    result = await send_notice(*parents, *others, key="notice:many")
    assert result.created == 12 and len(result.delivery_ids) == 12
    rows = await settle(key="notice:many")
    channels = sorted(r.channel.value for r in rows)
    assert channels == ["inbox"] * 4 + ["subscribe"] * 8
    for p in parents:
        assert await delivered(sandbox_client, p.openid) == 1


async def test_a_token_expired_before_a_chunk_is_replaced_and_each_message_sent_once(
    client, sandbox_client
):
    # A chunk of sends shares one token read: WeChat refusing it must cost no message and
    # send none twice (each call replaces it, as a call reading its own token would).
    warm = await subscribed_parent(client, sandbox_client)
    await send_notice(warm, key="notice:warm")
    await settle(key="notice:warm")  # a token is now cached in Redis
    parents = [await subscribed_parent(client, sandbox_client) for _ in range(6)]
    await fault(sandbox_client, expire_tokens=True)
    await send_notice(*parents, key="notice:expired")
    rows = await settle(key="notice:expired")
    assert [(r.status, r.channel, r.attempts) for r in rows] == [
        (DeliveryStatus.SENT, Channel.SUBSCRIBE, 1)
    ] * 6
    for p in parents:
        assert await delivered(sandbox_client, p.openid) == 1
        calls = await read_outbox(sandbox_client, kind="subscribe_send", touser=p.openid)
        # Refused with the expired token, then accepted with the new one.
        assert [c["errcode"] for c in calls][-1] == 0
    assert await delivered(sandbox_client, warm.openid) == 1


async def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        await notify(person_ids=[1], kind="gossip", key="k", title="t", body="b")
