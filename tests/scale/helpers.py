"""Shared steps of the scale tests: parents to notify, a fan-out on a given queue, counts."""

from __future__ import annotations

import dataclasses
import json

import httpx
import redis.asyncio as aioredis

from server.accounts.models import Account
from server.common.runtime import current, install
from server.delivery.models import Delivery, DeliveryStatus, SubscriptionQuota
from server.delivery.service import notify
from server.jobs.broker import QUEUE
from server.orgs.models import Person
from tests.delivery.helpers import template_id


async def seed_parents(sandbox: httpx.AsyncClient, n: int, tag: str) -> tuple[list[int], list]:
    """`n` parents who each accepted one subscription, here and in the sandbox."""
    await Person.bulk_create([Person(name=f"家长{tag}{i}") for i in range(n)])
    people = list(
        await Person.filter(name__startswith=f"家长{tag}")
        .order_by("id")
        .values_list("id", flat=True)
    )
    openids = [f"o{tag}{pid:07d}" for pid in people]
    await Account.bulk_create(
        [Account(openid=o, person_id=p) for p, o in zip(people, openids, strict=True)]
    )
    tid = template_id("notice")
    await SubscriptionQuota.bulk_create(
        [SubscriptionQuota(person_id=p, template_id=tid, remaining=1) for p in people]
    )
    resp = await sandbox.post(
        "/sandbox/subscriptions/bulk", json={"openids": openids, "template_id": tid, "count": 1}
    )
    assert resp.status_code == 200, resp.text
    return people, openids


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
