"""The process's shared resources, made at startup by the api or the worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.settings import Settings
    from server.wechat.client import WeChatClient


@dataclass
class Runtime:
    """Settings, Redis, the WeChat client and the job broker of this process."""

    settings: Settings
    redis: Any
    wechat: WeChatClient
    broker: Any


_current: Runtime | None = None


def install(runtime: Runtime) -> None:
    """Make `runtime` the one jobs reach (called by api and worker startup)."""
    global _current
    _current = runtime


def current() -> Runtime:
    """The runtime installed by this process's startup."""
    if _current is None:
        raise RuntimeError("runtime not started: call install() at process startup")
    return _current
