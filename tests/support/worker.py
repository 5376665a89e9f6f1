"""A taskiq receiver in the test process, consuming the Redis stream like a worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from taskiq.receiver import Receiver

log = logging.getLogger("tests.worker")


@dataclass
class RunningWorker:
    """A receiver task on `broker`'s stream, stopped and started again around each reset."""

    broker: object
    finish: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None

    async def start(self) -> None:
        """Declare the consumer group (a reset deleted the stream) and listen."""
        async with Redis(connection_pool=self.broker.connection_pool) as redis:
            with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists
                await redis.xgroup_create(
                    self.broker.queue_name, self.broker.consumer_group_name, id="0", mkstream=True
                )
        self.finish = asyncio.Event()
        self.task = asyncio.create_task(_listen(self.broker, self.finish))

    def stop_taking(self) -> None:
        """Take no more jobs: the listener is told to end, and cancelled.

        Not awaited here: the reset's background.finish_work() waits for the listener with
        the jobs it started (they run on as tasks of their own), and cancels again what
        did not end (taskiq's receiver waits, shielded, for its stream read to end).
        """
        self.finish.set()
        if self.task is not None:
            self.task.cancel()
            self.task = None

    async def stop(self) -> None:
        """Stop listening and wait (a while) for the listener to end."""
        task = self.task
        self.stop_taking()
        if task is not None:
            await asyncio.wait({task}, timeout=10)


async def _listen(broker, finish: asyncio.Event) -> None:
    # A synchronous test stops this event loop for seconds; the stream read then times out
    # and the receiver ends. Listen again, as the worker process's manager would restart it.
    while not finish.is_set():
        receiver = Receiver(broker, run_startup=False, max_async_tasks=20)
        try:
            await receiver.listen(finish)
        except Exception as exc:  # noqa: BLE001 - logged, then listening again
            log.warning("test job receiver stopped (%s); listening again", type(exc).__name__)
            await asyncio.sleep(0.2)


#: The receiver of each broker (by id) while it runs: the reset stops it and starts it again.
_RECEIVERS: dict[int, RunningWorker] = {}


async def start_job_worker(broker) -> RunningWorker:
    """Consume `broker`'s queue in this event loop (the api already started the broker)."""
    worker = RunningWorker(broker=broker)
    await worker.start()
    _RECEIVERS[id(broker)] = worker
    return worker


def receiver_of(broker) -> RunningWorker | None:
    """The receiver start_job_worker() runs on `broker`, if any (services backend)."""
    worker = _RECEIVERS.get(id(broker))
    return worker if worker is not None and worker.broker is broker else None
