"""Make the Redis client: a real server in production, fakeredis when embedded."""

from __future__ import annotations

import fakeredis
import redis.asyncio as aioredis

from server.settings import Settings

#: One in-process fake server per process, so every embedded client sees the same data.
_EMBEDDED_SERVER = fakeredis.FakeServer()


def make_redis(settings: Settings) -> aioredis.Redis:
    """Return an asyncio Redis client for the configured backend."""
    if settings.embedded_redis:
        return fakeredis.FakeAsyncRedis(server=_EMBEDDED_SERVER, decode_responses=False)
    return aioredis.from_url(
        settings.redis_url,
        socket_connect_timeout=2,
        socket_timeout=2,
        health_check_interval=30,
        retry_on_timeout=False,
    )
