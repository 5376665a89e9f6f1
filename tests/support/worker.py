"""A taskiq receiver in the test process, consuming the Redis stream like a worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from taskiq.receiver import Receiver

log = logging.getLogger("tests.worker")


@dataclass
class RunningWorker:
    """A receiver task and the event that stops it."""

    finish: asyncio.Event
    task: asyncio.Task

    async def stop(self) -> None:
        """Stop listening and wait for the receiver to end."""
        self.finish.set()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task


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


async def start_job_worker(broker) -> RunningWorker:
    """Consume `broker`'s queue in this event loop (the api already started the broker)."""
    finish = asyncio.Event()
    task = asyncio.create_task(_listen(broker, finish))
    return RunningWorker(finish=finish, task=task)
