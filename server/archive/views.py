"""Archive endpoints: photos and attachments, record texts, 帮扶记录卡, semester export."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from pydantic import BeforeValidator, ValidationError
from sanic import Blueprint, Request, json
from sanic.response import file_stream
from sanic_ext import openapi, validate
from sanic_ext.extensions.openapi.types import Binary, Boolean, Object, String

from server.archive import export, service
from server.archive.files import MB, extension_of
from server.archive.schemas import (
    ConfirmBody,
    FileAnswer,
    FileList,
    FilePatch,
    RecordBody,
    RecordCardAnswer,
    ReopenBody,
    WithdrawBody,
)
from server.common.auth import requires
from server.common.errors import DomainError
from server.common.params import Params
from server.common.runtime import current
from server.common.uploads import read_multipart

bp = Blueprint("archive", url_prefix="/api/v1")
TAG = "帮扶档案"
MANAGERS = ("organizer", "director", "admin")
VIEWERS = ("teacher", "organizer", "director", "leader", "parent", "admin")
#: Room for the multipart envelope around the file itself.
FORM_OVERHEAD = 64 * 1024
UPLOAD_BODY = {
    "multipart/form-data": Object(
        properties={
            "file": Binary(
                description="照片（JPG/PNG/WebP/GIF，≤10 MB）或附件（PDF/Word/Excel/PPT/TXT）"
            ),
            "kind": String(description="photo（照片）或 attachment（附件）"),
            "caption": String(description="说明（可选，≤100 字）"),
            "consent": Boolean(description="照片中的人员是否同意公开（默认否）"),
        },
        required=["file", "kind"],
    )
}
TRUE_WORDS = {"true", "1", "yes", "on", "是"}
FALSE_WORDS = {"false", "0", "no", "off", "否", ""}


def _flag(value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise DomainError("invalid_input", "consent 只能是 true 或 false")


class UploadFields(Params):
    """The upload form's fields besides the file: kind, caption and consent."""

    kind: str | None = None
    caption: str | None = None
    consent: Annotated[bool, BeforeValidator(_flag)] = False


class SemesterQuery(Params):
    """?semester=2026秋; this semester when absent."""

    semester: str | None = None


def content_disposition(filename: str, *, inline: bool, fallback: str) -> str:
    """Content-Disposition with an ASCII fallback and the RFC 5987 UTF-8 name."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def _read_upload(request: Request):
    """The uploaded `file` part, refusing oversized bodies before reading them."""
    max_bytes = max(current().settings.max_upload_mb, 10) * MB
    limit = max_bytes + FORM_OVERHEAD
    too_large = DomainError(
        "payload_too_large", f"文件超过 {max_bytes // MB} MB 上限，请压缩后重新上传"
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    while request.stream is not None:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > limit:  # chunked uploads declare no length
            raise too_large
        chunks.append(chunk)
    request.body = b"".join(chunks)
    read_multipart(request)
    upload = request.files.get("file") if request.files else None
    if upload is None:
        raise DomainError("missing_file", "请以表单字段 file 上传照片或附件")
    return upload


# ---- files ------------------------------------------------------------------------------


@bp.post("/activities/<activity_id:int>/files", stream=True)
@openapi.definition(summary="上传活动照片或附件", tag=TAG, secured="token")
@openapi.body(UPLOAD_BODY)
@openapi.response(201, {"application/json": FileAnswer}, "已保存的文件")
@openapi.response(200, {"application/json": FileAnswer}, "同一文件已上传过：先前的记录")
@requires(*MANAGERS)
async def upload_file(request: Request, activity_id: int):
    """Store a photo (EXIF removed) or attachment; the same file again answers the first."""
    principal, settings = request.ctx.principal, current().settings
    await service.ensure_may_upload(principal=principal, activity_id=activity_id)
    upload = await _read_upload(request)
    # A streamed body has its form only now: read here, not by a decorator before the body.
    fields = UploadFields.model_validate(request.form or {})
    data, created = await service.upload_file(
        principal=principal,
        activity_id=activity_id,
        data=upload.body,
        filename=upload.name,
        data_dir=settings.data_dir,
        max_bytes=settings.max_upload_mb * MB,
        **fields.model_dump(),
    )
    return json(data, status=201 if created else 200)


@bp.get("/activities/<activity_id:int>/files")
@openapi.definition(summary="活动照片与附件列表", tag=TAG, secured="token")
@openapi.response(200, {"application/json": FileList}, "照片与附件")
@requires(*VIEWERS)
async def list_files(request: Request, activity_id: int):
    """The activity's files (parents: photos with consent only)."""
    return json(await service.list_files(principal=request.ctx.principal, activity_id=activity_id))


