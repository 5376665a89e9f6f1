"""Job progress endpoint."""

from __future__ import annotations

from sanic import Blueprint, Request, json
from sanic_ext import openapi

from server.common.auth import ANY_ACCOUNT, requires
from server.jobs import failures, service

bp = Blueprint("jobs", url_prefix="/api/v1")


@bp.get("/failed-jobs")
@openapi.definition(summary="失败的后台任务（含放弃重试的定时任务）", tag="系统", secured="token")
@requires("admin")
async def failed_jobs(request: Request):
    """Jobs that failed and cron items given up after their retries, with Chinese reasons."""
    return json({"items": await failures.list_failed()})


@bp.get("/jobs/<job_id:str>")
@openapi.definition(summary="后台任务进度", tag="系统", secured="token")
@requires(ANY_ACCOUNT)
async def get_job(request: Request, job_id: str):
    """Progress and result of a job the caller started."""
    return json(await service.get_job(principal=request.ctx.principal, job_id=job_id))
