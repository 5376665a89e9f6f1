"""WeChat's TEMPLATESENDJOBFINISH report reaches the delivery a template message belongs to."""

from __future__ import annotations

from server.common.runtime import current
from server.delivery import template_results
from server.delivery.models import Channel, Delivery, DeliveryStatus
from server.delivery.service import notify
from server.followers import events
from tests.bots.people import bound_follower, stranger
from tests.delivery.helpers import settle
from tests.support.sandbox import read_outbox

FIELDS = {"time": "2026-11-27T09:00:00+08:00", "place": "青山镇中心幼儿园"}


async def _template_delivery(client, sandbox_client, key: str) -> tuple[Delivery, int]:
    """A teacher who follows the 公众号 (no subscription) gets a template message."""
    who, oa_openid = await bound_follower(client, "teacher")
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
    [sent] = await read_outbox(sandbox_client, kind="template_send", touser=oa_openid)
    return row, sent["msgid"]


async def test_a_blocked_template_message_marks_its_delivery_failed(
    client, sandbox_client, wechat_server
):
    row, msgid = await _template_delivery(client, sandbox_client, "activity:71:cancelled")
    reply = await wechat_server.event(
        stranger(), "TEMPLATESENDJOBFINISH", MsgID=msgid, Status="failed:user block"
    )
    assert reply.text == "success"
    row = await Delivery.get(id=row.id)
    assert row.status == DeliveryStatus.FAILED and row.channel == Channel.TEMPLATE
    assert "拒收" in row.last_error


async def test_a_delivered_report_changes_nothing(client, sandbox_client, wechat_server):
    row, msgid = await _template_delivery(client, sandbox_client, "activity:72:cancelled")
    await wechat_server.event(stranger(), "TEMPLATESENDJOBFINISH", MsgID=msgid, Status="success")
    row = await Delivery.get(id=row.id)
    assert row.status == DeliveryStatus.SENT and row.last_error is None


async def test_a_report_that_came_before_the_send_was_recorded_still_settles_it(
    client, sandbox_client
):
    row, msgid = await _template_delivery(client, sandbox_client, "activity:73:cancelled")
    other = msgid + 100000  # as if the callback beat the sender: report first, then the send
    redis = current().redis
    await events.record_template_send_finished(
        redis=redis, msgid=other, status="failed: system failed"
    )
    assert await template_results.settle_reported(msgid=other) is False  # not known yet
    assert await template_results.remember_sent({row.id: other}) == 1
    row = await Delivery.get(id=row.id)
    assert row.status == DeliveryStatus.FAILED and "系统" in row.last_error


async def test_a_report_on_someone_elses_message_touches_nothing(wechat_server):
    reply = await wechat_server.event(
        stranger(), "TEMPLATESENDJOBFINISH", MsgID=987654321, Status="failed:user block"
    )
    assert reply.text == "success"
    assert await template_results.settle_reported(msgid=987654321) is False
