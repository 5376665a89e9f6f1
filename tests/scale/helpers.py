"""Shared steps of the scale tests: parents to notify, a fan-out on a given queue, counts."""

from __future__ import annotations

import dataclasses
import json

import httpx
import redis.asyncio as aioredis

from server.common.runtime import current, install
from server.delivery.models import Delivery, DeliveryStatus
from server.delivery.service import notify
from server.jobs.broker import QUEUE


async def fan_out(broker, people: list[int], key: str, *, batch_size: int = 4) -> None:
    """Queue a notice to `people` on `broker` (the queue the worker processes read).

    Small send jobs (`batch_size` messages each), so several workers share one fan-out.
    """
    own = current()
    settings = own.settings.model_copy(update={"delivery_batch_size": batch_size})
    install(dataclasses.replace(own, broker=broker, settings=settings))
    try:
        result = await notify(
            person_ids=people,
            kind="notice",
            key=key,
            title="家长开放日通知",
            body="本周五上午九点，欢迎家长来园。",
            fields={"time": "2026-11-27T09:00:00+08:00"},
        )
    finally:
        install(own)
    assert result.created == len(people)


async def settled(key: str, n: int) -> bool:
    """True when all `n` deliveries of `key` ended sent or failed."""
    done = await Delivery.filter(
        key=key, status__in=(DeliveryStatus.SENT, DeliveryStatus.FAILED)
    ).count()
    return done == n


async def delivered_counts(sandbox: httpx.AsyncClient) -> dict[str, int]:
    """openid -> subscribe messages WeChat delivered to it."""
    resp = await sandbox.get("/sandbox/delivered", params={"kind": "subscribe_send"})
    return resp.json()["counts"]


async def stable_token_calls(sandbox: httpx.AsyncClient) -> int:
    """How many times the sandbox was asked for a token."""
    return (await sandbox.get("/sandbox/stats")).json()["calls"].get("stable_token", 0)


async def queued_jobs(redis_url: str, task_name: str) -> int:
    """How many messages for `task_name` the job stream received."""
    client = aioredis.from_url(redis_url)
    try:
        entries = await client.xrange(QUEUE)
    finally:
        await client.aclose()
    count = 0
    for _, fields in entries:
        message = json.loads(fields[b"data"])
        count += message.get("task_name") == task_name
    return count


async def pending_jobs(redis_url: str) -> int:
    """Messages taken by a worker and not yet acknowledged."""
    client = aioredis.from_url(redis_url)
    try:
        info = await client.xpending(QUEUE, "songjiao-workers")
    finally:
        await client.aclose()
    return info["pending"]
