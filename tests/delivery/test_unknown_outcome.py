"""A push whose answer was lost: re-sent only where WeChat would drop a repeat, else unconfirmed.

WeChat dedupes a template message's client_msg_id for ten minutes only; a subscribe message
has no such key. Each test kills the send job after WeChat took the message (the sandbox's
answer is held back), as a worker dying mid-send would, then lets the sweeper judge it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import timedelta

import pytest

from server.accounts.models import Account
from server.common.errors import DomainError
from server.common.miniprogram_pages import ACTIVITY, NOTICE
from server.common.runtime import current, install
from server.common.time import now
from server.delivery import admin, sending
from server.delivery.jobs import recover_stuck, send_batch
from server.delivery.models import Channel, Delivery, DeliveryStatus
from server.followers.service import record_subscribe
from server.lifecycle import make_wechat_client
from server.metrics.service import exposition
from server.wechat.sandbox import sandbox_state
from tests.delivery.helpers import (
    Parent,
    delivered,
    fault,
    make_parent,
    settle,
    subscribe,
    subscribed_parent,
)
from tests.support.sandbox import read_outbox

START = "2026-11-25T14:30:00+08:00"


async def _follower(client) -> tuple[Parent, str]:
    """A parent who follows the 公众号 (linked by unionid): template messages reach her."""
    parent = await make_parent(client)
    union = "union_" + parent.openid[:20]
    await Account.filter(openid=parent.openid).update(unionid=union)
    oa_openid = "oa_" + parent.openid[:20]
    await record_subscribe(oa_openid=oa_openid, unionid=union)
    return parent, oa_openid


async def _row(parent: Parent, key: str, kind: str = "activity_cancelled") -> Delivery:
    page = ACTIVITY.link(id=7) if kind.startswith("activity") else NOTICE.link(id=7)
    return await Delivery.create(
        key=key,
        person_id=parent.person_id,
        kind=kind,
        title="送教下乡示范课取消",
        body="因天气原因活动取消。",
        field_values={"time": START, "place": "青山镇中心幼儿园"},
        page=page,
    )


async def _die_after_wechat_took_it(sandbox_client, row: Delivery, kind: str) -> None:
    """Run the send job and kill it once WeChat sent the message, before its answer comes."""
    await fault(sandbox_client, kind=kind, answer_delay=3, times=1)
    job = asyncio.create_task(send_batch(delivery_ids=[row.id]))
    deadline = asyncio.get_running_loop().time() + 10
    while not await read_outbox(sandbox_client, kind=kind, delivered="true"):
        assert asyncio.get_running_loop().time() < deadline, "the message never reached WeChat"
        await asyncio.sleep(0.02)
    job.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await job
    row = await Delivery.get(id=row.id)
    assert row.status == DeliveryStatus.SENDING and row.push_started_at is not None


async def _age(row: Delivery, sandbox, seconds: int) -> None:
    """Let `seconds` pass for the row's claim and push, and for WeChat's dedupe alike."""
    earlier = now() - timedelta(seconds=seconds)
    await Delivery.filter(id=row.id).update(claimed_at=earlier, push_started_at=earlier)
    sandbox_state(sandbox.app).advance(seconds)


async def test_a_template_message_whose_answer_was_lost_is_not_resent_past_ten_minutes(
    client, sandbox, sandbox_client
):
    parent, oa_openid = await _follower(client)
    row = await _row(parent, "activity:7:cancelled")
    await _die_after_wechat_took_it(sandbox_client, row, "template_send")
    await _age(row, sandbox, sending.TEMPLATE_DEDUPE_S + 60)

    result = await recover_stuck()
    assert result["unconfirmed"] == 1
    await asyncio.sleep(0.5)  # anything queued by mistake would be sent by now
    await recover_stuck()  # a second sweep changes nothing
    row = await Delivery.get(id=row.id)
    assert (row.status, row.channel) == (DeliveryStatus.UNCONFIRMED, Channel.TEMPLATE)
    assert "10 分钟" in row.last_error
    assert await delivered(sandbox_client, oa_openid, "template_send") == 1
    # The console lists it as what it is, and an admin cannot re-send it as a dead letter.
    listed = await admin.outbox_messages(limit=10, offset=0, status="unconfirmed")
    assert [(i["id"], i["status_label"]) for i in listed["items"]] == [
        (row.id, admin.STATUS_LABELS[DeliveryStatus.UNCONFIRMED])
    ]
    with pytest.raises(DomainError, match="只有发送失败的消息可以重发"):
        await admin.retry_dead_letter(delivery_id=row.id)
    runtime = current()
    shown = await exposition(redis=runtime.redis, broker=runtime.broker)
    assert 'songjiao_deliveries_total{channel="template",outcome="unconfirmed"}' in shown


async def test_within_ten_minutes_the_resend_reuses_the_client_msg_id_and_wechat_drops_it(
    client, sandbox, sandbox_client
):
    parent, oa_openid = await _follower(client)
    row = await _row(parent, "activity:8:cancelled")
    await _die_after_wechat_took_it(sandbox_client, row, "template_send")
    await _age(row, sandbox, sending.STARTED_STUCK_S + 10)

    result = await recover_stuck()
    assert result["resent"] == 1
    [row] = await settle(key="activity:8:cancelled")
    assert (row.status, row.channel) == (DeliveryStatus.SENT, Channel.TEMPLATE)
    first, again = await read_outbox(sandbox_client, kind="template_send")
    assert first["request"]["client_msg_id"] == again["request"]["client_msg_id"]
    assert first["msgid"] == again["msgid"]
    assert await delivered(sandbox_client, oa_openid, "template_send") == 1


async def test_a_template_message_wechat_answered_is_recorded_sent_not_resent(
    client, sandbox, sandbox_client, monkeypatch
):
    parent, oa_openid = await _follower(client)
    row = await _row(parent, "activity:9:cancelled")

    async def die(*args, **kwargs):
        raise asyncio.CancelledError  # the worker dies after WeChat answered, before recording

    monkeypatch.setattr(sending, "_record", die)
    with pytest.raises(asyncio.CancelledError):
        await send_batch(delivery_ids=[row.id])
    monkeypatch.undo()
    await _age(row, sandbox, sending.TEMPLATE_DEDUPE_S + 60)

    result = await recover_stuck()
    assert result["confirmed"] == 1
    row = await Delivery.get(id=row.id)
    assert (row.status, row.channel) == (DeliveryStatus.SENT, Channel.TEMPLATE)
    assert "msgid" in row.last_error
    assert await delivered(sandbox_client, oa_openid, "template_send") == 1


async def test_a_subscribe_message_is_not_resent_while_she_has_more_subscriptions(
    client, sandbox, sandbox_client
):
    parent = await subscribed_parent(client, sandbox_client, times=2)
    row = await _row(parent, "notice:7:published", kind="notice")
    await _die_after_wechat_took_it(sandbox_client, row, "subscribe_send")
    await _age(row, sandbox, sending.TEMPLATE_DEDUPE_S + 60)

    result = await recover_stuck()
    assert result["unconfirmed"] == 1
    await asyncio.sleep(0.5)
    row = await Delivery.get(id=row.id)
    assert (row.status, row.channel) == (DeliveryStatus.UNCONFIRMED, Channel.SUBSCRIBE)
    assert await delivered(sandbox_client, parent.openid) == 1


async def test_a_resent_delivery_stays_on_the_template_channel(client, sandbox, sandbox_client):
    # A subscription granted after the interruption must not bring a second, other message.
    parent, oa_openid = await _follower(client)
    row = await _row(parent, "activity:10:cancelled")
    await _die_after_wechat_took_it(sandbox_client, row, "template_send")
    await subscribe(client, sandbox_client, parent, kind="activity_cancelled")
    await _age(row, sandbox, sending.STARTED_STUCK_S + 10)

    await recover_stuck()
    [row] = await settle(key="activity:10:cancelled")
    assert row.channel == Channel.TEMPLATE
    assert await delivered(sandbox_client, parent.openid) == 0
    assert await delivered(sandbox_client, oa_openid, "template_send") == 1


@contextlib.asynccontextmanager
async def _impatient_wechat():
    """The mini-program's client giving up on WeChat after 0.3 s."""
    runtime = current()
    settings = runtime.settings.model_copy(update={"wechat_timeout": 0.3})
    impatient = make_wechat_client(settings, redis=runtime.redis)
    install(dataclasses.replace(runtime, wechat=impatient))
    try:
        yield
    finally:
        install(runtime)
        await impatient.aclose()


