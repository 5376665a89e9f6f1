"""Roster (花名册) endpoints: template download, dry-run check, import as a job."""

from __future__ import annotations

from urllib.parse import quote

from sanic import Blueprint, Request, json
from sanic.response import raw
from sanic_ext import openapi
from sanic_ext.extensions.openapi.types import Binary, Object

from server.common.auth import requires
from server.common.errors import DomainError
from server.common.runtime import current
from server.common.uploads import read_multipart
from server.orgs import roster

bp = Blueprint("orgs_roster", url_prefix="/api/v1")
TAG = "花名册"
MB = 1024 * 1024
#: Room for the multipart envelope around the file itself.
FORM_OVERHEAD = 64 * 1024
UPLOAD_BODY = {
    "multipart/form-data": Object(
        properties={"file": Binary(description="花名册 .xlsx（用导入模板填写）")},
        required=["file"],
    )
}


async def _read_upload(request: Request) -> bytes:
    """The uploaded `file`, refusing oversized bodies before reading them."""
    max_bytes = current().settings.max_upload_mb * MB
    limit = max_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise roster.too_large(max_bytes)
    chunks, size = [], 0
    while request.stream is not None:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > limit:  # chunked uploads declare no length
            raise roster.too_large(max_bytes)
        chunks.append(chunk)
    request.body = b"".join(chunks)
    read_multipart(request)
    upload = request.files.get("file") if request.files else None
    if upload is None:
        raise DomainError("missing_file", "请以表单字段 file 上传花名册文件（.xlsx）")
    return upload.body


@bp.get("/kindergartens/<kindergarten_id:int>/roster/template.xlsx")
@openapi.definition(summary="下载花名册导入模板", tag=TAG, secured="token")
@openapi.response(200, {roster.XLSX_CONTENT_TYPE: Binary()}, "导入模板（.xlsx）")
@requires("director", "admin")
async def roster_template(request: Request, kindergarten_id: int):
    """The .xlsx template with the 教师 and 幼儿 sheets."""
    body, filename = await roster.template_for(
        principal=request.ctx.principal, kindergarten_id=kindergarten_id
    )
    disposition = (
        f"attachment; filename=\"roster-template.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    return raw(
        body,
        content_type=roster.XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@bp.post("/kindergartens/<kindergarten_id:int>/roster/check", stream=True)
@openapi.definition(summary="检查花名册（不写入）", tag=TAG, secured="token")
@openapi.body(UPLOAD_BODY)
@requires("director", "admin")
async def check_roster(request: Request, kindergarten_id: int):
    """Every bad row with its reason, and what an import would create or update."""
    principal = request.ctx.principal
    await roster.ensure_may_import(principal=principal, kindergarten_id=kindergarten_id)
    data = await _read_upload(request)
    return json(
        await roster.check_roster(
            principal=principal,
            kindergarten_id=kindergarten_id,
            data=data,
            max_bytes=current().settings.max_upload_mb * MB,
        )
    )


@bp.post("/kindergartens/<kindergarten_id:int>/roster/import", stream=True)
@openapi.definition(summary="导入花名册（后台任务）", tag=TAG, secured="token")
@openapi.body(UPLOAD_BODY)
@openapi.response(202, {"application/json": {"job_id": str}}, "已排队，进度见 /api/v1/jobs/{id}")
@requires("director", "admin")
async def import_roster(request: Request, kindergarten_id: int):
    """Queue the import; answers the job to poll."""
    principal = request.ctx.principal
    settings = current().settings
    await roster.ensure_may_import(principal=principal, kindergarten_id=kindergarten_id)
    data = await _read_upload(request)
    started = await roster.start_import(
        principal=principal,
        kindergarten_id=kindergarten_id,
        data=data,
        max_bytes=settings.max_upload_mb * MB,
        data_dir=settings.data_dir,
        broker=current().broker,
    )
    return json(started, status=202)
