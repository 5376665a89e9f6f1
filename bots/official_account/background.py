"""Work the bot lets outlive a callback (deferred answers, WeChat look-ups), drained on stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("songjiao.bots.oa")

#: Tasks still running; a strong reference keeps them from being collected.
_TASKS: set[asyncio.Task] = set()


def _done(task: asyncio.Task) -> None:
    _TASKS.discard(task)
    if not task.cancelled() and (exc := task.exception()) is not None:
        # Nobody awaits background work: say that it failed, never what it carried.
        log.error("公众号 background work failed: %s", type(exc).__name__)


def keep(task: asyncio.Task) -> None:
    """Hold `task` until it ends, so that drain() waits for it."""
    _TASKS.add(task)
    task.add_done_callback(_done)


async def run_briefly(work: Coroutine[Any, Any, Any], *, seconds: float) -> None:
    """Start `work`, wait for it at most `seconds`, then let it finish in the background."""
    task = asyncio.create_task(work)
    keep(task)
    await asyncio.wait({task}, timeout=seconds)


async def drain(*, seconds: float) -> None:
    """Wait (`seconds` at most) for the background work still running."""
    if _TASKS:
        await asyncio.wait(set(_TASKS), timeout=seconds)


async def stop(*, seconds: float) -> int:
    """At a process's stop: wait up to `seconds` for the background work, cancel the rest.

    Returns how many were cancelled (a deferred answer cut short is one the follower
    does not get; WeChat's own retry of the message was already answered).
    """
    await drain(seconds=seconds)
    left = [task for task in _TASKS if not task.done()]
    for task in left:
        task.cancel()
    if left:
        log.warning("公众号 background work cut short at stop: %d", len(left))
        await asyncio.wait(left, timeout=1.0)
    return len(left)
