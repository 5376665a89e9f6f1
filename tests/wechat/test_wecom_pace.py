"""A WeCom robot's 20 messages a minute: a moving window in Redis, shared by every process."""

from __future__ import annotations

import time

import time_machine

from server.common.rate_limit import KEY_PREFIX, MovingWindow
from tests.wechat.helpers import unique


async def test_events_beyond_the_limit_wait_for_the_oldest_to_leave(redis):
    pace, robot = MovingWindow(redis=redis, limit="3/minute", namespace="t"), unique("robot")
    assert [await pace.take(robot) for _ in range(3)] == [None, None, None]
    wait = await pace.take(robot)
    assert wait is not None and 0 < wait <= 60
    assert await pace.take(unique("other-robot")) is None  # each robot has its own


async def test_processes_sharing_redis_share_the_count(redis):
    robot = unique("robot")
    first, second = (MovingWindow(redis=redis, limit="3/minute", namespace="t") for _ in "ab")
    assert await first.take(robot) is None and await second.take(robot) is None
    assert await first.take(robot) is None
    assert await second.take(robot) is not None


async def test_no_sixty_seconds_hold_more_than_the_limit_across_a_minute_boundary(redis):
    # A clock-aligned fixed window would let 3 through at :59 and 3 more at :01.
    pace, robot = MovingWindow(redis=redis, limit="3/minute", namespace="t"), unique("robot")
    start = (time.time() // 60 + 1) * 60 - 1  # one second before a minute starts
    with time_machine.travel(start, tick=False) as clock:
        assert [await pace.take(robot) for _ in range(3)] == [None, None, None]
        clock.shift(2)  # the next minute
        wait = await pace.take(robot)
        assert wait is not None and 57 <= wait <= 58
        clock.shift(58.5)  # the first three are more than 60 s old
        assert [await pace.take(robot) for _ in range(3)] == [None, None, None]
        assert await pace.take(robot) is not None


async def test_counts_live_under_the_projects_prefix_and_expire(redis):
    pace, robot = MovingWindow(redis=redis, limit="3/minute", namespace="t"), unique("robot")
    await pace.take(robot)
    [key] = [k async for k in redis.scan_iter(match=f"{KEY_PREFIX}*{robot}*")]
    assert 0 < await redis.ttl(key) <= 60
