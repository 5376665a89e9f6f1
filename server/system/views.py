"""Health check for load balancers and people."""

from __future__ import annotations

from sanic import Blueprint, Request, json
from sanic_ext import openapi

from server.common.auth import PUBLIC, requires
from server.system.service import health

bp = Blueprint("system")


@bp.get("/healthz")
@openapi.definition(summary="健康检查", tag="系统")
@requires(PUBLIC)
async def healthz(request: Request):
    """Database, Redis, broker and WeChat state; 503 when a store is down."""
    report = await health()
    return json(report, status=200 if report["status"] == "ok" else 503)
