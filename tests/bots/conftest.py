"""Bot fixtures: WeChat's side of the callback, and second bot apps with other settings.

The session api runs with the test settings (plaintext callbacks, the default reply
budget). Safe mode and a tiny reply budget need other settings: each gets a small Sanic
app serving only the callback blueprint, with its own settings object but this process's
Redis, database and WeChat client, on its own port.
"""

from __future__ import annotations

import functools

import httpx
import pytest
from sanic import Request, Sanic

from tests.bots.callback import AES_KEY, WeChatServer
from tests.support.sandbox import read_outbox

#: Reply budget of the "slow" app: handlers slower than this are deferred.
SHORT_BUDGET = 0.3


async def _start_bot_app(api, settings, name: str, **overrides):
    from bots.official_account.views import bp
    from server.common.errors import handle_error
    from tests.support.servers import start_server

    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.settings = settings.model_copy(update=overrides)
    app.ctx.redis = api.app.ctx.redis
    app.ctx.wechat = api.app.ctx.wechat
    app.ctx.official_account = api.app.ctx.official_account

    @app.on_request
    async def _anonymous(request: Request) -> None:
        request.ctx.principal = None

    app.blueprint(bp.copy(f"{name}_callback", with_registration=False))
    app.error_handler.add(Exception, handle_error)
    return await start_server(app)


@pytest.fixture(scope="session")
async def safe_api(api, settings):
    """A bot app whose settings carry an EncodingAESKey (safe mode)."""
    server = await _start_bot_app(api, settings, "songjiao_oa_safe", wechat_aes_key=AES_KEY)
    yield server
    await server.stop()


@pytest.fixture(scope="session")
async def compatible_api(api, settings):
    """A bot app in compatible mode (兼容模式): an EncodingAESKey, plaintext also accepted."""
    mode = {"wechat_aes_key": AES_KEY, "oa_encrypt_mode": "compatible"}
    server = await _start_bot_app(api, settings, "songjiao_oa_compatible", **mode)
    yield server
    await server.stop()


@pytest.fixture(scope="session")
async def slow_api(api, settings):
    """A bot app whose reply budget is short enough to outlast in a test."""
    server = await _start_bot_app(api, settings, "songjiao_oa_slow", oa_reply_budget=SHORT_BUDGET)
    yield server
    await server.stop()


@pytest.fixture
async def wechat_server(client) -> WeChatServer:
    """WeChat posting plaintext callbacks to the api."""
    return WeChatServer(client)


@pytest.fixture
async def safe_wechat_server(safe_api, client):
    """WeChat posting safe-mode (AES) callbacks to the safe-mode bot app."""
    async with httpx.AsyncClient(base_url=safe_api.url, timeout=15) as http:
        yield WeChatServer(http, aes_key=AES_KEY)


@pytest.fixture
async def slow_wechat_server(slow_api, client):
    """WeChat posting plaintext callbacks to the short-budget bot app."""
    async with httpx.AsyncClient(base_url=slow_api.url, timeout=15) as http:
        yield WeChatServer(http)


@pytest.fixture
async def outbox(sandbox, api):
    """Read the sandbox outbox (emptied before each test): `await outbox(kind="menu_create")`."""
    return functools.partial(read_outbox, sandbox.url)


@pytest.fixture
async def redis_keys(api):
    """Keys of the api's Redis matching a pattern: `await redis_keys("oa:seen:*")`."""

    async def read(pattern: str) -> list[bytes]:
        return [key async for key in api.app.ctx.redis.scan_iter(match=pattern)]

    return read
