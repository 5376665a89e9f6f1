"""A job listener that is cancelled ends, even when its stream read loses the first cancel."""

from __future__ import annotations

import asyncio

import pytest
from taskiq_redis import RedisStreamBroker

from server.jobs.stream_broker import ReconnectingStreamBroker
from tests.support.servers import free_port

pytestmark = pytest.mark.embedded  # no Redis needed: the reads are simulated


async def test_a_cancelled_listener_ends_though_its_read_lost_the_cancel(monkeypatch):
    # redis-py sends every command through asyncio.wait_for, which on Python 3.11 loses a
    # cancel that lands as the send completes (CPython gh-86296): taskiq-redis's loop then
    # reads on. taskiq's receiver, stopping, waits for that read shielded; a worker (or the
    # tests' receiver, issue 18) that never stops. Here each read loses its first cancel.
    reads = []

    async def reads_that_lose_a_cancel(self):
        while True:
            reads.append(1)
            try:
                await asyncio.sleep(3600)  # XREADGROUP ... BLOCK
            except asyncio.CancelledError:
                if len(reads) > 1:
                    raise
                # As wait_for on 3.11 does: the cancel is gone, the loop reads again.
        yield  # an async generator, like the stream read it stands for

    monkeypatch.setattr(RedisStreamBroker, "listen", reads_that_lose_a_cancel)
    broker = ReconnectingStreamBroker(f"redis://127.0.0.1:{free_port()}/0", queue_name="q")
    reading = asyncio.create_task(anext(broker.listen()))
    await asyncio.sleep(0.05)
    reading.cancel()
    done, _ = await asyncio.wait({reading}, timeout=5)
    assert done == {reading} and reading.cancelled()
    assert len(reads) == 2  # the read that lost the cancel was cancelled again
