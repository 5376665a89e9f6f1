"""At a stop the api waits for the jobs it runs in process, then cuts the ones still running."""

from __future__ import annotations

import asyncio

import pytest

from server.jobs.broker import build_broker
from server.jobs.running import running_jobs
from server.settings import load_settings

pytestmark = pytest.mark.embedded  # the in-memory broker of the embedded default


@pytest.fixture
async def broker(tmp_path):
    broker = build_broker(load_settings(data_dir=tmp_path, redis_url="", database_url=""))
    finished: list[str] = []

    async def short(name: str) -> None:
        await asyncio.sleep(0.2)
        finished.append(name)

    async def then_another(name: str) -> None:
        await asyncio.sleep(0.1)
        await broker.find_task("test.short").kiq(name=f"{name}+1")  # queued during the stop
        finished.append(name)

    async def long(name: str) -> None:
        await asyncio.sleep(3600)  # a rate-limit wait, say
        finished.append(name)

    for job in (short, then_another, long):
        broker.register_task(job, task_name=f"test.{job.__name__}")
    await broker.startup()
    broker.finished = finished
    yield broker
    await broker.shutdown()


async def test_jobs_that_end_within_the_grace_finish_even_one_queued_meanwhile(broker):
    await broker.find_task("test.short").kiq(name="a")
    await broker.find_task("test.then_another").kiq(name="b")
    cut = await running_jobs(broker).drain(seconds=3)
    assert cut == []
    assert sorted(broker.finished) == ["a", "b", "b+1"]
    assert running_jobs(broker).running() == []


async def test_a_job_beyond_the_grace_is_cut_and_named(broker):
    await broker.find_task("test.short").kiq(name="a")
    await broker.find_task("test.long").kiq(name="z")
    cut = await running_jobs(broker).drain(seconds=0.5)
    assert cut == ["test.long"]
    assert broker.finished == ["a"]
    assert running_jobs(broker).running() == []
