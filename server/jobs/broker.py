"""Build the taskiq broker: in-memory when embedded, Redis streams in production."""

from __future__ import annotations

import logging
from typing import Any

from taskiq import (
    AsyncBroker,
    InMemoryBroker,
    TaskiqEvents,
    TaskiqMessage,
    TaskiqMiddleware,
    TaskiqResult,
    TaskiqState,
)

from server.common.gc_tuning import tune_gc
from server.common.redis import stale_connection_retry
from server.jobs.registry import registered_jobs
from server.jobs.running import RunningJobs, running_jobs
from server.jobs.stream_broker import ReconnectingStreamBroker
from server.settings import Settings

log = logging.getLogger("songjiao.jobs")
QUEUE = "songjiao:jobs"


class FailureMiddleware(TaskiqMiddleware):
    """A job that raised is never silent: counted in /metrics, a tracked one marked failed.

    taskiq logs the exception and acknowledges the message; without this, a job started
    by a person (a roster import, a report) would stay "running" on her page for ever.
    """

    async def on_error(
        self, message: TaskiqMessage, result: TaskiqResult, exception: BaseException
    ) -> None:
        """Count the failure; a tracked job gets its Chinese reason."""
        from server.jobs import failures
        from server.metrics import counters

        counters.job_failure(job=message.task_name, outcome="error")
        log.error("job %s raised %s", message.task_name, type(exception).__name__)
        job_id = message.kwargs.get("job_id")
        if job_id:
            try:
                await failures.fail_tracked_job(
                    job_id=job_id, reason=f"任务执行出错：{failures.reason_of(exception)}"
                )
            except Exception as exc:  # noqa: BLE001 - the database may be what failed
                log.error("job %s not marked failed: %s", job_id, type(exc).__name__)


def build_broker(settings: Settings) -> AsyncBroker:
    """A broker with every registered job, for the configured backend."""
    broker: AsyncBroker
    if settings.embedded_redis:
        broker = InMemoryBroker(await_inplace=False)
    else:
        broker = ReconnectingStreamBroker(
            settings.redis_url,
            queue_name=QUEUE,
            consumer_group_name="songjiao-workers",
            idle_timeout=5 * 60 * 1000,
            retry=stale_connection_retry(),
        )
    # RunningJobs first: it counts a job before any other middleware awaits.
    broker.add_middlewares(RunningJobs(), FailureMiddleware())
    for name, (func, cron) in registered_jobs().items():
        labels: dict[str, Any] = {}
        if cron:
            labels["schedule"] = [
                {"cron": expr, "cron_offset": "Asia/Shanghai", "schedule_id": f"{name}#{i}"}
                for i, expr in enumerate(cron)
            ]
        broker.register_task(func, task_name=name, **labels)
    return broker


def add_worker_lifecycle(broker: AsyncBroker, settings: Settings) -> None:
    """In a worker process, open the database, Redis and WeChat client on startup."""

    @broker.on_event(TaskiqEvents.WORKER_STARTUP)
    async def _startup(state: TaskiqState) -> None:
        from server.lifecycle import open_runtime
        from server.metrics import counters

        state.runtime = await open_runtime(settings, broker=broker)
        state.metrics_flusher = counters.start_flusher(state.runtime.redis)
        tune_gc()
        log.info("job worker ready")

    @broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
    async def _shutdown(state: TaskiqState) -> None:
        from server.lifecycle import close_runtime
        from server.metrics import counters

        # The receiver waited for its jobs (WORKER_JOBS_GRACE_S); what still runs is cut
        # here, before the database and Redis it uses are closed under it.
        await running_jobs(broker).drain(seconds=0)
        await counters.stop_flusher(state.metrics_flusher, state.runtime.redis)
        await close_runtime(state.runtime)


async def enqueue(broker: AsyncBroker, name: str, **kwargs: Any) -> None:
    """Send the job `name` with keyword arguments to the queue."""
    task = broker.find_task(name)
    if task is None:
        raise LookupError(f"unknown job {name}")
    await task.kiq(**kwargs)
