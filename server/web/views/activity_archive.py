"""Console pages of an activity's archive: photos and attachments, consent to publish them,
the record's texts and both sides' confirmation of the record card (帮扶记录卡)."""

from __future__ import annotations

from pydantic import create_model
from sanic import Blueprint, Request
from sanic.response import file as file_response

from server.archive import service as archive
from server.common.errors import DomainError
from server.common.params import Flag, Params
from server.common.runtime import current
from server.common.uploads import read_multipart
from server.web.console import back, console_page, render
from server.web.forms import form
from server.web.views.activity_form import BASE, RUNNERS

bp = Blueprint("console_activity_archive")
VIEWERS = ("organizer", "director", "leader")
MB = 1024 * 1024


class UploadForm(Params):
    """An upload's kind (photo or attachment), caption and consent to publish."""

    kind: str = "photo"
    caption: str = ""
    consent: Flag = False


class ConsentForm(Params):
    """consent=1 gives the consent to publish a photo; anything else takes it back."""

    consent: str = ""


#: The record's texts (plan, measures, summary, reflection); a blank one is cleared.
RecordForm = create_model(
    "RecordForm", __base__=Params, **{key: (str, "") for key in archive.TEXT_LABELS}
)


class SideForm(Params):
    """Which side confirms (the caller's own when she is on one side only)."""

    side: str | None = None


def _uploaded(request: Request):
    read_multipart(request)
    upload = (request.files or {}).get("file")
    if upload is None or not upload.body:
        raise DomainError("invalid_input", "请选择要上传的文件")
    return upload


@bp.get("/activities/<activity_id:int>/archive")
@console_page(*VIEWERS)
async def archive_page(request: Request, activity_id: int):
    """Photos and attachments, consent, the record and both sides' confirmation."""
    card = await archive.get_record_card(principal=request.ctx.principal, activity_id=activity_id)
    return render(
        request,
        "web/activities/archive.html",
        card=card,
        labels=archive.TEXT_LABELS,
        may_edit=request.ctx.principal.has(*RUNNERS),
    )


@bp.post("/activities/<activity_id:int>/archive/files")
@console_page(*RUNNERS)
@form(UploadForm)
async def upload(request: Request, activity_id: int, body: UploadForm):
    """Upload a photo or an attachment."""
    uploaded, settings = _uploaded(request), current().settings
    await archive.upload_file(
        principal=request.ctx.principal,
        activity_id=activity_id,
        data=uploaded.body,
        filename=uploaded.name,
        data_dir=settings.data_dir,
        max_bytes=settings.max_upload_mb * MB,
        **body.model_dump(),
    )
    return back(f"{BASE}/{activity_id}/archive", "已上传")


@bp.post("/activities/<activity_id:int>/archive/files/<file_id:int>/consent")
@console_page(*RUNNERS)
@form(ConsentForm)
async def set_consent(request: Request, activity_id: int, file_id: int, body: ConsentForm):
    """Mark a photo as consented for publishing, or take the consent back."""
    consent = body.consent == "1"
    await archive.update_file(principal=request.ctx.principal, file_id=file_id, consent=consent)
    return back(f"{BASE}/{activity_id}/archive", "已同意公开" if consent else "已撤回公开同意")


@bp.get("/archive/files/<file_id:int>")
@console_page(*VIEWERS)
async def archive_file(request: Request, file_id: int):
    """A photo or attachment the caller may see."""
    path, name, content_type = await archive.file_for_download(
        principal=request.ctx.principal, file_id=file_id, data_dir=current().settings.data_dir
    )
    return await file_response(
        path, mime_type=content_type, headers={"Content-Disposition": "inline"}
    )


@bp.post("/activities/<activity_id:int>/archive/record")
@console_page(*RUNNERS)
@form(RecordForm)
async def save_record(request: Request, activity_id: int, body: Params):
    """Save the record's texts (plan, measures, summary, reflection)."""
    await archive.update_record(
        principal=request.ctx.principal, activity_id=activity_id, changes=body.model_dump()
    )
    return back(f"{BASE}/{activity_id}/archive", "记录已保存")


@bp.post("/activities/<activity_id:int>/archive/confirm")
@console_page(*RUNNERS)
@form(SideForm)
async def confirm_card(request: Request, activity_id: int, body: SideForm):
    """Confirm the record card for the caller's side."""
    await archive.confirm_record_card(
        principal=request.ctx.principal, activity_id=activity_id, side=body.side
    )
    return back(f"{BASE}/{activity_id}/archive", "已确认帮扶记录卡")
