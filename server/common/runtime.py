"""The process's shared resources, made at startup by the api or the worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.settings import Settings
    from server.wechat.client import WeChatClient


@dataclass
class Runtime:
    """Settings, Redis, the WeChat clients and the job broker of this process."""

    settings: Settings
    redis: Any
    wechat: WeChatClient  #: the mini-program's app (login, wxacode, subscribe messages)
    broker: Any
    #: The 公众号's app (template and customer messages, menu, materials, user info); the
    #: same object as `wechat` when both are one appid.
    official_account: WeChatClient


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
