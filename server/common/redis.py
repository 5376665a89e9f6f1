"""Make the Redis client: a real server in production, fakeredis when embedded."""

from __future__ import annotations

import fakeredis
import redis.asyncio as redis_asyncio

from server.settings import Settings

#: One in-process fake server per process, so every embedded client sees the same data.
_EMBEDDED_SERVER = fakeredis.FakeServer()


def make_redis(settings: Settings) -> redis_asyncio.Redis:
    """Return an asyncio Redis client for the configured backend."""
    if settings.embedded_redis:
        return fakeredis.FakeAsyncRedis(server=_EMBEDDED_SERVER, decode_responses=False)
    # A bounded pool that waits for a free connection: bursts reuse connections
    # instead of opening hundreds.
    pool = redis_asyncio.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=64,
        timeout=2,
        socket_connect_timeout=2,
        socket_timeout=2,
    )
    return redis_asyncio.Redis.from_pool(pool)
