"""A taskiq receiver in the test process, consuming the Redis stream like a worker."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from taskiq.receiver import Receiver


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


async def start_job_worker(broker) -> RunningWorker:
    """Consume `broker`'s queue in this event loop (the api already started the broker)."""
    receiver = Receiver(broker, run_startup=False, max_async_tasks=20)
    finish = asyncio.Event()
    task = asyncio.create_task(receiver.listen(finish))
    return RunningWorker(finish=finish, task=task)