async def test_a_timed_out_subscribe_send_is_not_tried_again_while_she_has_more(
    client, sandbox_client
):
    parent = await subscribed_parent(client, sandbox_client, times=2)
    row = await _row(parent, "notice:8:published", kind="notice")
    await fault(sandbox_client, kind="subscribe_send", answer_delay=1)
    async with _impatient_wechat():
        await send_batch(delivery_ids=[row.id])
    row = await Delivery.get(id=row.id)
    assert (row.status, row.channel) == (DeliveryStatus.UNCONFIRMED, Channel.SUBSCRIBE)
    assert len(await read_outbox(sandbox_client, kind="subscribe_send")) == 1  # no second try
    assert await delivered(sandbox_client, parent.openid) == 1


async def test_a_timed_out_send_on_her_last_subscription_is_tried_again_and_counted_once(
    client, sandbox_client
):
    parent = await subscribed_parent(client, sandbox_client)
    row = await _row(parent, "notice:9:published", kind="notice")
    await fault(sandbox_client, kind="subscribe_send", answer_delay=1, times=1)
    async with _impatient_wechat():
        await send_batch(delivery_ids=[row.id])
    row = await Delivery.get(id=row.id)
    # The retry met 43101: WeChat had taken the first, timed-out send.
    assert (row.status, row.channel) == (DeliveryStatus.SENT, Channel.SUBSCRIBE)
    assert "已送达" in row.last_error
    assert [e["errcode"] for e in await read_outbox(sandbox_client, kind="subscribe_send")] == [
        0,
        43101,
    ]
    assert await delivered(sandbox_client, parent.openid) == 1


