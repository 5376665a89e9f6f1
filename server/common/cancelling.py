"""Cancelling a task for sure on Python 3.11, where one cancel can be lost.

redis-py sends each command through asyncio.wait_for, which on Python 3.11 loses a cancel
that lands as the awaited call completes (CPython gh-86296, fixed in 3.12), or turns it
into an error. A task cancelled once at that moment runs on: a stream read reads again, a
flusher sleeps and flushes again, a job goes on to its next step, and whatever waits for it
at a stop waits for ever (issue 18: three hangs on a busy machine, in the job stream's
read, in a stop's drain and in the metrics flusher). Cancelling again until the task has
ended is the one remedy; it lives here so that every stop does it the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

#: Seconds between cancels of a task that goes on after being cancelled.
RECANCEL_S = 0.2


async def cancel_until_done(
    tasks: Iterable[asyncio.Future], *, within: float | None, every: float = RECANCEL_S
) -> set[asyncio.Future]:
    """Cancel `tasks`, again every `every` seconds, until they have ended or `within` passed.

    `within=None` keeps on until they have ended. Returns the tasks still running (empty
    when every one ended); the caller says what that means for it.
    """
    loop = asyncio.get_running_loop()
    until = None if within is None else loop.time() + within
    pending = {task for task in tasks if not task.done()}
    while pending and (until is None or loop.time() < until):
        for task in pending:
            task.cancel()
        wait = every if until is None else max(0.0, min(every, until - loop.time()))
        _, pending = await asyncio.wait(pending, timeout=wait)
    return pending
