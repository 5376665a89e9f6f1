"""Every use of taskiq's and taskiq-redis's private or CLI-internal API, and only here.

We rely on four things taskiq does not promise: taskiq-redis's `_ack_generator` (how a
stream message's acknowledgement is made), the in-memory broker's `_running_tasks`, and
the `taskiq.cli` runners (`SchedulerLoop`, `run_scheduler`, `run_worker` and their
argument classes). The versions are pinned to a minor release in pyproject.toml, and
tests/jobs/test_taskiq_adapter.py checks each name and signature used below, so an
upgrade that moves one fails that test by name instead of a worker at its first Redis
restart, or the embedded cron in silence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from taskiq import AsyncBroker, InMemoryBroker, TaskiqScheduler
from taskiq.cli.scheduler.args import SchedulerArgs
from taskiq.cli.scheduler.run import SchedulerLoop, run_scheduler
from taskiq.cli.worker.args import WorkerArgs
from taskiq.cli.worker.run import run_worker
from taskiq_redis import RedisStreamBroker

Ack = Callable[[], Awaitable[None]]


class AckWrappingStreamBroker(RedisStreamBroker):
    """A RedisStreamBroker whose every acknowledgement passes through `wrap_ack`.

    taskiq-redis builds each message's ack (an XACK on the stream) in the private
    `_ack_generator(id, queue_name)`, called by `listen()` for new and reclaimed messages
    alike; this is the one override of it.
    """

    def _ack_generator(self, id: str, queue_name: str) -> Ack:
        return self.wrap_ack(super()._ack_generator(id=id, queue_name=queue_name), id=id)

    def wrap_ack(self, ack: Ack, *, id: str) -> Ack:
        """The acknowledgement of stream entry `id` to hand the receiver (here: taskiq's own)."""
        return ack


def jobs_in_flight(broker: AsyncBroker) -> int | None:
    """Jobs the in-memory broker is running now; None for a broker whose jobs run elsewhere."""
    if isinstance(broker, InMemoryBroker):
        return len(broker._running_tasks)
    return None


def embedded_cron_loop(scheduler: TaskiqScheduler) -> Coroutine[Any, Any, None]:
    """taskiq's scheduler loop over `scheduler` in this process, from the next minute on."""
    return SchedulerLoop(scheduler).run(skip_first_run=True)


async def run_scheduler_cli(scheduler: TaskiqScheduler) -> None:
    """taskiq's `taskiq scheduler` command over `scheduler` (started, looped, shut down)."""
    await run_scheduler(SchedulerArgs(scheduler=scheduler, modules=[]))


def run_worker_cli(
    *,
    broker: str,
    processes: int,
    max_async_tasks: int,
    wait_tasks_timeout: float,
    shutdown_timeout: float,
) -> int:
    """taskiq's `taskiq worker` command: `processes` worker processes on `broker` ("mod:attr")."""
    return (
        run_worker(
            WorkerArgs(
                broker=broker,
                modules=[],
                workers=processes,
                max_async_tasks=max_async_tasks,
                wait_tasks_timeout=wait_tasks_timeout,
                shutdown_timeout=shutdown_timeout,
            )
        )
        or 0
    )
