"""A worker killed mid-send: no parent loses her message, none gets it twice."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from server.accounts.models import Account
from server.common.miniprogram_pages import ACTIVITY
from server.common.runtime import current, install
from server.common.time import now
from server.delivery.models import Channel, Delivery, DeliveryStatus
from server.delivery.service import notify
from server.followers.service import record_subscribe
from server.jobs.broker import build_broker, enqueue
from server.settings import load_settings
from server.wechat.sandbox import sandbox_state
from tests.delivery.helpers import make_parent, seed_parents
from tests.support import backends
from tests.support.processes import process_env
from tests.support.sandbox import read_outbox

ROOT = Path(__file__).resolve().parents[2]
PARENTS = 500
#: Seconds after which the sweeper takes back what the dead worker held (production: 600).
STUCK_SECONDS = 5

pytestmark = pytest.mark.services


def _redis_url() -> str:
    # Its own Redis database: the test process's own receiver must not take these jobs.
    return backends.redis_url(11)


async def _start_worker(settings) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "worker",
        cwd=ROOT,
        env=process_env(
            settings, redis_url=_redis_url(), SONGJIAO_DELIVERY_STUCK_SECONDS=str(STUCK_SECONDS)
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its own process group: `songjiao worker` runs the receiver in a child process,
        # and the kill must take both, as a crashed host would.
        start_new_session=True,
    )


def _signal_all(proc: asyncio.subprocess.Process, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


async def _count(status: DeliveryStatus) -> int:
    return await Delivery.filter(key="notice:kill", status=status).count()


async def _wait(condition, within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.05)


async def test_killing_a_worker_mid_fan_out_loses_and_duplicates_nothing(
    api, settings, sandbox_client
):
    scratch = aioredis.from_url(_redis_url())
    await scratch.flushdb()
    await scratch.aclose()
    people, openids = await seed_parents(sandbox_client, PARENTS, "kill")
    # Half the answers are slow: the fan-out is still running when the worker dies, and
    # some messages have reached WeChat while others of their batch are still waiting.
    await sandbox_client.post(
        "/sandbox/faults", json={"kind": "subscribe_send", "delay": 0.1, "rate": 0.5}
    )
    broker = build_broker(load_settings(redis_url=_redis_url(), database_url="x"))
    first = await _start_worker(settings)
    second = None
    try:
        await broker.startup()
        await asyncio.sleep(2)  # let the worker join its consumer group
        # notify() queues on this process's broker; point it at the workers' queue.
        own = current()
        install(dataclasses.replace(own, broker=broker))
        try:
            result = await notify(
                person_ids=people,
                kind="notice",
                key="notice:kill",
                title="家长开放日通知",
                body="本周五上午九点，欢迎家长来园。",
                fields={"time": "2026-11-27T09:00:00+08:00"},
            )
        finally:
            install(own)
        assert result.created == PARENTS

        async def some_sent() -> bool:
            return await _count(DeliveryStatus.SENT) >= PARENTS // 5

        await _wait(some_sent, 60, "the first worker sent nothing")
        _signal_all(first, signal.SIGKILL)
        await first.wait()
        at_kill = await _count(DeliveryStatus.SENT)
        assert at_kill < PARENTS, "the fan-out ended before the kill; nothing was tested"

        second = await _start_worker(settings)
        await asyncio.sleep(STUCK_SECONDS + 1)  # what the dead worker held is now stale
        await enqueue(broker, "delivery.recover_stuck")

        async def all_sent() -> bool:
            return await _count(DeliveryStatus.SENT) == PARENTS

        await _wait(all_sent, 90, "not every delivery ended sent")
    finally:
        await broker.shutdown()
        for proc in (first, second):
            if proc is not None:
                _signal_all(proc, signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), timeout=20)

    rows = await Delivery.filter(key="notice:kill")
    assert len(rows) == PARENTS
    assert {(r.status, r.channel) for r in rows} == {(DeliveryStatus.SENT, Channel.SUBSCRIBE)}
    resp = await sandbox_client.get("/sandbox/delivered", params={"kind": "subscribe_send"})
    counts = resp.json()["counts"]
    assert sorted(counts) == sorted(openids), "some parent got nothing"
    assert set(counts.values()) == {1}, "some parent got the message twice"
    # Each re-send refused by WeChat (43101) is one whose first send had gone out.
    outbox = await read_outbox(sandbox_client, kind="subscribe_send")
    refused = sum(1 for e in outbox if e["errcode"] == 43101)
    assert refused == sum(1 for r in rows if r.last_error and "已送达" in r.last_error)


async def test_a_worker_killed_after_wechat_took_a_template_message_never_sends_it_twice(
    api, settings, sandbox, sandbox_client, client
):
    scratch = aioredis.from_url(_redis_url())
    await scratch.flushdb()
    await scratch.aclose()
    parent = await make_parent(client)
    union = "union_" + parent.openid[:20]
    oa_openid = "oa_" + parent.openid[:20]
    await Account.filter(openid=parent.openid).update(unionid=union)
    await record_subscribe(oa_openid=oa_openid, unionid=union)
    # WeChat sends the message, but its answer comes too late for the worker.
    await sandbox_client.post(
        "/sandbox/faults", json={"kind": "template_send", "answer_delay": 30, "times": 1}
    )
    broker = build_broker(load_settings(redis_url=_redis_url(), database_url="x"))
    first = await _start_worker(settings)
    second = None
    key = "activity:kill:cancelled"
    try:
        await broker.startup()
        await asyncio.sleep(2)
        own = current()
        install(dataclasses.replace(own, broker=broker))
        try:
            await notify(
                person_ids=[parent.person_id],
                kind="activity_cancelled",
                key=key,
                title="送教下乡示范课取消",
                body="因天气原因活动取消。",
                fields={"time": "2026-11-27T09:00:00+08:00", "place": "青山镇中心幼儿园"},
                page=ACTIVITY.link(id=7),
            )
        finally:
            install(own)

        async def wechat_took_it() -> bool:
            return bool(await read_outbox(sandbox_client, kind="template_send", delivered="true"))

        await _wait(wechat_took_it, 60, "the worker never sent the template message")
        _signal_all(first, signal.SIGKILL)
        await first.wait()
        [row] = await Delivery.filter(key=key)
        assert row.status == DeliveryStatus.SENDING and row.push_started_at is not None

        # Eleven minutes later, for us and for WeChat's client_msg_id dedupe alike.
        later = now() - timedelta(seconds=660)
        await Delivery.filter(id=row.id).update(claimed_at=later, push_started_at=later)
        sandbox_state(sandbox.app).advance(660)
        second = await _start_worker(settings)
        await asyncio.sleep(2)
        await enqueue(broker, "delivery.recover_stuck")

        async def judged() -> bool:
            return await Delivery.filter(key=key, status=DeliveryStatus.UNCONFIRMED).exists()

        await _wait(judged, 60, "the sweeper did not judge the dead worker's message")
        await enqueue(broker, "delivery.recover_stuck")  # a second sweep changes nothing
        await asyncio.sleep(3)
    finally:
        await broker.shutdown()
        for proc in (first, second):
            if proc is not None:
                _signal_all(proc, signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), timeout=20)

    [row] = await Delivery.filter(key=key)
    assert (row.status, row.channel) == (DeliveryStatus.UNCONFIRMED, Channel.TEMPLATE)
    resp = await sandbox_client.get("/sandbox/delivered", params={"kind": "template_send"})
    assert resp.json()["counts"] == {oa_openid: 1}
