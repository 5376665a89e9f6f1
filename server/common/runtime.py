"""The process's shared resources, made once at startup and reached one way: `current()`.

The api (`server.app`), the worker and the scheduler (`server.jobs.worker`) and the tests
(`tests/support`) build one `Runtime` through `server.lifecycle.open_runtime` and install it;
handlers and services read `current().settings`, `.redis`, `.broker`, `.wechat`,
`.official_account` and `.limiter`; nothing else holds them (the api's `app.ctx` keeps only
the runtime it must close and its own stopping flag; tests/architecture checks it). This
module imports settings only for types, and semester (pure calendar arithmetic) imports
nothing of it, so settings -> semester and runtime -> semester run one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from server.common.semester import DEFAULT_CALENDAR, SemesterCalendar

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from taskiq import AsyncBroker

    from server.common.rate_limit import RateLimiter
    from server.settings import Settings
    from server.wechat.client import WeChatClient


@dataclass
class Runtime:
    """Settings, Redis, the WeChat clients, the job broker and the rate limits of this process."""

    settings: Settings
    #: Redis, or in the embedded backend the in-process fakeredis (the same asyncio API).
    redis: Redis
    wechat: WeChatClient  #: the mini-program's app (login, wxacode, subscribe messages)
    broker: AsyncBroker
    #: The 公众号's app (template and customer messages, menu, materials, user info); the
    #: same object as `wechat` when both are one appid.
    official_account: WeChatClient
    #: The rate limits of `settings.rate_limits`, counted in `redis`.
    limiter: RateLimiter


_current: Runtime | None = None


def install(runtime: Runtime) -> None:
    """Make `runtime` the one services and jobs reach (called by api and worker startup)."""
    global _current
    _current = runtime


def current() -> Runtime:
    """The runtime installed by this process's startup."""
    if _current is None:
        raise RuntimeError("runtime not started: call install() at process startup")
    return _current


def configured_calendar() -> SemesterCalendar:
    """The calendar of this process's settings (the default before a runtime is installed)."""
    if _current is None:
        return DEFAULT_CALENDAR
    return _current.settings.semester_calendar
