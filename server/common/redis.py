"""Make the Redis client: a real server in production, fakeredis when embedded."""

from __future__ import annotations

import fakeredis
import redis.asyncio as redis_asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

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
