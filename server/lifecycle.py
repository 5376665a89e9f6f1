"""Open and close a process's shared resources (database, Redis, WeChat, broker)."""

from __future__ import annotations

import logging

from tortoise import Tortoise, connections

from server.common.rate_limit import RateLimiter
from server.common.redis import make_redis
from server.common.runtime import Runtime, install
from server.db import tortoise_config
from server.settings import Settings
from server.wechat.client import WeChatClient
from server.wiring import connect

log = logging.getLogger("songjiao")


def make_wechat_client(
    settings: Settings, *, redis, official_account: bool = False
) -> WeChatClient:
    """The mini-program's WeChat client, or the 公众号's (its own appid, secret and token)."""
    if official_account:
        appid, secret = settings.official_account_appid, settings.official_account_secret
    else:
        appid, secret = settings.wechat_appid, settings.wechat_secret
    return WeChatClient(
        appid=appid,
        secret=secret,
        api_base=settings.wechat_base,
        wecom_base=settings.wecom_base,
        redis=redis,
        timeout=settings.wechat_timeout,
    )


def make_wechat_clients(settings: Settings, *, redis) -> tuple[WeChatClient, WeChatClient]:
    """The mini-program's client and the 公众号's: one object when they are one appid."""
    wechat = make_wechat_client(settings, redis=redis)
    if not settings.two_wechat_apps:
        return wechat, wechat
    return wechat, make_wechat_client(settings, redis=redis, official_account=True)


async def open_runtime(settings: Settings, *, broker) -> Runtime:
    """Connect everything this process needs and install it as the current runtime."""
    connect()
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    # Connect now: a first query cancelled mid-connect (a request's timeout) can leave
    # SQLite's lazily made connection half set up and every later query waiting.
    await connections.get("default").execute_query("SELECT 1")
    redis = make_redis(settings)
    wechat, official_account = make_wechat_clients(settings, redis=redis)
    runtime = Runtime(
        settings=settings,
        redis=redis,
        wechat=wechat,
        broker=broker,
        official_account=official_account,
        limiter=RateLimiter(rules=settings.rate_limits, redis=redis),
    )
    install(runtime)
    return runtime


async def close_runtime(runtime: Runtime) -> None:
    """Close what open_runtime opened, in reverse order."""
    if runtime.official_account is not runtime.wechat:
        await runtime.official_account.aclose()
    await runtime.wechat.aclose()
    await runtime.redis.aclose()
    await Tortoise.close_connections()
