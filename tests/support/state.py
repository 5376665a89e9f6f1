"""Reset every store between tests."""

from __future__ import annotations

import httpx
from tortoise import Tortoise, connections


async def truncate_all() -> None:
    """Delete every row of every table (identity restarted on PostgreSQL)."""
    conn = connections.get("default")
    tables = [
        model._meta.db_table
        for app in Tortoise.apps.values()
        for model in app.values()
        if model._meta.db_table != "aerich"
    ]
    if conn.capabilities.dialect == "postgres":
        quoted = ", ".join(f'"{t}"' for t in tables)
        await conn.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    else:
        script = "PRAGMA foreign_keys = OFF;" + "".join(f'DELETE FROM "{t}";' for t in tables)
        await conn.execute_script(script + "DELETE FROM sqlite_sequence; PRAGMA foreign_keys = ON;")


async def clear_redis(redis) -> None:
    """Delete every key but the job queue's: its stream and the receiver's autoclaim lock.

    Deleting the lock while the receiver holds it would make its release fail and stop
    the test process's worker.
    """
    from server.jobs.broker import QUEUE

    async for key in redis.scan_iter(count=500):
        name = key.decode()
        if not name.startswith(QUEUE) and not name.startswith("autoclaim:"):
            await redis.delete(key)


async def reset_all(app, sandbox_url: str) -> None:
    """Empty the database, Redis and the sandbox."""
    await truncate_all()
    await clear_redis(app.ctx.redis)
    async with httpx.AsyncClient() as http:
        await http.post(f"{sandbox_url}/sandbox/reset")
