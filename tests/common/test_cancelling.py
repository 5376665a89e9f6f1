"""cancel_until_done ends a task whose cancels are lost, and says which would not end.

The tasks here stand in for redis-py on Python 3.11 (gh-86296), which a real server cannot
be made to do on purpose: they swallow a given number of cancels and carry on, as a
stream read, a job or the metrics flusher did when a cancel landed inside asyncio.wait_for.
"""

from __future__ import annotations

import asyncio

import pytest

from server.common.cancelling import cancel_until_done


class _Stubborn:
    """A task body that swallows its first `lost` cancels and carries on sleeping."""

    def __init__(self, lost: int) -> None:
        self.lost = lost
        self.cancels = 0
        self.started = asyncio.Event()

    async def run(self) -> None:
        self.started.set()
        while True:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                self.cancels += 1
                if self.cancels > self.lost:
                    raise
                asyncio.current_task().uncancel()


async def _started(body: _Stubborn) -> asyncio.Task:
    task = asyncio.get_running_loop().create_task(body.run())
    await body.started.wait()
    return task


@pytest.mark.embedded  # no database or Redis: a second pass adds nothing
@pytest.mark.parametrize("within", [5.0, None], ids=["within-5s", "until-done"])
async def test_a_task_whose_first_cancels_are_lost_is_cancelled_until_it_ends(within):
    body = _Stubborn(lost=3)
    task = await _started(body)
    # A hang guard, not a timing: cancelled once, such a task would run for ever.
    guard = asyncio.timeout(60)
    async with guard:
        left = await cancel_until_done({task}, within=within, every=0.01)
    assert not guard.expired()
    assert left == set()
    assert task.cancelled()
    assert body.cancels == 4  # three lost, the fourth ended it


@pytest.mark.embedded
async def test_a_task_that_will_not_end_is_returned_once_the_time_is_up():
    body = _Stubborn(lost=10**9)
    task = await _started(body)
    try:
        left = await cancel_until_done({task}, within=0.1, every=0.01)
        assert left == {task}
        assert not task.done()
        assert body.cancels >= 2  # cancelled again, not once
    finally:
        body.lost = 0
        task.cancel()
        await asyncio.wait({task})
    assert task.cancelled()


@pytest.mark.embedded
async def test_tasks_that_end_at_the_first_cancel_or_have_ended_are_not_waited_for():
    ended = asyncio.get_running_loop().create_task(asyncio.sleep(0))
    await ended
    plain = _Stubborn(lost=0)
    running = await _started(plain)
    left = await cancel_until_done({ended, running}, within=None)
    assert left == set()
    assert running.cancelled() and plain.cancels == 1
    assert not ended.cancelled()  # already done: left as it ended