async def test_a_message_she_read_while_its_dead_worker_sent_it_is_recorded_not_resent(
    client, sandbox, sandbox_client
):
    # Found by bench/soak: the worker dies mid-send, she opens the message in the app (the
    # row becomes "read"), and no sweep ever said how it went out: channel empty for ever.
    parent = await subscribed_parent(client, sandbox_client, times=2)
    row = await _row(parent, "notice:7:published", kind="notice")
    await _die_after_wechat_took_it(sandbox_client, row, "subscribe_send")
    resp = await client.post(f"/api/v1/inbox/{row.id}/read", headers=parent.headers)
    assert resp.status_code == 200 and resp.json()["read"] is True
    await _age(row, sandbox, sending.TEMPLATE_DEDUPE_S + 60)

    result = await recover_stuck()
    assert result["read_meanwhile"] == 1
    row = await Delivery.get(id=row.id)
    assert (row.status, row.channel) == (DeliveryStatus.READ, Channel.SUBSCRIBE)
    assert "她已在小程序中读到" in row.last_error
    assert (await recover_stuck())["read_meanwhile"] == 0  # judged once
    await asyncio.sleep(0.5)
    assert await delivered(sandbox_client, parent.openid) == 1  # never sent again


async def test_a_failed_message_she_read_afterwards_keeps_its_failure(
    client, sandbox, sandbox_client
):
    # Found by a helper: a send that failed for good, then read in the app, was relabelled
    # "outcome unknown" on the template channel by the next sweep.
    parent = await subscribed_parent(client, sandbox_client)
    row = await _row(parent, "notice:6:published", kind="notice")
    await fault(sandbox_client, kind="subscribe_send", errcode=-1)
    await send_batch(delivery_ids=[row.id])
    row = await Delivery.get(id=row.id)
    assert (row.status, row.channel) == (DeliveryStatus.FAILED, None)
    failure = row.last_error
    assert failure.startswith("发送失败")
    resp = await client.post(f"/api/v1/inbox/{row.id}/read", headers=parent.headers)
    assert resp.status_code == 200 and resp.json()["read"] is True
    await _age(row, sandbox, sending.TEMPLATE_DEDUPE_S + 60)

    assert (await recover_stuck())["read_meanwhile"] == 0
    row = await Delivery.get(id=row.id)
    assert (row.status, row.channel, row.last_error) == (DeliveryStatus.READ, None, failure)
    assert await delivered(sandbox_client, parent.openid) == 0
