"""Cron in the api process for the embedded default, where no scheduler process runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from taskiq import AsyncBroker, TaskiqScheduler
from taskiq.schedule_sources import LabelScheduleSource

from server.jobs.taskiq_adapter import embedded_cron_loop

log = logging.getLogger("songjiao.jobs")


async def start_embedded_scheduler(broker: AsyncBroker) -> asyncio.Task:
    """Run the cron table against the in-memory broker in this process."""
    scheduler = TaskiqScheduler(broker, sources=[LabelScheduleSource(broker)])
    for source in scheduler.sources:
        await source.startup()
    log.info("cron runs inside the api (embedded default)")
    return asyncio.get_running_loop().create_task(embedded_cron_loop(scheduler))


async def stop_embedded_scheduler(task: asyncio.Task | None) -> None:
    """Stop the in-process cron loop."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
