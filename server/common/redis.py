"""Make the Redis client: a real server in production, fakeredis when embedded."""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from dataclasses import dataclass

import fakeredis
import redis.asyncio as redis_asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError

from server.settings import Settings

#: One in-process fake server per process, so every embedded client sees the same data.
_EMBEDDED_SERVER = fakeredis.FakeServer()


def stale_connection_retry() -> Retry:
    """One immediate retry on a new connection when a pooled one turns out to be closed.

    After Redis restarts, every connection in a pool is dead; without this each of them
    fails one command before the pool replaces it (redis-py's asyncio pools retry nothing).
    A Redis that is really down still fails at once: the retry's connect is refused too.
    """
    return Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))


def make_redis(settings: Settings) -> redis_asyncio.Redis:
    """Return an asyncio Redis client for the configured backend."""
    if settings.embedded_redis:
        return fakeredis.FakeAsyncRedis(server=_EMBEDDED_SERVER, decode_responses=False)
    # A bounded pool that waits for a free connection: bursts reuse connections
    # instead of opening hundreds.
    pool = redis_asyncio.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=64,
        timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        socket_timeout=settings.redis_timeout_seconds,
        retry=stale_connection_retry(),
    )
    return redis_asyncio.Redis.from_pool(pool)


#: At most this many callers' commands in one pipeline; the others go in the next one.
MAX_BATCH = 256


class Script:
    """A Lua script run by SHA in a batch; loaded again when Redis has forgotten it."""

    def __init__(self, source: str) -> None:
        self.source = source
        # Redis names scripts by their SHA-1 (EVALSHA): an identifier, not a security measure.
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Call:
    """One command of a batch: `args` as for execute_command, or a Script's keys and args."""

    args: tuple
    script: Script | None = None
    keys: tuple = ()


def command(*args) -> Call:
    """A plain command: command("EXISTS", key)."""
    return Call(args=args)


def script_call(script: Script, keys, args) -> Call:
    """`script` on `keys` with `args`, by its SHA (EVALSHA)."""
    keys, args = tuple(keys), tuple(args)
    return Call(args=("EVALSHA", script.sha, len(keys), *keys, *args), script=script, keys=keys)


class Batcher:
    """Small Redis calls of concurrent requests sent together: one round trip for many.

    A call made while no batch is in flight goes out at once (with the calls made in the
    same turn of the event loop); calls made while one is in flight wait for it and then
    go together, in one pipeline (no MULTI: every call is a read or an atomic script), so a
    burst of scans costs a few round trips instead of one per scan and command, and a quiet
    moment adds no delay. A call sees every write that finished before it was made, as
    when it is sent alone. Errors are a caller's own: a command that fails raises in its
    caller only, a pipeline that fails (Redis unreachable) raises in every caller of it.
    """

    def __init__(self, redis) -> None:
        self._redis = redis
        self._pending: list[tuple[tuple[Call, ...], asyncio.Future]] = []
        self._busy = False
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, *calls: Call) -> list:
        """The replies of `calls` (parsed as redis-py parses them), in order."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a client used from a new loop: the old one's state is gone
            self._loop, self._pending, self._busy = loop, [], False
        future = loop.create_future()
        self._pending.append((calls, future))
        if not self._busy:
            self._busy = True
            loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    replies = await self._send([c for calls, _ in batch for c in calls])
                except BaseException as exc:  # every waiter must hear of it
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(_fresh(exc))
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                at = 0
                for calls, future in batch:
                    mine, at = replies[at : at + len(calls)], at + len(calls)
                    failed = next((r for r in mine if isinstance(r, Exception)), None)
                    if future.done():
                        continue
                    if failed is not None:
                        future.set_exception(failed)
                    else:
                        future.set_result(mine)
        finally:
            self._busy = False
            for _, future in self._pending:  # only after a cancellation: nobody is left waiting
                if not future.done():
                    future.set_exception(RedisConnectionError("redis batch cancelled"))
            self._pending = []

    async def _send(self, calls: list[Call]) -> list:
        async with self._redis.pipeline(transaction=False) as pipe:
            for call in calls:
                pipe.execute_command(*call.args)
            replies = await pipe.execute(raise_on_error=False)
        missing = [i for i, r in enumerate(replies) if isinstance(r, NoScriptError)]
        if missing:
            # Redis restarted (or SCRIPT FLUSH): load once, then run those calls again.
            for script in {calls[i].script.sha: calls[i].script for i in missing}.values():
                await self._redis.script_load(script.source)
            async with self._redis.pipeline(transaction=False) as pipe:
                for i in missing:
                    pipe.execute_command(*calls[i].args)
                for i, reply in zip(missing, await pipe.execute(raise_on_error=False), strict=True):
                    replies[i] = reply
        return replies


def _fresh(exc: BaseException) -> BaseException:
    """An exception for one waiter: a cancellation becomes a connection error for them."""
    if isinstance(exc, asyncio.CancelledError):
        return RedisConnectionError("redis batch cancelled")
    return exc


_batchers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def batcher(redis) -> Batcher:
    """The batcher of this Redis client (one per client, made on first use)."""
    found = _batchers.get(redis)
    if found is None:
        found = _batchers[redis] = Batcher(redis)
    return found
