"""The metrics flusher stops even when the cancel that stops it is lost mid-flush (issue 18).

On Python 3.11 a cancel that lands while redis-py awaits inside asyncio.wait_for can be lost:
the flush returns (or fails) as if nothing happened, and a flusher awaited once slept and
flushed on for ever. `scripts/api_docs.py` hung so in one run of six beside a busy machine,
its app's stop waiting for the flusher. The Redis here stands in for that race, which a real
server cannot be made to lose on purpose: its flush swallows the cancel.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from server.metrics import counters


class _SwallowingPipeline:
    def __init__(self, redis: _SwallowingRedis) -> None:
        self.redis = redis

    def hincrby(self, *args) -> None:
        pass

    async def execute(self) -> list:
        if self.redis.flushing.is_set():
            return []  # the last flush, once the flusher has stopped
        self.redis.flushing.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            if self.redis.as_error:
                raise ConnectionError("cancelled mid-send") from None
            return []  # the cancel is lost: the send "finished"
        return []


class _SwallowingRedis:
    def __init__(self, *, as_error: bool) -> None:
        self.as_error = as_error
        self.flushing = asyncio.Event()

    def pipeline(self, transaction: bool = False) -> _SwallowingPipeline:
        return _SwallowingPipeline(self)


@pytest.fixture
def own_counts():
    """This test's counts, apart from what the rest of the run counted."""
    kept = counters._pending
    counters._pending = Counter()
    yield
    counters._pending = kept


@pytest.mark.embedded  # no database or Redis: a second pass adds nothing
@pytest.mark.parametrize("as_error", [False, True], ids=["lost", "turned-into-an-error"])
async def test_a_flusher_whose_cancel_is_lost_mid_flush_still_stops(own_counts, as_error):
    redis = _SwallowingRedis(as_error=as_error)
    counters.checkin(result="checked_in", reason=None)  # something to flush
    task = counters.start_flusher(redis, interval=0.01)
    await redis.flushing.wait()
    # A hang guard, not a timing: without the fix the stop waits for ever (until this
    # guard's own cancel ends the flusher, which the old stop then swallowed).
    guard = asyncio.timeout(60)
    async with guard:
        await counters.stop_flusher(task, redis)
    assert not guard.expired()
    assert task.done() and task.cancelled()
