"""The Redis fixed-window rate limit holds across clients sharing one Redis."""

from __future__ import annotations

from server.wechat.rate_limit import allow, seconds_to_next_window
from tests.wechat.helpers import unique


async def test_calls_beyond_the_limit_are_refused_within_a_window(redis):
    key = unique("rl")
    answers = [await allow(redis, key, 3, 60, now=120.0) for _ in range(4)]
    assert answers == [True, True, True, False]


async def test_a_new_window_starts_afresh(redis):
    key = unique("rl")
    for _ in range(3):
        await allow(redis, key, 3, 60, now=120.0)
    assert await allow(redis, key, 3, 60, now=180.0)


async def test_windows_expire_in_redis(redis):
    key = unique("rl")
    await allow(redis, key, 3, 60, now=120.0)
    [bucket] = [k async for k in redis.scan_iter(match=f"ratelimit:{key}:*")]
    assert 0 < await redis.ttl(bucket) <= 61


def test_seconds_to_next_window():
    assert seconds_to_next_window(60, now=125.0) == 55.0
