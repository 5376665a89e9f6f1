"""Bot fixtures: WeChat's side of the callback, and the api's callback in other modes.

The api runs with the test settings (plaintext callbacks, the default reply budget). Safe
mode, compatible mode and a tiny reply budget are other settings: for the length of one
test, the api's runtime (the one `current()` returns, which the callback reads on every
request) carries them; then the test settings come back.
"""

from __future__ import annotations

import dataclasses
import functools

import pytest

from tests.bots.callback import AES_KEY, WeChatServer
from tests.support.http import http_client
from tests.support.sandbox import read_outbox

#: Reply budget of the "slow" mode: handlers slower than this are deferred.
SHORT_BUDGET = 0.3


@pytest.fixture
async def callback_mode(api):
    """Run the api with `settings` changed by `overrides` until the test ends."""
    from server.common.runtime import current, install

    own = current()

    def switch(**overrides):
        install(dataclasses.replace(own, settings=own.settings.model_copy(update=overrides)))
        return api

    yield switch
    install(own)


@pytest.fixture
async def safe_api(callback_mode):
    """The api with an EncodingAESKey (safe mode)."""
    return callback_mode(wechat_aes_key=AES_KEY)


@pytest.fixture
async def compatible_api(callback_mode):
    """The api in compatible mode (兼容模式): an EncodingAESKey, plaintext also accepted."""
    return callback_mode(wechat_aes_key=AES_KEY, oa_encrypt_mode="compatible")


@pytest.fixture
async def slow_api(callback_mode):
    """The api with a reply budget short enough to outlast in a test."""
    return callback_mode(oa_reply_budget=SHORT_BUDGET)


@pytest.fixture
async def wechat_server(client) -> WeChatServer:
    """WeChat posting plaintext callbacks to the api."""
    return WeChatServer(client)


@pytest.fixture
async def safe_wechat_server(safe_api, client):
    """WeChat posting safe-mode (AES) callbacks to the api in safe mode."""
    async with http_client(base_url=safe_api.url, timeout=15) as http:
        yield WeChatServer(http, aes_key=AES_KEY)


@pytest.fixture
async def slow_wechat_server(slow_api, client):
    """WeChat posting plaintext callbacks to the api with the short reply budget."""
    async with http_client(base_url=slow_api.url, timeout=15) as http:
        yield WeChatServer(http)


@pytest.fixture
async def outbox(sandbox, api):
    """Read the sandbox outbox (emptied before each test): `await outbox(kind="menu_create")`."""
    return functools.partial(read_outbox, sandbox.url)


@pytest.fixture
async def redis_keys(api):
    """Keys of the api's Redis matching a pattern: `await redis_keys("oa:seen:*")`."""

    async def read(pattern: str) -> list[bytes]:
        return [key async for key in api.app.ctx.runtime.redis.scan_iter(match=pattern)]

    return read