@bp.get("/files/<file_id:int>/content")
@openapi.definition(summary="下载照片或附件", tag=TAG, secured="token")
@openapi.response(200, {"application/octet-stream": Binary()}, "文件内容")
@requires(*VIEWERS)
async def file_content(request: Request, file_id: int):
    """The file itself, with its Chinese name."""
    path, filename, content_type = await service.file_for_download(
        principal=request.ctx.principal,
        file_id=file_id,
        data_dir=current().settings.data_dir,
    )
    ext = extension_of(filename)
    fallback = f"file-{file_id}.{ext}" if ext else f"file-{file_id}"
    headers = {
        "Content-Disposition": content_disposition(
            filename, inline=content_type.startswith("image/"), fallback=fallback
        ),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return await file_stream(path, mime_type=content_type, headers=headers)


@bp.patch("/files/<file_id:int>")
@openapi.definition(body=FilePatch, summary="修改照片说明或公开同意", tag=TAG, secured="token")
@openapi.response(200, {"application/json": FileAnswer}, "修改后的文件")
@requires(*MANAGERS)
@validate(json=FilePatch)
async def update_file(request: Request, file_id: int, body: FilePatch):
    """Change the caption or the consent flag (consent changes are audit-logged)."""
    return json(
        await service.update_file(
            principal=request.ctx.principal, file_id=file_id, **body.model_dump()
        )
    )


@bp.post("/files/<file_id:int>/withdraw-consent")
@openapi.definition(
    body=WithdrawBody, summary="撤回照片的公开同意（教师、家长均可）", tag=TAG, secured="token"
)
@requires(*VIEWERS)
async def withdraw_consent(request: Request, file_id: int):
    """Withdraw a photo's publication consent; works even when the record card is locked."""
    try:
        body = WithdrawBody.model_validate(request.json or {})
    except ValidationError as exc:
        raise DomainError("invalid_input", "请求内容格式不正确") from exc
    return json(
        await service.withdraw_consent(
            principal=request.ctx.principal, file_id=file_id, reason=body.reason or ""
        )
    )


@bp.delete("/files/<file_id:int>")
@openapi.definition(summary="删除照片或附件", tag=TAG, secured="token")
@requires(*MANAGERS)
async def delete_file(request: Request, file_id: int):
    """Remove a file from the record (audit-logged)."""
    await service.delete_file(
        principal=request.ctx.principal,
        file_id=file_id,
        data_dir=current().settings.data_dir,
    )
    return json({"ok": True})


# ---- record texts and 帮扶记录卡 ----------------------------------------------------------


@bp.put("/activities/<activity_id:int>/record")
@openapi.definition(
    body=RecordBody, summary="填写活动计划、措施、总结与反思", tag=TAG, secured="token"
)
@requires(*MANAGERS)
@validate(json=RecordBody)
async def update_record(request: Request, activity_id: int, body: RecordBody):
    """Write the record texts; refused while the record card is locked."""
    return json(
        await service.update_record(
            principal=request.ctx.principal,
            activity_id=activity_id,
            changes=body.model_dump(exclude_none=True),
        )
    )


@bp.get("/activities/<activity_id:int>/record-card")
@openapi.definition(summary="帮扶记录卡（记录与双方确认）", tag=TAG, secured="token")
@openapi.response(200, {"application/json": RecordCardAnswer}, "记录、照片与附件、双方确认状态")
@requires(*VIEWERS)
async def get_record_card(request: Request, activity_id: int):
    """The record with both sides' confirmations and the lock state."""
    return json(
        await service.get_record_card(principal=request.ctx.principal, activity_id=activity_id)
    )


@bp.post("/activities/<activity_id:int>/record-card/confirm")
@openapi.definition(
    body=ConfirmBody, summary="确认帮扶记录卡（本方园长或组织者）", tag=TAG, secured="token"
)
@openapi.response(200, {"application/json": RecordCardAnswer}, "确认后的记录卡")
@requires(*MANAGERS)
async def confirm_record_card(request: Request, activity_id: int):
    """Confirm the record for the caller's side; both sides confirmed locks it."""
    try:
        body = ConfirmBody.model_validate(request.json or {})
    except ValidationError as exc:
        raise DomainError(
            "invalid_input", "side 只能是 supporting（帮扶园）或 supported（被帮扶园）"
        ) from exc
    return json(
        await service.confirm_record_card(
            principal=request.ctx.principal, activity_id=activity_id, side=body.side
        )
    )


@bp.post("/activities/<activity_id:int>/record-card/reopen")
@openapi.definition(
    body=ReopenBody, summary="撤销帮扶记录卡的确认（需说明原因）", tag=TAG, secured="token"
)
@requires("director", "admin")
@validate(json=ReopenBody)
async def reopen_record_card(request: Request, activity_id: int, body: ReopenBody):
    """Clear both confirmations so the record may change again (audit-logged)."""
    return json(
        await service.reopen_record_card(
            principal=request.ctx.principal, activity_id=activity_id, reason=body.reason
        )
    )


# ---- export -----------------------------------------------------------------------------


@bp.get("/pairings/<pairing_id:int>/archive.zip")
@openapi.definition(summary="导出结对一学期的帮扶档案（zip）", tag=TAG, secured="token")
@openapi.parameter("semester", str, "query", description="学期，如 2026秋；默认当前学期")
@openapi.response(200, {"application/zip": Binary()}, "index.xlsx 与各活动的记录和文件")
@requires("organizer", "director", "leader", "admin")
@validate(query=SemesterQuery)
async def export_archive(request: Request, pairing_id: int, query: SemesterQuery):
    """index.xlsx plus each activity's 记录.txt and files, zipped, streamed."""
    result = await export.export_pairing_archive(
        principal=request.ctx.principal,
        pairing_id=pairing_id,
        semester=query.semester,
        data_dir=current().settings.data_dir,
    )
    try:
        await _send_zip(request, result, fallback=f"archive-{pairing_id}.zip")
    finally:
        await export.discard(result.path)


async def _send_zip(request: Request, result, *, fallback: str) -> None:
    """Stream a built zip file to the caller (the caller's code removes it afterwards)."""
    response = await request.respond(
        content_type="application/zip",
        headers={
            "Content-Disposition": content_disposition(
                result.filename, inline=False, fallback=fallback
            ),
            "Content-Length": str(result.size),
            "Cache-Control": "private, no-store",
        },
    )
    await export.send_file(result.path, response.send)
    await response.eof()
