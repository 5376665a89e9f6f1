"""Job-finished events are told apart by the job they name (MsgID), not by user and second."""

from __future__ import annotations

import time

from server.delivery.models import Channel, Delivery, DeliveryStatus
from server.delivery.service import notify
from tests.bots.people import bound_follower
from tests.delivery.helpers import settle
from tests.support.sandbox import read_outbox

FIELDS = {"time": "2026-11-27T09:00:00+08:00", "place": "青山镇中心幼儿园"}


async def _linked_teacher(client, sandbox_client):
    """A teacher whose 公众号 follow is linked to her (an open-platform bound mini-program)."""
    await sandbox_client.post("/sandbox/open_platform", json={"bound": True})
    return await bound_follower(client, "teacher")


async def test_two_template_outcomes_for_one_user_in_one_second_are_both_handled(
    client, sandbox_client, wechat_server
):
    who, oa_openid = await _linked_teacher(client, sandbox_client)
    rows, msgids = [], []
    for key in ("activity:81:cancelled", "activity:82:cancelled"):
        await notify(
            person_ids=[who.person.id],
            kind="activity_cancelled",
            key=key,
            title="送教下乡示范课取消",
            body="因天气原因活动取消。",
            fields=FIELDS,
        )
        [row] = await settle(key=key)
        assert (row.status, row.channel) == (DeliveryStatus.SENT, Channel.TEMPLATE)
        rows.append(row)
    sent = await read_outbox(sandbox_client, kind="template_send", touser=oa_openid)
    msgids = [entry["msgid"] for entry in sent]
    assert len(msgids) == 2 and msgids[0] != msgids[1]

    # WeChat reports both jobs to the same recipient within the same second.
    second = int(time.time())
    for msgid, status in zip(msgids, ("success", "failed:user block"), strict=True):
        reply = await wechat_server.event(
            oa_openid, "TEMPLATESENDJOBFINISH", at=second, MsgID=msgid, Status=status
        )
        assert reply.status == 200 and reply.text == "success"

    first, blocked = [await Delivery.get(id=row.id) for row in rows]
    assert first.status == DeliveryStatus.SENT
    assert blocked.status == DeliveryStatus.FAILED and "拒收" in blocked.last_error


async def test_a_retried_job_event_is_handled_once(client, sandbox_client, wechat_server):
    who, oa_openid = await _linked_teacher(client, sandbox_client)
    await notify(
        person_ids=[who.person.id],
        kind="activity_cancelled",
        key="activity:83:cancelled",
        title="送教下乡示范课取消",
        body="因天气原因活动取消。",
        fields=FIELDS,
    )
    [row] = await settle(key="activity:83:cancelled")
    [sent] = await read_outbox(sandbox_client, kind="template_send", touser=oa_openid)
    second = int(time.time())
    # WeChat's retry repeats the event; a later duplicate must not be treated as new.
    for _ in range(2):
        reply = await wechat_server.event(
            oa_openid,
            "TEMPLATESENDJOBFINISH",
            at=second,
            MsgID=sent["msgid"],
            Status="failed:user block",
        )
        assert reply.text == "success"
    row = await Delivery.get(id=row.id)
    assert row.status == DeliveryStatus.FAILED
