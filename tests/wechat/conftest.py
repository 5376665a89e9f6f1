"""Fixtures: a sandbox on a real port, an HTTP client, Redis (fake and real) and our client."""

from __future__ import annotations

import fakeredis
import pytest
import redis.asyncio as aioredis
from sanic import Sanic

from server.wechat.sandbox import create_sandbox_app, sandbox_state
from tests.support import backends
from tests.support.http import http_client
from tests.support.servers import start_server
from tests.wechat.helpers import APPID, SECRET, Sandbox, make_client

Sanic.test_mode = True

# The run's own database (its slot's stand-in for 13, which other modules' tests empty and
# use in turn, never while these run): two runs in two slots never share it.
REAL_REDIS_URL = backends.redis_url(13)


@pytest.fixture(scope="session")
async def sandbox_server():
    app = create_sandbox_app(appid=APPID, secret=SECRET, name="wechat_sandbox_tests")
    server = await start_server(app)
    yield server
    await server.stop()


@pytest.fixture
async def http():
    async with http_client(timeout=10) as client:
        yield client


@pytest.fixture
async def sandbox(sandbox_server, http) -> Sandbox:
    state = sandbox_state(sandbox_server.app)
    state.reset()
    return Sandbox(url=sandbox_server.url, state=state, http=http)


async def _real_redis():
    client = aioredis.from_url(REAL_REDIS_URL)
    try:
        await client.ping()
    except (OSError, aioredis.RedisError) as exc:
        await client.aclose()
        pytest.fail(f"the services pass needs a real Redis at {REAL_REDIS_URL}: {exc}")
    return client


# The real-Redis variant runs in the services pass, where Redis is required (never skipped).
@pytest.fixture(params=["fakeredis", pytest.param("redis", marks=pytest.mark.services)])
async def redis(request):
    client = fakeredis.FakeAsyncRedis() if request.param == "fakeredis" else await _real_redis()
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
async def wechat(sandbox, redis):
    client = make_client(sandbox, redis)
    yield client
    await client.aclose()
