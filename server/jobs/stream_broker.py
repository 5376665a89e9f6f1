"""The Redis streams broker, made to ride out a Redis restart instead of ending the worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage

from server.common.cancelling import cancel_until_done
from server.jobs.taskiq_adapter import Ack, AckWrappingStreamBroker

log = logging.getLogger("songjiao.jobs")

#: Seconds between attempts to read the stream again while Redis is away (doubling).
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 5.0
#: Tries to acknowledge a finished job (about half a minute of waiting in all).
ACK_ATTEMPTS = 8


async def _next_or_end(messages: AsyncGenerator[AckableMessage, None]) -> AckableMessage:
    """The next message of taskiq-redis's listener; cancelled, the read is ended for sure.

    redis-py sends each command through asyncio.wait_for, which on Python 3.11 loses a
    cancel that lands as the send completes (CPython gh-86296, fixed in 3.12). The read of
    taskiq-redis's endless loop then goes on, and taskiq's receiver, which waits (shielded)
    for it when it stops, never stops: seen in the tests' receiver on a loaded machine,
    the read found cancelled yet in the next XREADGROUP. So the read runs in a task of its
    own, cancelled again until it has ended; a message it took meanwhile stays pending in
    the stream for another consumer.
    """
    step = asyncio.ensure_future(anext(messages))
    try:
        return await asyncio.shield(step)
    except asyncio.CancelledError:
        await cancel_until_done({step}, within=None)
        raise


class ReconnectingStreamBroker(AckWrappingStreamBroker):
    """RedisStreamBroker whose listener waits for Redis to come back.

    taskiq-redis's listener raises on a lost connection; the receiver then ends and
    takes the whole worker process with it, cutting short the jobs it was running
    (their deliveries wait for the sweeper). Here the listener waits, reconnects and
    declares the consumer group again (a Redis restarted without its data lost it),
    while the jobs already taken run on, and their acknowledgements wait for Redis too.
    """

    def wrap_ack(self, ack: Ack, *, id: str) -> Ack:
        """taskiq-redis's acknowledgement, retried while Redis is away (then left pending)."""

        async def _ack() -> None:
            job = asyncio.current_task()
            if job is not None and job.cancelling():
                # Cut short at a stop (server/jobs/running.py): taskiq's receiver catches the
                # cancel as the job's failure and acknowledges it all the same. Left pending,
                # another worker claims it after the idle timeout and runs it from the start.
                log.warning("job %s cut short: left in the queue for another worker", id)
                return None
            delay = RETRY_FIRST_S
            for attempt in range(1, ACK_ATTEMPTS + 1):
                try:
                    return await ack()
                except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                    if attempt == ACK_ATTEMPTS:
                        # Left pending: another worker claims it after the idle timeout
                        # and runs it again, which every job allows.
                        log.warning("job %s not acknowledged (%s)", id, type(exc).__name__)
                        return None
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
            return None

        return _ack

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        """Messages from the stream, across any number of Redis outages."""
        delay = RETRY_FIRST_S
        while True:
            try:
                messages = super().listen()
                try:
                    while True:
                        message = await _next_or_end(messages)
                        delay = RETRY_FIRST_S
                        yield message
                finally:
                    await messages.aclose()
            except StopAsyncIteration:
                return
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                log.warning(
                    "job queue unreachable (%s); reading again in %.1fs", type(exc).__name__, delay
                )
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                log.warning("job queue lost its consumer group (Redis lost its data?)")
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
            with contextlib.suppress(RedisError, OSError):
                await self._declare_group_again()

    async def _declare_group_again(self) -> None:
        # From the stream's start, not "$": a Redis that lost its data lost the group with
        # the stream, and whatever the api queued since the restart is for this group.
        # Where the group still exists Redis answers BUSYGROUP and nothing changes.
        async with Redis(connection_pool=self.connection_pool) as conn:
            with contextlib.suppress(ResponseError):
                await conn.xgroup_create(
                    self.queue_name, self.consumer_group_name, id="0", mkstream=True
                )
