"""Reset every store between tests, once nothing of the last test runs any more."""

from __future__ import annotations

from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

from tests.support import background
from tests.support.http import http_client
from tests.support.worker import receiver_of

#: Seconds the last test's work (jobs, deferred answers, requests) may take to end by
#: itself before the reset cancels it.
WORK_GRACE_S = 3.0
#: Nothing of the test process runs when the tables are emptied: a lock the TRUNCATE waits
#: for belongs to another process or to work that escaped background.finish_work().
LOCK_TIMEOUT = "10s"


def _tables() -> list[str]:
    return [
        model._meta.db_table
        for app in Tortoise.apps.values()
        for model in app.values()
        if model._meta.db_table != "aerich"
    ]


async def truncate_all(*, lock_timeout: str = LOCK_TIMEOUT) -> None:
    """Delete every row of every table (sequences restarted on PostgreSQL)."""
    conn = connections.get("default")
    tables = _tables()
    if conn.capabilities.dialect == "postgres":
        quoted = [f'"{t}"' for t in tables]
        # One transaction, one round trip. Every table is locked first, as a TRUNCATE would
        # lock it: a lock the reset cannot get within `lock_timeout` fails it, naming who
        # holds it, instead of waiting for ever or deadlocking. Then DELETE, with the
        # foreign keys' triggers off for this transaction (every table is emptied, so no
        # order is needed), and every sequence used since the last reset starts again at 1,
        # as TRUNCATE … RESTART IDENTITY does. TRUNCATE made new files for 43 tables and
        # their indexes at every reset: 80-100 ms, against about 3 ms for this (issue 18,
        # the suite's time).
        script = (
            f"SET LOCAL lock_timeout = '{lock_timeout}'; "
            f"LOCK TABLE {', '.join(quoted)} IN ACCESS EXCLUSIVE MODE; "
            "SET LOCAL session_replication_role = replica; "
            + "".join(f"DELETE FROM {t}; " for t in quoted)
            + "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
            "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        )
        try:
            async with in_transaction("default") as tx:
                await tx.execute_script(script)
        except Exception as exc:
            raise AssertionError(
                f"the reset could not empty the tables ({exc}); other sessions on the test "
                f"database: {await _other_sessions(conn)}"
            ) from exc
    else:
        script = "PRAGMA foreign_keys = OFF;" + "".join(f'DELETE FROM "{t}";' for t in tables)
        await conn.execute_script(script + "DELETE FROM sqlite_sequence; PRAGMA foreign_keys = ON;")


async def _other_sessions(conn) -> list[dict]:
    rows = await conn.execute_query_dict(
        "SELECT pid, application_name, state, wait_event_type, "
        "now() - xact_start AS in_transaction_for, left(query, 300) AS query "
        "FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state <> 'idle'"
    )
    return [dict(row) for row in rows]


async def clear_redis(redis, *, keep_queue: bool = True) -> None:
    """Delete every key; the job queue's stream and the receiver's lock too unless `keep_queue`.

    A receiver that is running must keep them: deleting the lock it holds would make its
    release fail and stop it.
    """
    from server.jobs.broker import QUEUE

    async for key in redis.scan_iter(count=500):
        name = key.decode()
        if not keep_queue or (not name.startswith(QUEUE) and not name.startswith("autoclaim:")):
            await redis.delete(key)


async def reset_all(app, sandbox_url: str) -> None:
    """Empty the database, Redis and the sandbox once the last test's work has ended.

    The test process's job receiver stops first (it takes no more jobs), then every task
    the last test left running is waited for and cancelled after WORK_GRACE_S; the jobs
    still queued are deleted with the rest of Redis and the receiver starts again.
    """
    receiver = receiver_of(app.ctx.runtime.broker)
    if receiver is not None:
        receiver.stop_taking()
    await background.finish_work(grace=WORK_GRACE_S)
    await truncate_all()
    await clear_redis(app.ctx.runtime.redis, keep_queue=False)
    async with http_client() as http:
        await http.post(f"{sandbox_url}/sandbox/reset")
    if receiver is not None:
        await receiver.start()
