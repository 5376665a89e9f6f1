"""A worker's many jobs at once: how many pushes it exposes to a crash, and the plans of its
claims and outcomes however stale the statistics are (issue 18)."""

from __future__ import annotations

import asyncio
import dataclasses

from tortoise import connections

from server.common.runtime import current, install
from server.common.time import now
from server.delivery import statements
from server.delivery.models import Channel, Delivery, DeliveryStatus
from server.delivery.sending import send_deliveries
from tests.delivery.helpers import delivered, fault, seed_parents
from tests.support.factories import unique

JOBS = 4
PER_JOB = 4


async def _queued(people: list[int], key: str) -> list[int]:
    stamp = now()
    await Delivery.bulk_create(
        [
            Delivery(
                key=key,
                kind="notice",
                title="家长开放日通知",
                body="本周五上午九点，欢迎家长来园。",
                field_values={"time": "2026-11-27T09:00:00+08:00"},
                status=DeliveryStatus.QUEUED,
                attempts=0,
                created_at=stamp,
                enqueued_at=stamp,
                person_id=person,
            )
            for person in people
        ]
    )
    return list(await Delivery.filter(key=key).order_by("id").values_list("id", flat=True))


async def _most_held(key: str, done: asyncio.Event) -> tuple[int, int]:
    """Most rows of `key` seen at once (claimed, and with their push started) that have no
    outcome recorded yet: what a crash at that moment would leave to the sweeper, and of
    those, the ones it could only judge unknown."""
    claimed = started = 0
    while not done.is_set():
        sending = Delivery.filter(key=key, status=DeliveryStatus.SENDING)
        claimed = max(claimed, await sending.count())
        started = max(started, await sending.filter(push_started_at__isnull=False).count())
        await asyncio.sleep(0.01)
    return claimed, started


async def test_jobs_running_at_once_hold_at_most_the_batches_in_flight(client, sandbox_client):
    # A worker runs dozens of send jobs at once. Each used to claim its batch, stamp its
    # first group "push started" and then wait for a call slot, so a crash left every job's
    # group unknown (most of them never sent) and every job's batch claimed. Now the jobs
    # beyond the limit wait before their claim, holding nothing.
    key = unique("notice:batches")
    people, openids = await seed_parents(sandbox_client, JOBS * PER_JOB, key.replace(":", ""))
    ids = await _queued(people, key)
    own = current()
    settings = own.settings.model_copy(
        update={"delivery_batch_concurrency": 2, "delivery_batches_in_flight": 1}
    )
    install(dataclasses.replace(own, settings=settings))
    # Each send takes a while, so the jobs would overlap if nothing held them back.
    await fault(sandbox_client, kind="subscribe_send", delay=0.15)
    done = asyncio.Event()
    watcher = asyncio.create_task(_most_held(key, done))
    try:
        results = await asyncio.gather(
            *(send_deliveries(ids[i : i + PER_JOB]) for i in range(0, len(ids), PER_JOB))
        )
    finally:
        done.set()
        install(own)
    claimed, started = await watcher
    assert [r["claimed"] for r in results] == [PER_JOB] * JOBS
    # One batch of four claimed at a time, one group of two started (without the limit:
    # all sixteen claimed, and the first group of each of the four jobs started).
    assert 1 <= started <= 2 and started <= claimed <= PER_JOB, (claimed, started)
    rows = await Delivery.filter(key=key).values_list("status", "channel")
    assert rows == [(DeliveryStatus.SENT, Channel.SUBSCRIBE)] * len(people)
    for openid in openids:
        assert await delivered(sandbox_client, openid) == 1


async def _plan(statement, *args, **kwargs) -> str:
    """The plan PostgreSQL chooses for the statement `statement(*args, **kwargs)` sends."""
    conn = connections.get("default")
    sent: list[tuple[str, list]] = []
    run, run_dict = conn.execute_query, conn.execute_query_dict

    async def keep(sql, values=None):
        sent.append((sql, values))
        return 0, []

    async def keep_dict(sql, values=None):
        sent.append((sql, values))
        return []

    conn.execute_query, conn.execute_query_dict = keep, keep_dict
    try:
        await statement(*args, **kwargs)
    finally:
        conn.execute_query, conn.execute_query_dict = run, run_dict
    ((sql, values),) = sent
    rows = await conn.execute_query_dict(f"EXPLAIN {sql}", values)
    return "\n".join(r["QUERY PLAN"] for r in rows)


async def test_claims_and_outcomes_find_their_rows_by_id_whatever_the_statistics_say(
    client, sandbox_client
):
    # Statistics taken when every delivery was sent, then a fan-out queues its rows: the
    # planner believes `queued` is rare. A claim that searched the status index then read
    # every queued row of the fan-out for each batch it claimed.
    conn = connections.get("default")
    key = unique("notice:plans")
    people, _ = await seed_parents(sandbox_client, 300, key.replace(":", ""))
    ids = await _queued(people, key)
    if conn.capabilities.dialect != "postgres":
        # SQLite has no statistics unless asked (ANALYZE), and its plans are not chosen by
        # them here; the statements are the same ones, tested by every send on it.
        assert conn.capabilities.dialect == "sqlite"
        return
    await Delivery.filter(key=key).update(status=DeliveryStatus.SENT)
    await conn.execute_script('ANALYZE "delivery"')
    await Delivery.filter(key=key).update(status=DeliveryStatus.QUEUED)
    claim = await _plan(statements.claim, ids[:50], token="t" * 32, at=now())
    record = await _plan(
        statements.record,
        ids[:50],
        token="t" * 32,
        status=DeliveryStatus.SENT,
        channel=Channel.SUBSCRIBE,
        attempts=1,
        reason=None,
        keep_unit=False,
        at=now(),
    )
    for plan in (claim, record):
        # By primary key, or, the table being this small, by reading it once; never through
        # an index of the status, which a fan-out's queued rows all share.
        assert "idx_delivery_status" not in plan and "idx_delivery_person" not in plan, plan
