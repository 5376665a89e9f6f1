"""The api's PostgreSQL connections: their session settings, and what a release resets."""

from __future__ import annotations

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from server.db import POSTGRES_SESSION_SETTINGS, keep_session

pytestmark = pytest.mark.services


async def test_every_connection_runs_without_jit_and_parallel_workers(api):
    conn = connections.get("default")
    for name, value in POSTGRES_SESSION_SETTINGS.items():
        [row] = await conn.execute_query_dict(f"SHOW {name}")
        assert row[name] == value
    # A report's statements over check-ins rely on it without a transaction of their own.
    assert POSTGRES_SESSION_SETTINGS == {"jit": "off", "max_parallel_workers_per_gather": "0"}


async def test_a_connection_given_back_keeps_its_session_and_loses_its_transaction(api):
    conn = connections.get("default")
    assert conn._pool._reset is keep_session  # no RESET ALL round trip on each release
    with pytest.raises(RuntimeError):
        async with in_transaction() as tx:
            await tx.execute_query("CREATE TEMP TABLE pool_probe (n int) ON COMMIT DROP")
            raise RuntimeError("the transaction is rolled back")
    # Rolled back on release (by asyncpg, before keep_session): no connection has the table.
    for _ in range(12):
        [row] = await conn.execute_query_dict("SELECT to_regclass('pg_temp.pool_probe') AS t")
        assert row["t"] is None
