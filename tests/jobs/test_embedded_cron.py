"""The embedded default runs the cron table inside the api process."""

from __future__ import annotations

import asyncio

from taskiq import InMemoryBroker

from server.jobs.embedded import start_embedded_scheduler, stop_embedded_scheduler


async def test_embedded_scheduler_runs_scheduled_jobs_in_process():
    broker = InMemoryBroker(await_inplace=False)
    ran: list[int] = []

    async def tick() -> None:
        ran.append(1)

    broker.register_task(tick, task_name="test.tick", schedule=[{"interval": 1}])
    await broker.startup()
    task = await start_embedded_scheduler(broker)
    try:
        for _ in range(50):
            if len(ran) >= 2:
                break
            await asyncio.sleep(0.1)
    finally:
        await stop_embedded_scheduler(task)
        await broker.shutdown()
    assert len(ran) >= 2
