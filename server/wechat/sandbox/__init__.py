"""A local stand-in for WeChat's HTTP APIs: real HTTP, WeChat's JSON shapes and errcodes.

Serves api.weixin.qq.com and qyapi.weixin.qq.com paths from one app, records every call in an
outbox and injects faults on request (see control.py for the /sandbox/ endpoints).
"""

from __future__ import annotations

from sanic import Blueprint, Sanic

from server.wechat.sandbox import (
    control,
    routes_mp,
    routes_oa,
    routes_publish,
    routes_qrcode,
    routes_wecom,
)
from server.wechat.sandbox.identity import oa_openid_for, openid_for, unionid_for
from server.wechat.sandbox.state import EventPush, SandboxState

__all__ = [
    "EventPush",
    "SandboxState",
    "callback_push",
    "create_sandbox_app",
    "create_sandbox_blueprint",
    "embedded_event_push",
    "oa_openid_for",
    "openid_for",
    "sandbox_state",
    "unionid_for",
]


def create_sandbox_blueprint(
    *,
    appid: str,
    secret: str,
    oa_appid: str = "",
    oa_secret: str = "",
    url_prefix: str = "",
    event_push: EventPush | None = None,
    push_events: bool = True,
) -> Blueprint:
    """A blueprint serving the sandbox under `url_prefix`; its own state is `bp.ctx.sandbox`.

    `appid` is the mini-program's app, `oa_appid` the 公众号's (empty: the same app);
    `event_push` the 公众号 callback that hears PUBLISHJOBFINISH, as from WeChat: the only
    address the sandbox ever posts to; `push_events` whether it does so from the start.
    """
    prefix = url_prefix.rstrip("/")
    bp = Blueprint("wechat_sandbox", url_prefix=prefix or None)
    state = SandboxState(
        appid=appid,
        secret=secret,
        oa_appid=oa_appid,
        oa_secret=oa_secret,
        url_prefix=prefix,
        configured_push=event_push,
        push_events=push_events,
    )
    bp.ctx.sandbox = state
    for module in (routes_mp, routes_oa, routes_publish, routes_qrcode, routes_wecom, control):
        module.register(bp, state)
    return bp


def callback_push(settings, url: str) -> EventPush:
    """Pushing to the api's 公众号 callback at `url`, signed and sealed as its mode expects."""
    sealed = settings.oa_callback_mode != "plain"
    return EventPush(
        url=url,
        token=settings.wechat_token,
        aes_key=settings.wechat_aes_key if sealed else "",
        appid=settings.official_account_appid if sealed else "",
    )


def embedded_event_push(settings) -> EventPush:
    """The api's own 公众号 callback, for a sandbox mounted inside it."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return callback_push(settings, f"http://{host}:{settings.port}/wechat/callback")


def create_sandbox_app(
    *,
    appid: str,
    secret: str,
    oa_appid: str = "",
    oa_secret: str = "",
    name: str = "wechat_sandbox",
    event_push: EventPush | None = None,
    push_events: bool = True,
) -> Sanic:
    """A standalone Sanic app with the sandbox at the root; its state is `app.ctx.sandbox`."""
    app = Sanic(name)
    bp = create_sandbox_blueprint(
        appid=appid,
        secret=secret,
        oa_appid=oa_appid,
        oa_secret=oa_secret,
        event_push=event_push,
        push_events=push_events,
    )
    app.blueprint(bp)
    app.ctx.sandbox = bp.ctx.sandbox
    _stop_promptly(app)
    return app


def _stop_promptly(app: Sanic) -> None:
    """At a stop, calls in flight are answered, then their connections close (no keep-alive)."""
    from server.stopping import CONNECTIONS_GRACE_S, close_connection_after

    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = CONNECTIONS_GRACE_S
    app.ctx.stopping = False

    @app.before_server_stop
    async def _stopping(app: Sanic) -> None:
        app.ctx.stopping = True

    @app.on_response
    async def _close_when_stopping(request, response) -> None:
        if request.app.ctx.stopping:
            close_connection_after(request)


def sandbox_state(app_or_bp: Sanic | Blueprint) -> SandboxState:
    """The state behind a sandbox app or blueprint (for tests and the demo)."""
    return app_or_bp.ctx.sandbox
