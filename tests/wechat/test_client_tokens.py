"""Our client's access token: shared in Redis, one refresher at a time, one bounded retry."""

from __future__ import annotations

import asyncio

import pytest

from server.wechat import token_store
from server.wechat.errors import InvalidCredential
from server.wechat.sandbox import openid_for
from server.wechat.token_store import TokenStore
from tests.support.sandbox import read_outbox
from tests.wechat.helpers import APPID, make_client

OPENID = openid_for("teacher_li")
TEXT = {"msgtype": "text", "text": {"content": "提醒：明天送教"}}


async def _send(client) -> None:
    await client.send_custom_message(openid=OPENID, payload=TEXT)


async def test_two_clients_on_one_redis_share_the_token(sandbox, redis):
    first, second = make_client(sandbox, redis), make_client(sandbox, redis)
    try:
        await _send(first)
        await _send(second)
    finally:
        await first.aclose()
        await second.aclose()
    stats = await sandbox.stats()
    assert stats["calls"]["stable_token"] == 1
    assert stats["calls"].get("token", 0) == 0


async def test_cold_cache_with_ten_concurrent_calls_fetches_one_token(sandbox, wechat):
    await asyncio.gather(*(_send(wechat) for _ in range(10)))
    stats = await sandbox.stats()
    assert stats["calls"]["stable_token"] == 1
    assert stats["delivered"]["custom_send"] == 10


async def test_cached_token_lives_in_redis_with_a_safety_margin(sandbox, wechat, redis):
    await _send(wechat)
    store = TokenStore(redis, APPID)
    assert await store.peek()
    assert 6890 <= await redis.ttl(store.key) <= 6900


async def test_expired_token_is_refreshed_and_the_call_retried_once(sandbox, wechat):
    await _send(wechat)
    await sandbox.fault(expire_tokens=True)
    await _send(wechat)
    entries = await read_outbox(sandbox.url, kind="custom_send")
    assert [e["errcode"] for e in entries] == [0, 42001, 0]
    refreshes = await read_outbox(sandbox.url, kind="stable_token")
    # Normal mode already hands out a new token: none of the day's 20 forced refreshes spent.
    assert [e["request"]["force_refresh"] for e in refreshes] == [False, False]


async def test_token_refused_every_time_gives_up_after_exactly_two_attempts(sandbox, wechat):
    await sandbox.fault(kind="custom_send", errcode=40001, times=5)
    with pytest.raises(InvalidCredential) as caught:
        await _send(wechat)
    assert caught.value.errcode == 40001
    assert len(await read_outbox(sandbox.url, kind="custom_send")) == 2
    # Normal mode handed back the refused token, so one forced refresh was tried.
    refreshes = await read_outbox(sandbox.url, kind="stable_token")
    assert [e["request"]["force_refresh"] for e in refreshes] == [False, False, True]


async def test_invalidate_keeps_a_newer_token(redis):
    store = TokenStore(redis, APPID)
    await redis.set(store.key, "newer")
    await store.invalidate("older")
    assert await store.peek() == "newer"
    await store.invalidate("newer")
    assert await store.peek() is None


async def test_waiters_use_the_token_the_refresher_stored(redis):
    store = TokenStore(redis, APPID)
    calls = []

    async def fetch(force: bool) -> tuple[str, int]:
        calls.append(force)
        await asyncio.sleep(0.1)
        return "fresh-token", 7200

    tokens = await asyncio.gather(*(store.get(fetch) for _ in range(5)))
    assert tokens == ["fresh-token"] * 5
    assert calls == [False]


async def test_replacing_a_refused_token_forces_a_refresh_once(redis):
    store = TokenStore(redis, APPID)
    await redis.set(store.key, "refused")
    calls = []

    async def fetch(force: bool) -> tuple[str, int]:
        calls.append(force)
        return ("replacement" if force else "refused"), 7200

    results = await asyncio.gather(*(store.get(fetch, replacing="refused") for _ in range(3)))
    assert results == ["replacement"] * 3
    assert calls == [False, True]


async def test_a_token_replaced_elsewhere_is_taken_without_forcing(redis):
    store = TokenStore(redis, APPID)
    calls = []

    async def fetch(force: bool) -> tuple[str, int]:
        calls.append(force)
        return "newer", 7200

    assert await store.get(fetch, replacing="refused") == "newer"
    assert calls == [False]


async def test_forced_refreshes_are_30_seconds_apart_across_processes(redis):
    # Two processes (stores) on one Redis, each refused a token that normal mode still gives.
    calls = []

    async def fetch(force: bool) -> tuple[str, int]:
        calls.append(force)
        return (f"forced-{len(calls)}" if force else "stuck"), 7200

    first, second = TokenStore(redis, APPID), TokenStore(redis, APPID)
    assert (await first.get(fetch, replacing="stuck")).startswith("forced-")
    await first.invalidate(await first.peek())
    assert await second.get(fetch, replacing="stuck") == "stuck"  # no second force within 30 s
    assert calls.count(True) == 1


async def test_forced_refreshes_stop_at_the_daily_budget(redis):
    calls = []

    async def fetch(force: bool) -> tuple[str, int]:
        calls.append(force)
        return ("fresh" if force else "stuck"), 7200

    store = TokenStore(redis, APPID)
    for _ in range(token_store.FORCED_PER_DAY + 3):
        await redis.delete(store.key, store._forced_gap_key)  # as if 30 s had passed
        await store.get(fetch, replacing="stuck")
    assert calls.count(True) == token_store.FORCED_PER_DAY < 20  # WeChat's daily limit is 20


async def test_unreachable_redis_leaves_one_token_per_process_until_it_returns():
    import redis.asyncio as aioredis

    from server.common.redis import stale_connection_retry
    from tests.support.servers import free_port

    # Nothing listens on this port: every Redis command is refused (at once, as in the api).
    down = aioredis.Redis(port=free_port(), retry=stale_connection_retry())
    store = TokenStore(down, APPID)
    calls = []

    async def fetch(force: bool) -> tuple[str, int]:
        calls.append(force)
        await asyncio.sleep(0.05)
        return f"local-{len(calls)}", 7200

    assert await asyncio.gather(*(store.get(fetch) for _ in range(5))) == ["local-1"] * 5
    await store.invalidate("local-1")  # WeChat refused it
    assert await store.get(fetch, replacing="local-1") == "local-2"
    assert calls == [False, False]  # normal mode gave another token: nothing forced
    await down.aclose()
