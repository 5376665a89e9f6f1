"""What /healthz reports."""

from __future__ import annotations

import asyncio

from tortoise import connections

from server.common.runtime import current

VERSION = "0.1.0"


async def _database_state() -> str:
    try:
        conn = connections.get("default")
        # Shielded: a slow answer is "down" here, but the query itself is not cancelled
        # halfway (a cancelled query may leave the connection's lock or cursor behind).
        await asyncio.wait_for(asyncio.shield(conn.execute_query("SELECT 1")), timeout=3)
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means "down" for a health check
        return "down"


async def _redis_state(redis) -> str:
    try:
        await asyncio.wait_for(redis.ping(), timeout=2)
        return "ok"
    except Exception:  # noqa: BLE001
        return "down"


async def health() -> dict:
    """Report each store's state; overall "ok" only when all answer."""
    runtime = current()
    redis, broker, settings = runtime.redis, runtime.broker, runtime.settings
    database, redis_state = await asyncio.gather(_database_state(), _redis_state(redis))
    return {
        "status": "ok" if database == redis_state == "ok" else "degraded",
        "version": VERSION,
        "env": settings.env,
        "database": {
            "state": database,
            "backend": "sqlite" if settings.embedded_database else "postgresql",
        },
        "redis": {
            "state": redis_state,
            "backend": "embedded" if settings.embedded_redis else "redis",
        },
        "broker": type(broker).__name__,
        "wechat": {"base_url": settings.wechat_base, "sandbox": settings.uses_embedded_sandbox},
    }
