"""Concurrent requests' Redis calls go together (server/common/redis.py Batcher), each with
its own answer and its own errors; the rate limits and the session check ride on it."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from limits import parse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from server.common.rate_limit import RateLimited, RateLimiter
from server.common.redis import Batcher, Script, batcher, command, script_call
from server.settings import RateLimits
from tests.support.servers import free_port

ECHO = Script("return {KEYS[1], ARGV[1]}")


class CountingBatcher(Batcher):
    """A batcher that counts the pipelines it sends."""

    def __init__(self, redis) -> None:
        super().__init__(redis)
        self.sent: list[int] = []

    async def _send(self, calls):
        self.sent.append(len(calls))
        return await super()._send(calls)


async def test_concurrent_calls_go_in_few_pipelines_and_each_gets_its_own_replies(api):
    redis = api.app.ctx.runtime.redis
    await redis.mset({f"batch:{i}": str(i) for i in range(50)})
    counting = CountingBatcher(redis)
    replies = await asyncio.gather(
        *(
            counting.run(command("GET", f"batch:{i}"), command("EXISTS", "batch:none"))
            for i in range(50)
        )
    )
    assert replies == [[str(i).encode(), 0] for i in range(50)]
    # Made in one turn of the event loop: one pipeline for all (a second at most).
    assert sum(counting.sent) == 100 and len(counting.sent) <= 2


async def test_a_failing_command_raises_in_its_own_caller_only(api):
    redis = api.app.ctx.runtime.redis
    await redis.hset("batch:hash", "a", "1")
    await redis.set("batch:plain", "x")
    good, bad = await asyncio.gather(
        batcher(redis).run(command("GET", "batch:plain")),
        batcher(redis).run(command("GET", "batch:plain"), command("GET", "batch:hash")),
        return_exceptions=True,
    )
    assert good == [b"x"]
    assert isinstance(bad, ResponseError)  # WRONGTYPE


async def test_a_script_redis_forgot_is_loaded_again(api):
    redis = api.app.ctx.runtime.redis
    await redis.script_flush()
    assert await batcher(redis).run(script_call(ECHO, ["k"], ["v"])) == [[b"k", b"v"]]
    await redis.script_flush()
    assert await batcher(redis).run(script_call(ECHO, ["k2"], [2])) == [[b"k2", b"2"]]


async def test_every_caller_hears_when_redis_cannot_be_reached():
    dead = aioredis.Redis(port=free_port(), socket_connect_timeout=1)
    try:
        results = await asyncio.gather(
            *(batcher(dead).run(command("GET", f"k{i}")) for i in range(5)),
            return_exceptions=True,
        )
        assert all(isinstance(r, RedisConnectionError) for r in results), results
        # Nothing is left stuck: the next call is sent (and fails) too.
        with pytest.raises(RedisConnectionError):
            await batcher(dead).run(command("GET", "again"))
    finally:
        await dead.aclose()


async def test_hit_all_counts_in_the_keys_and_windows_of_the_limits_library(api):
    """One script for several limits, but the library's own reads see its counts, so
    Retry-After and clearing a limit keep working."""
    redis = api.app.ctx.runtime.redis
    limiter = RateLimiter(
        rules=RateLimits(checkin_per_account="3/minute", checkin_per_address="1000/minute"),
        redis=redis,
    )
    checks = (("checkin_per_address", ("198.51.100.9",)), ("checkin_per_account", (77,)))
    for _ in range(3):
        await limiter.hit_all(*checks)
    with pytest.raises(RateLimited) as refused:
        await limiter.hit_all(*checks)
    assert 1 <= refused.value.retry_after <= 60
    item = parse("3/minute")
    assert await limiter._strategy.test(item, "checkin_per_account", "77") is False
    stats = await limiter._strategy.get_window_stats(item, "checkin_per_account", "77")
    assert stats.remaining == 0
    # The address counted every request, the refused one too (as when hit one by one).
    wide = parse("1000/minute")
    wide_stats = await limiter._strategy.get_window_stats(
        wide, "checkin_per_address", "198.51.100.9"
    )
    assert wide_stats.remaining == 1000 - 4
    await limiter.clear("checkin_per_account", 77)
    await limiter.hit_all(*checks)


async def test_a_revoked_session_is_refused_on_its_next_request_amid_a_burst(client):
    from tests.support.factories import login_as

    leaving, staying = await login_as(client, "teacher"), await login_as(client, "teacher")
    assert (await client.post("/api/v1/auth/logout", headers=leaving.headers)).status_code == 200
    answers = await asyncio.gather(
        *(client.get("/api/v1/me", headers=who.headers) for who in [leaving, staying] * 10)
    )
    assert [a.status_code for a in answers] == [401, 200] * 10
    assert {a.json()["error"] for a in answers[::2]} == {"token_invalid"}


def test_limits_is_pinned_to_the_installed_minor():
    # ACQUIRE_SLIDING_WINDOWS repeats the library's keys and arithmetic: a new minor
    # version must be read (and this test's sibling above rerun) before it is taken.
    import tomllib
    from importlib.metadata import version
    from pathlib import Path

    from packaging.requirements import Requirement
    from packaging.version import Version

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    [pin] = [r.specifier for r in map(Requirement, dependencies) if r.name == "limits"]
    installed = Version(version("limits"))
    assert pin.contains(installed), f"limits {installed} is outside its pin {pin}"
    assert not pin.contains(Version(f"{installed.major}.{installed.minor + 1}.0")), pin
