"""The process's shared resources, made once at startup and reached one way: `current()`.

The api (`server.app`), the worker and the scheduler (`server.jobs.worker`) and the tests
(`tests/support`) build one `Runtime` through `server.lifecycle.open_runtime` and install it;
services read `current().redis`, `.settings`, `.broker`, `.wechat` instead of taking them as
arguments from their handlers. This module imports settings only for types, and semester
(pure calendar arithmetic) imports nothing of it, so settings -> semester and
runtime -> semester run one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from server.common.semester import DEFAULT_CALENDAR, SemesterCalendar

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from taskiq import AsyncBroker

    from server.settings import Settings
    from server.wechat.client import WeChatClient


@dataclass
class Runtime:
    """Settings, Redis, the WeChat clients and the job broker of this process."""

    settings: Settings
    #: Redis, or in the embedded backend the in-process fakeredis (the same asyncio API).
    redis: Redis
    wechat: WeChatClient  #: the mini-program's app (login, wxacode, subscribe messages)
    broker: AsyncBroker
    #: The 公众号's app (template and customer messages, menu, materials, user info); the
    #: same object as `wechat` when both are one appid.
    official_account: WeChatClient


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
