"""The weekly job queued twice and run by two real `songjiao worker` processes: pushed once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from server.delivery.models import Delivery, DeliveryStatus, GroupMessage
from server.jobs.broker import QUEUE, build_broker, enqueue
from server.reports.models import Summary
from server.settings import load_settings
from tests.reports.summary_world import MONDAY_RUN, WEEK, make_county
from tests.reports.test_summaries_push import director_of, leader_of
from tests.support import backends
from tests.support.processes import process_env
from tests.support.sandbox import read_outbox

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.services


async def _until(check, within: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def _listening(proc: asyncio.subprocess.Process, within: float = 90.0) -> str:
    """The worker's output up to the receiver's "Listening started."."""
    seen: list[str] = []
    while not seen or "Listening started" not in seen[-1]:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=within)
        assert line, "worker ended before listening:\n" + "".join(seen)
        seen.append(line.decode())
    return "".join(seen)


async def test_two_workers_running_the_job_twice_push_each_summary_once(
    api, settings, client, sandbox_client
):
    county = await make_county()
    leader, openid = await leader_of(client, sandbox_client, "region", county.w.region.id)
    directors = [await director_of(county.w.supporting), await director_of(county.w.supported)]
    # Its own Redis database, so the test process's receiver cannot take the jobs.
    redis_url = backends.redis_url(13)
    scratch = aioredis.from_url(redis_url)
    await scratch.flushdb()
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.cli",
            "worker",
            cwd=ROOT,
            env=process_env(settings, redis_url=redis_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    broker = build_broker(load_settings(redis_url=redis_url, database_url="x"))
    key = f"summary:weekly:{WEEK}:region:{county.w.region.id}"
    started: list[str] = []
    try:
        await broker.startup()
        # Both workers must be waiting on the stream before the jobs go in; on a busy
        # machine starting one can take a while, so wait for each to say it listens.
        started = [await _listening(proc) for proc in workers]
        await asyncio.sleep(0.5)  # from "listening" to blocked in XREADGROUP
        # Redis hands stream entries to blocked readers first come, first served: the
        # second job goes to the other worker while the first may still be running.
        await enqueue(broker, "reports.weekly_summaries", at=MONDAY_RUN.isoformat())
        await asyncio.sleep(0.1)
        await enqueue(broker, "reports.weekly_summaries", at=MONDAY_RUN.isoformat())

        async def pushed() -> bool:
            sent = await Delivery.filter(key=key, status=DeliveryStatus.SENT).exists()
            group = await GroupMessage.filter(status=DeliveryStatus.SENT).exists()
            alerts = await Delivery.filter(key=f"alert:{county.w.pairing.id}:{WEEK}").count()
            return sent and group and alerts == 2

        async def drained() -> bool:
            groups = await scratch.xinfo_groups(QUEUE)
            return all(g["pending"] == 0 for g in groups) and bool(groups)

        await _until(pushed)
        await _until(drained)
        await asyncio.sleep(1)
    finally:
        await broker.shutdown()
        await scratch.aclose()
        for proc in workers:
            proc.terminate()
        logs = [(await asyncio.wait_for(p.communicate(), timeout=20))[0].decode() for p in workers]
        logs = [first + rest for first, rest in zip(started, logs, strict=False)] + logs[
            len(started) :
        ]
    assert all("Traceback" not in log for log in logs), logs
    ran = "Executing task reports.weekly_summaries"
    # Both runs happened (Redis usually hands one to each worker, but under load one worker
    # may take both; they still run at once, and the lock and the keys must hold either way).
    assert sum(log.count(ran) for log in logs) == 2, "the job should have run twice"
    assert await Summary.filter(period=WEEK, scope_kind="region").count() == 1
    assert await Delivery.filter(key=key).count() == 1
    assert await Delivery.filter(person_id=leader.id).count() == 1
    assert (
        len(
            await read_outbox(
                sandbox_client, kind="subscribe_send", touser=openid, delivered="true"
            )
        )
        == 1
    )
    assert await GroupMessage.all().count() == 1
    wecom = await read_outbox(sandbox_client, kind="wecom_send")
    assert [c["request"]["msgtype"] for c in wecom] == ["markdown", "image"]
    for director in directors:
        assert await Delivery.filter(person_id=director.id).count() == 1
