"""For admins: failed messages with their reasons (the dead letters), retry, status counts."""

from __future__ import annotations

from tortoise.functions import Count

from server.common.errors import DomainError, NotFound
from server.common.time import now
from server.delivery.models import Channel, Delivery, DeliveryStatus, GroupMessage
from server.delivery.sending import enqueue_deliveries
from server.delivery.service import delivery_counts
from server.delivery.templates import KIND_NAMES
from server.delivery.wecom_robots import requeue_group_message

#: Chinese names of where a message stands and how it went, for the console.
STATUS_LABELS = {
    DeliveryStatus.QUEUED: "排队中",
    DeliveryStatus.SENDING: "发送中",
    DeliveryStatus.SENT: "已发送",
    DeliveryStatus.FAILED: "发送失败",
    DeliveryStatus.READ: "已读",
    DeliveryStatus.UNCONFIRMED: "结果未知（不再重发）",
}
CHANNEL_LABELS = {
    Channel.SUBSCRIBE: "订阅消息",
    Channel.TEMPLATE: "模板消息",
    Channel.INBOX: "仅站内消息",
    Channel.WECOM: "群机器人",
}


def _dead_letter(d: Delivery) -> dict:
    # No title, body or personal data: the key and the person's id identify the message.
    return {
        "id": d.id,
        "key": d.key,
        "kind": d.kind,
        "kind_name": KIND_NAMES.get(d.kind, d.kind),
        "person_id": d.person_id,
        "attempts": d.attempts,
        "reason": d.last_error,
        "created_at": d.created_at.isoformat(),
        "failed_at": d.claimed_at.isoformat() if d.claimed_at else None,
    }


def _group_dead_letter(m: GroupMessage) -> dict:
    return {
        "id": m.id,
        "key": m.key,
        "kind": m.kind,
        "group": m.group,
        "attempts": m.attempts,
        "reason": m.last_error,
        "created_at": m.created_at.isoformat(),
    }


async def dead_letters(*, limit: int, offset: int, key: str | None) -> dict:
    """Failed deliveries, newest first, and failed group messages."""
    failed = Delivery.filter(status=DeliveryStatus.FAILED)
    if key:
        failed = failed.filter(key=key)
    rows = await failed.order_by("-id").offset(offset).limit(limit)
    groups = await GroupMessage.filter(status=DeliveryStatus.FAILED).order_by("-id").limit(limit)
    return {
        "items": [_dead_letter(d) for d in rows],
        "total": await failed.count(),
        "groups": [_group_dead_letter(m) for m in groups],
        "limit": limit,
        "offset": offset,
    }


async def retry_dead_letter(*, delivery_id: int) -> dict:
    """Queue a failed delivery again."""
    row = await Delivery.get_or_none(id=delivery_id)
    if row is None:
        raise NotFound("消息")
    # A failed push surely did not reach her (refused, or reported failed), so the retry
    # starts afresh and may use any channel. Unconfirmed ones are not retried here.
    updated = await Delivery.filter(id=delivery_id, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.QUEUED,
        claim=None,
        last_error=None,
        enqueued_at=now(),
        push_started_at=None,
    )
    if not updated:
        raise DomainError("conflict", "只有发送失败的消息可以重发")
    await enqueue_deliveries([delivery_id])
    return {"id": delivery_id, "status": DeliveryStatus.QUEUED.value}


async def retry_group_dead_letter(*, message_id: int) -> dict:
    """Queue a failed group message again."""
    if not await GroupMessage.exists(id=message_id):
        raise NotFound("群消息")
    if await requeue_group_message(message_id=message_id) is None:
        raise DomainError("conflict", "只有发送失败的消息可以重发")
    return {"id": message_id, "status": DeliveryStatus.QUEUED.value}


async def outbox(*, key: str) -> dict:
    """Status counts of one message key, and which channels carried it."""
    if not key:
        raise DomainError("invalid_input", "缺少参数 key")
    rows = (
        await Delivery.filter(key=key, status__in=[DeliveryStatus.SENT, DeliveryStatus.READ])
        .annotate(n=Count("id"))
        .group_by("channel")
        .values_list("channel", "n")
    )
    counts = await delivery_counts(key=key)
    return {
        "key": key,
        "total": sum(counts.values()),
        "counts": counts,
        "channels": {str(channel or "none"): n for channel, n in rows},
    }


def _outbox_row(d: Delivery) -> dict:
    # As the dead letters: no title, body or personal data.
    status = DeliveryStatus(d.status)
    channel = Channel(d.channel) if d.channel else None
    return {
        "id": d.id,
        "key": d.key,
        "kind": d.kind,
        "kind_name": KIND_NAMES.get(d.kind, d.kind),
        "person_id": d.person_id,
        "status": status.value,
        "status_label": STATUS_LABELS[status],
        "channel": channel.value if channel else None,
        "channel_label": CHANNEL_LABELS[channel] if channel else "",
        "attempts": d.attempts,
        "reason": d.last_error,
        "created_at": d.created_at.isoformat(),
        "sent_at": d.sent_at.isoformat() if d.sent_at else None,
    }


async def outbox_messages(
    *, limit: int, offset: int, status: str | None = None, channel: str | None = None
) -> dict:
    """Every message to a person, newest first, by status and channel (no contents)."""
    query = Delivery.all()
    if status:
        try:
            query = query.filter(status=DeliveryStatus(status))
        except ValueError as exc:
            raise DomainError("invalid_status", "状态取值不正确") from exc
    if channel:
        try:
            query = query.filter(channel=Channel(channel))
        except ValueError as exc:
            raise DomainError("invalid_channel", "渠道取值不正确") from exc
    rows = await query.order_by("-id").offset(offset).limit(limit)
    return {
        "items": [_outbox_row(d) for d in rows],
        "total": await query.count(),
        "limit": limit,
        "offset": offset,
    }


async def retry_dead_letters(*, delivery_ids: list[int]) -> dict:
    """Queue several failed deliveries again; those no longer failed are left alone."""
    queued, skipped = [], 0
    for delivery_id in delivery_ids:
        try:
            await retry_dead_letter(delivery_id=delivery_id)
        except DomainError:
            skipped += 1
        else:
            queued.append(delivery_id)
    return {"queued": queued, "skipped": skipped}
