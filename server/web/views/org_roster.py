"""Console pages: a kindergarten's roster import – the .xlsx template, the dry run that lists
each bad row with its reason (nothing is written), then the import job and its progress."""

from __future__ import annotations

from urllib.parse import quote

from sanic import Blueprint, Request, raw

from server.common.errors import DomainError
from server.common.runtime import current
from server.common.uploads import read_multipart
from server.jobs import service as jobs
from server.orgs import kindergartens, roster
from server.web.console import back, console_page, render
from server.web.views.org_choices import BASE, ROSTER

bp = Blueprint("console_org_roster")
MB = 1024 * 1024
JOB_LABELS = {"queued": "排队中", "running": "导入中", "done": "已完成", "failed": "失败"}


def _max_bytes(request: Request) -> int:
    return current().settings.max_upload_mb * MB


def _upload(request: Request) -> bytes:
    read_multipart(request)
    upload = (request.files or {}).get("file")
    if upload is None or not upload.body:
        raise DomainError("missing_file", "请选择要上传的花名册文件（.xlsx）")
    roster.check_upload_size(len(upload.body), max_bytes=_max_bytes(request))
    return upload.body


async def _roster_page(request: Request, kindergarten_id: int, **extra):
    principal = request.ctx.principal
    await roster.ensure_may_import(principal=principal, kindergarten_id=kindergarten_id)
    kg = await kindergartens.get_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    return render(request, "web/orgs/roster.html", kg=kg, **{"check": None, **extra})


@bp.get("/orgs/kindergartens/<kindergarten_id:int>/roster")
@console_page(*ROSTER)
async def roster_page(request: Request, kindergarten_id: int):
    """Upload a roster: check first (nothing is written), then import."""
    return await _roster_page(request, kindergarten_id)


@bp.get("/orgs/kindergartens/<kindergarten_id:int>/roster/template.xlsx")
@console_page(*ROSTER)
async def roster_template(request: Request, kindergarten_id: int):
    """The .xlsx template with the 教师 and 幼儿 sheets."""
    body, filename = await roster.template_for(
        principal=request.ctx.principal, kindergarten_id=kindergarten_id
    )
    return raw(
        body,
        content_type=roster.XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@bp.post("/orgs/kindergartens/<kindergarten_id:int>/roster/check")
@console_page(*ROSTER)
async def roster_check(request: Request, kindergarten_id: int):
    """The dry run: each bad row with its reason, or what the import would change."""
    principal = request.ctx.principal
    await roster.ensure_may_import(principal=principal, kindergarten_id=kindergarten_id)
    result = await roster.check_roster(
        principal=principal,
        kindergarten_id=kindergarten_id,
        data=_upload(request),
        max_bytes=_max_bytes(request),
    )
    return await _roster_page(request, kindergarten_id, check=result)


async def _start_import(request: Request, kindergarten_id: int) -> dict:
    """Queue the import of the uploaded file (checked again by the service first)."""
    principal = request.ctx.principal
    await roster.ensure_may_import(principal=principal, kindergarten_id=kindergarten_id)
    return await roster.start_import(
        principal=principal,
        kindergarten_id=kindergarten_id,
        data=_upload(request),
        max_bytes=_max_bytes(request),
        data_dir=current().settings.data_dir,
        broker=current().broker,
    )


def _failed_check(exc: DomainError) -> dict:
    """A refused import shown as the dry run shows bad rows."""
    return {"ok": False, "issues": (exc.details or {}).get("issues", []), "summary": exc.message}


@bp.post("/orgs/kindergartens/<kindergarten_id:int>/roster/import")
@console_page(*ROSTER)
async def roster_import(request: Request, kindergarten_id: int):
    """Queue the import of a checked file; the job page shows its progress."""
    try:
        started = await _start_import(request, kindergarten_id)
    except DomainError as exc:
        if exc.code != "roster_invalid":
            raise
        return await _roster_page(request, kindergarten_id, check=_failed_check(exc))
    jobs_page = f"{BASE}/kindergartens/{kindergarten_id}/roster/jobs/{started['job_id']}"
    return back(jobs_page, "已开始导入")


@bp.get("/orgs/kindergartens/<kindergarten_id:int>/roster/jobs/<job_id:str>")
@console_page(*ROSTER)
async def roster_job(request: Request, kindergarten_id: int, job_id: str):
    """An import job's progress and outcome (the page refreshes until it ends)."""
    principal = request.ctx.principal
    await roster.ensure_may_import(principal=principal, kindergarten_id=kindergarten_id)
    job = await jobs.get_job(principal=principal, job_id=job_id)
    job["status_label"] = JOB_LABELS.get(job["status"], job["status"])
    return render(
        request,
        "web/orgs/roster_job.html",
        job=job,
        kindergarten_id=kindergarten_id,
        running=job["status"] in ("queued", "running"),
    )
