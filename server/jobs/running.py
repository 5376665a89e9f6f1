"""The jobs running in this process, so that a stop can wait for them and cancel the rest."""

from __future__ import annotations

import asyncio
import logging

from taskiq import AsyncBroker, TaskiqMessage, TaskiqMiddleware

from server.common.cancelling import cancel_until_done

log = logging.getLogger("songjiao.jobs")

#: How long a stop keeps cancelling the jobs cut short before it goes on without them.
CANCEL_S = 1.0


class RunningJobs(TaskiqMiddleware):
    """Keeps each job's asyncio task from its start to its end.

    A job runs in a task of its own (the receiver's in a worker, the in-memory broker's in
    the embedded api); `pre_execute` is called in that task before the job's first await.
    """

    def __init__(self) -> None:
        super().__init__()
        self._names: dict[asyncio.Task, str] = {}

    def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:
        """Remember the task this job runs in until it is done."""
        task = asyncio.current_task()
        if task is not None and task not in self._names:
            self._names[task] = message.task_name
            task.add_done_callback(self._forget)
        return message

    def _forget(self, task: asyncio.Task) -> None:
        self._names.pop(task, None)

    def running(self) -> list[str]:
        """The names of the jobs still running."""
        return sorted(self._names.values())

    async def drain(self, *, seconds: float) -> list[str]:
        """Wait up to `seconds` for the running jobs (and any they queue here), cancel the rest.

        Returns the names of the jobs cancelled. Every job may run twice: one cut short is
        run again from the queue (unacknowledged) or by the sweeper.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            # A job queued a moment ago on the in-memory broker has a task that has not
            # taken its first step (where it is counted) yet.
            await asyncio.sleep(0)
            tasks = set(self._names)
            if not tasks:
                return []
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await asyncio.wait(tasks, timeout=remaining)
        names = [self._names[t] for t in tasks if t in self._names]
        log.warning("stopping: %d job(s) cut short: %s", len(names), ", ".join(sorted(names)))
        # Cancelled, a job unwinds: its transaction rolls back, its connection goes back.
        # Cancelled again while it runs on (a cancel lost in redis-py on Python 3.11).
        await cancel_until_done(tasks, within=CANCEL_S)
        return sorted(names)


def running_jobs(broker: AsyncBroker) -> RunningJobs:
    """The RunningJobs middleware that build_broker() gave `broker`."""
    for middleware in broker.middlewares:
        if isinstance(middleware, RunningJobs):
            return middleware
    raise LookupError("broker built without RunningJobs")
