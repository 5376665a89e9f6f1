"""GET /metrics for Prometheus, and the request counting every answer goes through."""

from __future__ import annotations

from ipaddress import ip_address

from sanic import Blueprint, Request, Sanic, text
from sanic.response import HTTPResponse
from sanic_ext import openapi

from server.common.auth import PUBLIC, requires
from server.common.errors import DomainError
from server.common.runtime import current
from server.metrics import counters
from server.metrics.service import authorised, exposition

PATH = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_PROXY_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded")

bp = Blueprint("metrics")


def _loopback(request: Request) -> bool:
    try:
        return ip_address(request.ip).is_loopback
    except ValueError:
        return False


@bp.get(PATH)
@openapi.definition(summary="运行指标（Prometheus）", tag="系统")
@requires(PUBLIC)
async def metrics(request: Request):
    """Counters and queue depth; needs SONGJIAO_METRICS_TOKEN, or loopback without one."""
    runtime = current()
    allowed = authorised(
        token=runtime.settings.metrics_token,
        header=request.headers.get("authorization", ""),
        loopback=_loopback(request),
        proxied=any(h in request.headers for h in _PROXY_HEADERS),
    )
    if not allowed:
        raise DomainError("forbidden", "无权查看运行指标")
    body = await exposition(redis=runtime.redis, broker=runtime.broker)
    return text(body, content_type=CONTENT_TYPE)


def install(app: Sanic) -> None:
    """Count every answer by route and status; flush counts to Redis in the background."""

    @app.on_response
    async def _count(request: Request, response: HTTPResponse) -> None:
        route = request.route.name.partition(".")[2] if request.route else "unmatched"
        counters.request(route=route or "unmatched", status=response.status)

    @app.before_server_start
    async def _start(app: Sanic) -> None:
        app.ctx.metrics_flusher = counters.start_flusher(current().redis)

    @app.after_server_stop
    async def _stop(app: Sanic) -> None:
        await counters.stop_flusher(app.ctx.metrics_flusher, current().redis)
