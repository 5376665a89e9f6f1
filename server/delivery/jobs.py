"""Delivery jobs: send a batch, send a group message, recover what a dead worker left."""

from __future__ import annotations

from server.delivery import sending
from server.delivery import wecom_robots as groups
from server.jobs.registry import job


@job(sending.SEND_BATCH)
async def send_batch(*, delivery_ids: list[int]) -> dict:
    """Send the still-queued deliveries among `delivery_ids` (a second run sends nothing)."""
    return await sending.send_deliveries(delivery_ids)


@job(groups.SEND_GROUP)
async def send_group(*, message_id: int, key: str) -> dict:
    """Send a queued WeCom group message (a second run sends nothing)."""
    return await groups.send_group_message(message_id=message_id, key=key)


# Every minute: a template message whose answer was lost can be re-sent only while WeChat
# still dedupes its client_msg_id (10 minutes), see sending.STARTED_STUCK_S.
@job("delivery.recover_stuck", cron=("* * * * *",))
async def recover_stuck() -> dict:
    """Judge messages stuck in `sending`, queue those never picked up (safe to run twice)."""
    return await sending.recover_stuck()
