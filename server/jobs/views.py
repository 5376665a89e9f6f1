"""Job progress endpoint."""

from __future__ import annotations

from sanic import Blueprint, Request, json
from sanic_ext import openapi

from server.common.auth import ANY_ACCOUNT, requires
from server.jobs import service

bp = Blueprint("jobs", url_prefix="/api/v1")


@bp.get("/jobs/<job_id:str>")
@openapi.definition(summary="后台任务进度", tag="系统", secured="token")
@requires(ANY_ACCOUNT)
async def get_job(request: Request, job_id: str):
    """Progress and result of a job the caller started."""
    return json(await service.get_job(principal=request.ctx.principal, job_id=job_id))
