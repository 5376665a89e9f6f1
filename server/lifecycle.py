"""Open and close a process's shared resources (database, Redis, WeChat, broker)."""

from __future__ import annotations

import logging

from tortoise import Tortoise, connections

from server.common.redis import make_redis
from server.common.runtime import Runtime, install
from server.db import tortoise_config
from server.settings import Settings
from server.wechat.client import WeChatClient

log = logging.getLogger("songjiao")


async def open_runtime(settings: Settings, *, broker) -> Runtime:
    """Connect everything this process needs and install it as the current runtime."""
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    # Connect now: a first query cancelled mid-connect (a request's timeout) can leave
    # SQLite's lazily made connection half set up and every later query waiting.
    await connections.get("default").execute_query("SELECT 1")
    redis = make_redis(settings)
    wechat = WeChatClient(
        appid=settings.wechat_appid,
        secret=settings.wechat_secret,
        api_base=settings.wechat_base,
        wecom_base=settings.wecom_base,
        redis=redis,
        timeout=settings.wechat_timeout,
    )
    runtime = Runtime(settings=settings, redis=redis, wechat=wechat, broker=broker)
    install(runtime)
    return runtime


async def close_runtime(runtime: Runtime) -> None:
    """Close what open_runtime opened, in reverse order."""
    await runtime.wechat.aclose()
    await runtime.redis.aclose()
    await Tortoise.close_connections()
