"""Messages to WeCom group robots (leaders' groups): once per key, 20 a minute per robot."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import math
import uuid
from datetime import datetime
from functools import partial

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from server.common.runtime import current
from server.common.time import now
from server.delivery.models import Channel, DeliveryStatus, GroupMessage
from server.delivery.retry import CallFailed, call_with_retries
from server.jobs.broker import enqueue
from server.metrics import counters as metrics
from server.wechat.errors import RateLimited

log = logging.getLogger("songjiao.delivery")

SEND_GROUP = "delivery.send_group"
#: WeCom's limits: markdown content in bytes, image size.
MARKDOWN_LIMIT = 4096
IMAGE_LIMIT = 2 * 1024 * 1024


def shorten_markdown(text: str, limit: int = MARKDOWN_LIMIT) -> str:
    """`text` cut to `limit` UTF-8 bytes, ending with "…" when cut."""
    if len(text.encode()) <= limit:
        return text
    room = limit - len("…".encode())
    cut = text.encode()[:room].decode(errors="ignore")
    return cut + "…"


async def queue_group_message(
    *, group: str, kind: str, key: str, markdown: str, image_png: bytes | None
) -> bool:
    """Store the message once per key and queue its job; False when the group is unknown."""
    settings = current().settings
    if group not in settings.wecom_groups:
        return False
    note = None
    if image_png is not None and len(image_png) > IMAGE_LIMIT:
        image_png, note = None, "图片超过 2MB，只发送文字"
    try:
        message, created = await GroupMessage.get_or_create(
            key=key,
            defaults={
                "group": group,
                "kind": kind,
                "markdown": shorten_markdown(markdown),
                "image_png": image_png,
                "last_error": note,
                "enqueued_at": now(),
            },
        )
    except IntegrityError:
        return True  # the same key was stored at the same moment by another caller
    if created:
        await enqueue(current().broker, SEND_GROUP, message_id=message.id, key=key)
    return True


def _payloads(message: GroupMessage) -> list[dict]:
    parts = [{"msgtype": "markdown", "markdown": {"content": message.markdown}}]
    if message.image_png:
        image = bytes(message.image_png)
        parts.append(
            {
                "msgtype": "image",
                "image": {
                    "base64": base64.b64encode(image).decode(),
                    "md5": hashlib.md5(image, usedforsecurity=False).hexdigest(),
                },
            }
        )
    return parts


async def send_group_message(*, message_id: int, key: str) -> dict:
    """Send a queued group message (its parts not yet sent); safe to run twice."""
    runtime = current()
    settings = runtime.settings
    token = uuid.uuid4().hex
    claimed = await GroupMessage.filter(
        id=message_id, key=key, status=DeliveryStatus.QUEUED
    ).update(status=DeliveryStatus.SENDING, claim=token, claimed_at=now())
    if not claimed:
        return {"claimed": 0}
    message = await GroupMessage.get(id=message_id)
    mine = GroupMessage.filter(id=message_id, claim=token)
    webhook = settings.wecom_groups.get(message.group)
    if webhook is None:
        await mine.update(status=DeliveryStatus.FAILED, last_error="该群未配置企业微信群机器人")
        metrics.delivery(channel=Channel.WECOM.value, outcome="dead")
        return {"failed": 1}
    parts = _payloads(message)
    try:
        for index in range(message.parts_sent, len(parts)):
            made = await call_with_retries(
                partial(runtime.wechat.send_wecom_webhook, key=webhook, payload=parts[index]),
                attempts=settings.delivery_max_attempts,
                base=settings.delivery_retry_base,
                rate_wait_max=settings.delivery_rate_wait_max,
                retry_rate_limited=False,
            )
            await mine.update(parts_sent=index + 1, attempts=F("attempts") + made)
    except RateLimited as exc:
        return await _defer(message, token, exc)
    except CallFailed as exc:
        reason = f"发送失败：{exc.error.message}（已尝试 {exc.attempts} 次）"
        await mine.update(
            status=DeliveryStatus.FAILED, last_error=reason, attempts=F("attempts") + exc.attempts
        )
        log.warning("group message %s failed: errcode %s", message_id, exc.error.errcode)
        metrics.delivery(channel=Channel.WECOM.value, outcome="dead")
        return {"failed": 1}
    await mine.update(status=DeliveryStatus.SENT, sent_at=now())
    metrics.delivery(channel=Channel.WECOM.value, outcome="sent")
    return {"sent": 1}


async def _defer(message: GroupMessage, token: str, exc: RateLimited) -> dict:
    """Over the robot's 20 a minute: wait for the window, then queue the message again."""
    runtime = current()
    wait = min(exc.retry_after or 60.0, runtime.settings.delivery_rate_wait_max)
    reason = f"群机器人每分钟最多发送 20 条，约 {math.ceil(wait)} 秒后自动重发"
    await GroupMessage.filter(id=message.id, claim=token).update(
        status=DeliveryStatus.QUEUED, claim=None, last_error=reason, enqueued_at=now()
    )
    metrics.delivery(channel=Channel.WECOM.value, outcome="failed")
    await asyncio.sleep(wait)
    await enqueue(runtime.broker, SEND_GROUP, message_id=message.id, key=message.key)
    return {"deferred": wait}


async def recover_group_messages(cutoff: datetime) -> int:
    """Queue again group messages a dead worker left behind; how many."""
    await GroupMessage.filter(status=DeliveryStatus.SENDING, claimed_at__lt=cutoff).update(
        status=DeliveryStatus.QUEUED, claim=None
    )
    stale = await GroupMessage.filter(status=DeliveryStatus.QUEUED).filter(
        Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True)
    )
    for message in stale:
        await GroupMessage.filter(id=message.id).update(enqueued_at=now())
        await enqueue(current().broker, SEND_GROUP, message_id=message.id, key=message.key)
    return len(stale)


async def requeue_group_message(*, message_id: int) -> GroupMessage | None:
    """Queue a failed group message again (admin retry); None when it is not failed."""
    updated = await GroupMessage.filter(id=message_id, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.QUEUED, claim=None, last_error=None, enqueued_at=now()
    )
    if not updated:
        return None
    message = await GroupMessage.get(id=message_id)
    await enqueue(current().broker, SEND_GROUP, message_id=message.id, key=message.key)
    return message
