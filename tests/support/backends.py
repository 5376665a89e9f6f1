"""Choose the stores a test run uses: embedded (SQLite + fakeredis) or services."""

from __future__ import annotations

import os
import socket

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST = "127.0.0.1"
#: Slots 5 to 7 (helpers' runs beside the others) take a Redis server of their own on
#: SONGJIAO_TEST_REDIS_PORT, with slot 0's database numbers.
REDIS_PORT = int(os.environ.get("SONGJIAO_TEST_REDIS_PORT", "6379") or 6379)
#: Two test runs on one machine each take their own slot (SONGJIAO_TEST_SLOT=1 …):
#: their own PostgreSQL database and their own Redis databases.
TEST_SLOT = int(os.environ.get("SONGJIAO_TEST_SLOT", "0") or 0)
TEST_DATABASE = "songjiao_test" + (f"_{TEST_SLOT}" if TEST_SLOT else "")
ADMIN_DSN = f"postgres://postgres@{PG_HOST}:{PG_PORT}/test"
TEST_DSN = f"postgres://postgres@{PG_HOST}:{PG_PORT}/{TEST_DATABASE}"


#: Redis databases per slot: slot 0 uses 11, 13 and 14; slot 1 5, 7, 8; slot 2 2, 3, 4;
#: slot 3 6, 9, 10; slot 4 1, 12, 15. Database 0 is left to a developer's own server.
_REDIS_SLOTS = {
    0: {11: 11, 13: 13, 14: 14},
    1: {11: 5, 13: 7, 14: 8},
    2: {11: 2, 13: 3, 14: 4},
    3: {11: 6, 13: 9, 14: 10},
    4: {11: 1, 13: 12, 14: 15},
    5: {11: 11, 13: 13, 14: 14},
    6: {11: 11, 13: 13, 14: 14},
    7: {11: 11, 13: 13, 14: 14},
}


def redis_url(db: int) -> str:
    """This run's slot's Redis database standing for slot 0's `db` (11, 13 or 14)."""
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{_REDIS_SLOTS[TEST_SLOT][db]}"


TEST_REDIS = redis_url(14)


def backend() -> str:
    """'embedded' (default) or 'services' (PostgreSQL + Redis)."""
    return os.environ.get("SONGJIAO_TEST_BACKEND", "embedded")


def in_ci() -> bool:
    """CI=true: real services are required, never skipped."""
    return os.environ.get("CI", "").lower() == "true"


def reachable(host: str, port: int) -> bool:
    """True when a TCP connection to host:port opens."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


async def recreate_test_database() -> None:
    """Drop and create the PostgreSQL test database."""
    import asyncpg

    conn = await asyncpg.connect(ADMIN_DSN.replace("postgres://", "postgresql://"))
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            TEST_DATABASE,
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DATABASE}"')
        await conn.execute(f'CREATE DATABASE "{TEST_DATABASE}"')
    finally:
        await conn.close()
