"""Nothing a test starts runs on into the next: the reset ends it before emptying the tables.

Issue 18: on a busy machine a job of an earlier test (asleep in the WeCom robot's
rate-limit wait) woke up during a later test and wrote to the tables the reset was
truncating: a deadlock between the TRUNCATE and the job. The first test below leaves such
a job asleep; the second checks, right after its reset, that it no longer runs.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from server.delivery.models import DeliveryStatus, GroupMessage
from server.delivery.service import notify_group
from tests.delivery.helpers import fault
from tests.support import backends, background
from tests.support.state import truncate_all

#: The tasks the first test left running, for the second to look at.
_left: list[asyncio.Task] = []


def _is_job(task: asyncio.Task) -> bool:
    return getattr(task.get_coro(), "__qualname__", "") == "Receiver.callback"


async def test_a_test_can_end_while_a_job_sleeps_in_the_robots_rate_limit_wait(
    client, sandbox_client
):
    # WeCom answers 45009 (too many messages): the send job waits for the robot's next
    # minute inside the job, then queues itself again (delivery.groups._defer).
    await fault(sandbox_client, kind="wecom_send", errcode=45009, times=1)
    assert await notify_group(group="leaders", kind="summary", key="isolation:1", markdown="本周")
    deadline = asyncio.get_running_loop().time() + 30
    while not await GroupMessage.filter(
        status=DeliveryStatus.QUEUED, last_error__contains="每分钟最多发送 20 条"
    ).exists():
        assert asyncio.get_running_loop().time() < deadline, "the job never began to wait"
        await asyncio.sleep(0.05)
    jobs = [task for task in background.running_work() if _is_job(task)]
    assert len(jobs) == 1  # asleep for about a minute, far beyond this test's end
    _left.extend(jobs)


async def test_the_next_reset_ended_that_job_before_emptying_the_tables(client):
    assert _left, "the test before this one leaves a job asleep"
    assert all(task.done() for task in _left)
    assert not [task for task in background.running_work() if _is_job(task)]
    assert await GroupMessage.all().count() == 0


@pytest.mark.services
async def test_a_lock_held_by_another_session_fails_the_reset_naming_it(api):
    # What escaped the wait (another process on the test database) is named, not waited
    # for without end, nor retried until it happens to be gone.
    holder = await asyncpg.connect(
        backends.TEST_DSN.replace("postgres://", "postgresql://"),
        server_settings={"application_name": "isolation-lock-holder"},
    )
    try:
        async with holder.transaction():
            await holder.execute("LOCK TABLE region IN ROW EXCLUSIVE MODE")
            with pytest.raises(AssertionError, match="isolation-lock-holder"):
                await truncate_all(lock_timeout="1s")
    finally:
        await holder.close()
    await truncate_all()  # the lock gone, the reset works


async def test_the_reset_empties_every_table_and_starts_their_ids_again(api):
    from tortoise import connections

    from tests.support.factories import make_child, make_class, make_kindergarten
    from tests.support.state import _tables

    kg = await make_kindergarten()
    await make_child(await make_class(kg))
    conn = connections.get("default")

    async def rows() -> dict[str, int]:
        counts = {}
        for table in _tables():
            found = await conn.execute_query_dict(f'SELECT COUNT(*) AS n FROM "{table}"')
            counts[table] = int(found[0]["n"])
        return counts

    before = await rows()
    assert before["kindergarten"] == before["school_class"] == before["child"] == 1
    await truncate_all()
    assert set((await rows()).values()) == {0}
    again = await make_kindergarten()
    assert again.id == 1 and again.region_id == 1  # ids start again, as after TRUNCATE
