"""WeChat's later word on 公众号 template messages (TEMPLATESENDJOBFINISH).

A template message WeChat accepted may still not reach the person: she blocked the
account's messages, or WeChat failed. The callback records WeChat's report; this module
ties it to the delivery by WeChat's msgid and marks the delivery failed with the reason
(the inbox copy stays). The report may come before the sender has recorded its send:
the sender remembers the msgid, then looks for a report; the callback records the report,
then looks for the msgid. Redis orders the two, so one of them always settles it.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from server.common.runtime import current
from server.delivery.models import Delivery, DeliveryStatus
from server.followers import events

log = logging.getLogger("songjiao.delivery")

_KEY = "delivery:template_msg:{}"
#: The msgid WeChat gave a delivery's template message, written the moment it answered: a
#: worker that dies before recording the send leaves the sweeper proof that WeChat took it.
_MSGID_OF = "delivery:template_msgid:{}"
#: WeChat reports within minutes; a week covers a callback that was down for a while.
TTL_S = 7 * 86400
REASONS = {
    "user_block": "公众号模板消息被用户拒收（用户已关闭接收），仅站内信可见",
    "system_failed": "公众号模板消息因微信系统原因未送达，仅站内信可见",
    "failed": "公众号模板消息未送达，仅站内信可见",
}


async def _apply(delivery_id: int, outcome: str) -> bool:
    reason = REASONS.get(outcome)
    if reason is None:  # delivered: nothing to change
        return False
    mine = Delivery.filter(id=delivery_id)
    failed = await mine.filter(status=DeliveryStatus.SENT).update(
        status=DeliveryStatus.FAILED, last_error=reason
    )
    # Read in the app already: she has it; keep "read" and note why the push missed.
    noted = await mine.filter(status=DeliveryStatus.READ).update(last_error=reason)
    return bool(failed or noted)


async def remember_accepted(*, delivery_id: int, msgid: int) -> None:
    """WeChat just accepted a delivery's template message: tie its msgid to the delivery."""
    try:
        async with current().redis.pipeline(transaction=False) as pipe:
            pipe.set(_KEY.format(msgid), delivery_id, ex=TTL_S)
            pipe.set(_MSGID_OF.format(delivery_id), msgid, ex=TTL_S)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        # The message is sent; its record follows at once. Only a death in between would
        # now leave it to the sweeper's window rule instead of this proof.
        log.warning("template msgid not remembered (%s)", type(exc).__name__)


async def accepted_msgid(*, delivery_id: int) -> int | None:
    """The msgid WeChat gave the delivery's template message, if it ever answered one."""
    value = await current().redis.get(_MSGID_OF.format(delivery_id))
    return int(value) if value is not None else None


async def remember_sent(sent: dict[int, int]) -> int:
    """After recording template sends {delivery_id: msgid}: remember them, settle early reports.

    `remember_accepted` wrote them already as WeChat answered; written again here in one
    pipeline, so a Redis hiccup at that moment does not cost the later report its delivery.
    """
    if not sent:
        return 0
    redis = current().redis
    async with redis.pipeline(transaction=False) as pipe:
        for delivery_id, msgid in sent.items():
            pipe.set(_KEY.format(msgid), delivery_id, ex=TTL_S)
        await pipe.execute()
    settled = 0
    for delivery_id, msgid in sent.items():
        report = await events.template_send_result(redis=redis, msgid=msgid)
        if report is not None:
            settled += await _apply(delivery_id, report["outcome"])
    return settled


async def settle_reported(*, msgid: int) -> bool:
    """After the callback recorded WeChat's report on `msgid`: mark its delivery."""
    redis = current().redis
    delivery_id = await redis.get(_KEY.format(msgid))
    report = await events.template_send_result(redis=redis, msgid=msgid)
    if delivery_id is None or report is None:
        return False  # not ours, or the sender settles it when it records the send
    return await _apply(int(delivery_id), report["outcome"])
