"""Per-endpoint rate limits shared by every process through Redis (fixed windows)."""

from __future__ import annotations

import time

from redis.asyncio import Redis


async def allow(
    redis: Redis, key: str, limit: int, window_s: int, *, now: float | None = None
) -> bool:
    """Count one call against `key`; True while the current window holds at most `limit` calls."""
    moment = time.time() if now is None else now
    bucket = f"ratelimit:{key}:{int(moment // window_s)}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(bucket)
        pipe.expire(bucket, window_s + 1)
        count, _ = await pipe.execute()
    return int(count) <= limit


def seconds_to_next_window(window_s: int, *, now: float | None = None) -> float:
    """Seconds until the current fixed window ends (when a refused caller may try again)."""
    moment = time.time() if now is None else now
    return window_s - (moment % window_s)
