"""`songjiao worker` and `songjiao scheduler` are real processes on Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from server.accounts.models import Account, Session
from server.common.time import now
from server.jobs.broker import build_broker, enqueue
from server.settings import load_settings
from tests.support import backends
from tests.support.processes import process_env

ROOT = Path(__file__).resolve().parents[2]
#: Runs in the services pass of the test command (deselected, not skipped, when embedded).
services_only = pytest.mark.services


@services_only
async def test_worker_process_runs_a_job_from_the_redis_stream(api, settings):
    # Its own Redis database, so the test process's receiver cannot take the job.
    redis_url = backends.redis_url(13)
    scratch = aioredis.from_url(redis_url)
    await scratch.flushdb()
    await scratch.aclose()
    account = await Account.create(openid=f"o{uuid.uuid4().hex[:27]}")
    old = await Session.create(
        id=uuid.uuid4(),
        account=account,
        refresh_hash=uuid.uuid4().hex,
        expires_at=now() - timedelta(days=30),
    )
    fresh = await Session.create(
        id=uuid.uuid4(),
        account=account,
        refresh_hash=uuid.uuid4().hex,
        expires_at=now() + timedelta(days=30),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "worker",
        cwd=ROOT,
        env=process_env(settings, redis_url=redis_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    broker = build_broker(load_settings(redis_url=redis_url, database_url="x"))
    seen: list[str] = []
    try:
        await broker.startup()
        # Not timed: the worker joins its consumer group when it has started (up to a
        # minute and more on a busy two-core machine), and then runs the job.
        deadline = asyncio.get_running_loop().time() + 300
        while "Listening started" not in "".join(seen) and proc.returncode is None:
            assert asyncio.get_running_loop().time() < deadline, "the worker never listened"
            await _read_some(proc, seen)
        await enqueue(broker, "accounts.purge_sessions")
        while await Session.exists(id=old.id):
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.2)
        done = not await Session.exists(id=old.id)
    finally:
        await broker.shutdown()
        proc.terminate()
        out = "".join(seen) + (await asyncio.wait_for(proc.communicate(), timeout=60))[0].decode()
    assert done, f"the worker did not run the job:\n{out}"
    assert await Session.exists(id=fresh.id)


async def _read_some(proc, seen: list[str]) -> None:
    """Keep what the process printed within a second (a line, or nothing yet)."""
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=1)
    except TimeoutError:
        return
    seen.append(line.decode())


def test_worker_and_scheduler_explain_they_need_redis_when_embedded(tmp_path):
    env = {**os.environ, "SONGJIAO_DATA_DIR": str(tmp_path), "SONGJIAO_REDIS_URL": ""}
    for command in ("worker", "scheduler"):
        proc = subprocess.run(
            [sys.executable, "-m", "server.cli", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2
        assert "SONGJIAO_REDIS_URL" in proc.stderr and "嵌入式" in proc.stderr


async def test_cron_table_schedules_session_housekeeping():
    from taskiq.schedule_sources import LabelScheduleSource

    broker = build_broker(load_settings())
    source = LabelScheduleSource(broker)
    await source.startup()
    schedules = await source.get_schedules()
    crons = {s.task_name: s.cron for s in schedules}
    assert crons["accounts.purge_sessions"] == "17 3 * * *"


@services_only
async def test_scheduler_process_starts_and_keeps_running(settings):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "scheduler",
        cwd=ROOT,
        env=process_env(settings, redis_url=backends.TEST_REDIS),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    await asyncio.sleep(4)
    still_running = proc.returncode is None
    if still_running:
        proc.terminate()
    out = (await asyncio.wait_for(proc.communicate(), timeout=20))[0].decode()
    assert still_running, out
    assert "Traceback" not in out
