"""The cron scheduler: each tick of each schedule is queued once, however many schedulers run."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import UTC, datetime

import redis.asyncio as redis_asyncio
from taskiq import AsyncBroker, ScheduleSource, TaskiqScheduler
from taskiq.scheduler.scheduled_task import ScheduledTask

from server.settings import Settings

log = logging.getLogger("songjiao.jobs")

#: A tick's claim outlives any clock skew between scheduler hosts.
CLAIM_TTL_S = 3600


def tick_key(task: ScheduledTask, at: datetime) -> str:
    """The Redis key that one scheduler claims for `task`'s tick at `at` (cron: the minute)."""
    minute = at.astimezone(UTC).strftime("%Y%m%d%H%M")
    return f"songjiao:cron:{task.schedule_id}:{minute}"


class OncePerTickScheduler(TaskiqScheduler):
    """A TaskiqScheduler that claims each tick in Redis before queueing its job.

    A second scheduler (a standby host, or one started by mistake) finds the tick taken
    and queues nothing, so a cron job runs once per tick instead of once per scheduler.
    """

    def __init__(
        self, broker: AsyncBroker, sources: list[ScheduleSource], *, settings: Settings
    ) -> None:
        super().__init__(broker, sources)
        self._settings = settings
        self._redis: redis_asyncio.Redis | None = None
        #: The ticks being queued right now (each in a task of taskiq's scheduler loop).
        self._queueing: set[asyncio.Task] = set()

    async def startup(self) -> None:
        """Start the broker and connect to Redis."""
        await super().startup()
        self._redis = redis_asyncio.Redis.from_url(
            self._settings.redis_url, socket_connect_timeout=2, socket_timeout=5
        )

    async def shutdown(self) -> None:
        """Close Redis and the broker."""
        if self._redis is not None:
            await self._redis.aclose()
        await super().shutdown()

    async def claim(self, task: ScheduledTask, at: datetime | None = None) -> bool:
        """True for the one scheduler that takes `task`'s current tick."""
        if self._redis is None:  # not started (embedded use): nothing to share
            return True
        key = tick_key(task, at or datetime.now(UTC))
        return bool(await self._redis.set(key, b"1", nx=True, ex=CLAIM_TTL_S))

    async def on_ready(self, source: ScheduleSource, task: ScheduledTask) -> None:
        """Queue the job unless another scheduler already queued this tick."""
        current = asyncio.current_task()
        if current is not None:
            self._queueing.add(current)
            current.add_done_callback(self._queueing.discard)
        if task.cron is not None and not await self.claim(task):
            log.info("cron %s: this tick was queued by another scheduler", task.schedule_id)
            return
        await super().on_ready(source, task)

    async def finish_queueing(self, *, seconds: float) -> None:
        """Wait up to `seconds` for the ticks being queued (a claimed tick is queued)."""
        if self._queueing:
            await asyncio.wait(set(self._queueing), timeout=seconds)


async def run_until_stopped(scheduler: OncePerTickScheduler, *, grace: float) -> None:
    """taskiq's scheduler loop until SIGTERM or SIGINT, then a clean shutdown.

    By default SIGTERM ends Python at once: a tick claimed in Redis but not yet queued
    would be lost until the next one. Here a stop lets the ticks being queued finish
    (`grace` seconds at most), then taskiq's loop is cancelled, which closes the broker
    and Redis.
    """
    from server.jobs.taskiq_adapter import run_scheduler_cli

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = asyncio.create_task(run_scheduler_cli(scheduler))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({runner, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if not runner.done():
        log.info("scheduler stopping")
        await scheduler.finish_queueing(seconds=grace)
        runner.cancel()  # no await between: no new tick starts after the wait
    stopped.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await runner
