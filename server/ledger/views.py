"""Ledger endpoints: a pairing's or alliance's donations and funds, their confirmation, the
photos and receipts, and the 公示 (JSON and PDF).

Organizers and directors of the unit's kindergartens keep and confirm its books, leaders
over them read them, admins everything; teachers and parents are refused (parents read a
公示 once it is published as a 公众号 post).
"""

from __future__ import annotations

from urllib.parse import quote

from sanic import Blueprint, Request, json
from sanic.response import file_stream, raw
from sanic_ext import openapi, validate
from sanic_ext.extensions.openapi.types import Binary, Object

from server.archive.files import MB
from server.common.auth import requires
from server.common.errors import DomainError
from server.common.runtime import current
from server.common.uploads import read_multipart
from server.ledger import book, disclosure, donations, funds, service
from server.ledger.schemas import (
    DonationBody,
    DonationConfirmBody,
    DonationPatch,
    FundBody,
    FundConfirmBody,
    FundPatch,
    LedgerPeriodQuery,
    LedgerReasonBody,
)

bp = Blueprint("ledger", url_prefix="/api/v1")
TAG = "捐赠与经费"
READERS = ("organizer", "director", "leader", "admin")
KEEPERS = ("organizer", "director", "admin")
CONFIRMERS = ("director", "admin")
FORM_OVERHEAD = 64 * 1024
UPLOAD_BODY = {
    "multipart/form-data": Object(
        properties={"file": Binary(description="照片（JPG/PNG/WebP）；票据也可为 PDF")},
        required=["file"],
    )
}
UNITS = {"pairings": "pairing", "alliances": "alliance"}


def _period(query: LedgerPeriodQuery) -> dict:
    return {"semester": query.semester or None, "year": query.year or None}


async def _read_upload(request: Request):
    """The uploaded `file` part, refusing oversized bodies before reading them."""
    max_bytes = max(current().settings.max_upload_mb, 10) * MB
    too_large = DomainError(
        "payload_too_large", f"文件超过 {max_bytes // MB} MB 上限，请压缩后重新上传"
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + FORM_OVERHEAD:
        raise too_large
    chunks, size = [], 0
    while request.stream is not None:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > max_bytes + FORM_OVERHEAD:
            raise too_large
        chunks.append(chunk)
    request.body = b"".join(chunks)
    read_multipart(request)
    upload = request.files.get("file") if request.files else None
    if upload is None:
        raise DomainError("missing_file", "请以表单字段 file 上传照片或票据")
    return upload, max_bytes


def _pdf(content: bytes, filename: str, fallback: str):
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return raw(
        content,
        content_type="application/pdf",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


# ---- a unit's books ---------------------------------------------------------------------


def _unit_routes(plural: str, kind: str, label: str) -> None:
    """The per-unit routes of pairings or alliances (path parameter pairing_id / alliance_id)."""
    param = f"{kind}_id"

    @bp.get(f"/{plural}/<{param}:int>/ledger", name=f"{kind}_ledger")
    @openapi.definition(summary=f"{label}捐赠与经费台账", tag=TAG, secured="token")
    @openapi.parameter("semester", str, "query", description="学期，如 2026秋（默认本学期）")
    @openapi.parameter("year", str, "query", description="年度，如 2026（2026春 + 2026秋）")
    @requires(*READERS)
    @validate(query=LedgerPeriodQuery)
    async def ledger(request: Request, query: LedgerPeriodQuery, **ids):
        """The unit's donations and fund lines of the period, with totals both sides share."""
        return json(
            await book.unit_ledger(
                principal=request.ctx.principal, kind=kind, unit_id=ids[param], **_period(query)
            )
        )

    @bp.post(f"/{plural}/<{param}:int>/donations", name=f"{kind}_donation_create")
    @openapi.definition(body=DonationBody, summary=f"登记{label}捐赠", tag=TAG, secured="token")
    @requires(*KEEPERS)
    @validate(json=DonationBody)
    async def create_donation(request: Request, body: DonationBody, **ids):
        """The giving side records a donation; the receiving director confirms it later."""
        data = body.model_dump()
        data["items"] = [i.model_dump() for i in body.items]
        created = await donations.create_donation(
            principal=request.ctx.principal, kind=kind, unit_id=ids[param], **data
        )
        return json(created, status=201)

    @bp.post(f"/{plural}/<{param}:int>/funds", name=f"{kind}_fund_create")
    @openapi.definition(body=FundBody, summary=f"登记{label}经费收支", tag=TAG, secured="token")
    @requires(*KEEPERS)
    @validate(json=FundBody)
    async def create_fund(request: Request, body: FundBody, **ids):
        """One side records money allocated or spent; the other side's director confirms."""
        created = await funds.create_fund(
            principal=request.ctx.principal, kind=kind, unit_id=ids[param], **body.model_dump()
        )
        return json(created, status=201)

    @bp.get(f"/{plural}/<{param}:int>/disclosure", name=f"{kind}_disclosure")
    @openapi.definition(summary=f"{label}捐赠与经费公示", tag=TAG, secured="token")
    @openapi.parameter("semester", str, "query")
    @openapi.parameter("year", str, "query")
    @requires(*READERS)
    @validate(query=LedgerPeriodQuery)
    async def disclosure_page(request: Request, query: LedgerPeriodQuery, **ids):
        """The 公示 of the period: lines and totals, each line with its confirmation."""
        return json(
            await disclosure.unit_disclosure(
                principal=request.ctx.principal, kind=kind, unit_id=ids[param], **_period(query)
            )
        )

    @bp.get(f"/{plural}/<{param}:int>/disclosure.pdf", name=f"{kind}_disclosure_pdf")
    @openapi.definition(summary=f"{label}捐赠与经费公示（PDF）", tag=TAG, secured="token")
    @openapi.parameter("semester", str, "query")
    @openapi.parameter("year", str, "query")
    @requires(*READERS)
    @validate(query=LedgerPeriodQuery)
    async def disclosure_pdf(request: Request, query: LedgerPeriodQuery, **ids):
        """The 公示 as a printable PDF."""
        content, filename = await service.disclosure_pdf(
            principal=request.ctx.principal, kind=kind, unit_id=ids[param], **_period(query)
        )
        return _pdf(content, filename, f"disclosure-{kind}-{ids[param]}.pdf")


_unit_routes("pairings", "pairing", "结对")
_unit_routes("alliances", "alliance", "联盟")


# ---- donations --------------------------------------------------------------------------


@bp.get("/donations/<donation_id:int>")
@openapi.definition(summary="捐赠记录", tag=TAG, secured="token")
@requires(*READERS)
async def get_donation(request: Request, donation_id: int):
    """One donation with its items, photos and confirmation."""
    return json(
        await donations.get_donation(principal=request.ctx.principal, donation_id=donation_id)
    )


@bp.patch("/donations/<donation_id:int>")
@openapi.definition(body=DonationPatch, summary="修改未确认的捐赠记录", tag=TAG, secured="token")
@requires(*KEEPERS)
@validate(json=DonationPatch)
async def update_donation(request: Request, donation_id: int, body: DonationPatch):
    """Change an unconfirmed donation; refused once confirmed (reopen with a reason first)."""
    changes = body.model_dump(exclude_unset=True)
    if body.items is not None:
        changes["items"] = [i.model_dump() for i in body.items]
    return json(
        await donations.update_donation(
            principal=request.ctx.principal, donation_id=donation_id, changes=changes
        )
    )


@bp.post("/donations/<donation_id:int>/confirm")
@openapi.definition(
    body=DonationConfirmBody, summary="接收园园长逐项确认收到捐赠", tag=TAG, secured="token"
)
@requires(*CONFIRMERS)
@validate(json=DonationConfirmBody)
async def confirm_donation(request: Request, donation_id: int, body: DonationConfirmBody):
    """Confirm receipt item by item (received, short, damaged); the record is then locked."""
    return json(
        await donations.confirm_donation(
            principal=request.ctx.principal,
            donation_id=donation_id,
            outcomes=[i.model_dump() for i in body.items],
            content_hash=body.content_hash,
        )
    )


@bp.post("/donations/<donation_id:int>/reopen")
@openapi.definition(body=LedgerReasonBody, summary="撤销捐赠的确认", tag=TAG, secured="token")
@requires(*CONFIRMERS)
@validate(json=LedgerReasonBody)
async def reopen_donation(request: Request, donation_id: int, body: LedgerReasonBody):
    """A director of either side withdraws the confirmation, with a reason (audited)."""
    return json(
        await donations.reopen_donation(
            principal=request.ctx.principal, donation_id=donation_id, reason=body.reason
        )
    )


@bp.post("/donations/<donation_id:int>/void")
@openapi.definition(body=LedgerReasonBody, summary="作废未确认的捐赠记录", tag=TAG, secured="token")
@requires(*KEEPERS)
@validate(json=LedgerReasonBody)
async def void_donation(request: Request, donation_id: int, body: LedgerReasonBody):
    """Void an unconfirmed donation, with a reason (it stays listed and counts nowhere)."""
    return json(
        await donations.void_donation(
            principal=request.ctx.principal, donation_id=donation_id, reason=body.reason
        )
    )


@bp.post("/donations/<donation_id:int>/photos", stream=True)
@openapi.definition(summary="上传捐赠照片", tag=TAG, secured="token")
@openapi.body(UPLOAD_BODY)
@requires(*KEEPERS)
async def add_photo(request: Request, donation_id: int):
    """A photo of the donation (EXIF and GPS removed)."""
    principal = request.ctx.principal
    await donations.ensure_may_upload(principal=principal, donation_id=donation_id)
    upload, max_bytes = await _read_upload(request)
    data = await donations.add_photo(
        principal=principal,
        donation_id=donation_id,
        data=upload.body,
        filename=upload.name,
        data_dir=current().settings.data_dir,
        max_bytes=max_bytes,
    )
    return json(data, status=201)


# ---- funds ------------------------------------------------------------------------------


@bp.get("/funds/<fund_id:int>")
@openapi.definition(summary="经费记录", tag=TAG, secured="token")
@requires(*READERS)
async def get_fund(request: Request, fund_id: int):
    """One fund line with its receipts and confirmation."""
    return json(await funds.get_fund(principal=request.ctx.principal, fund_id=fund_id))


@bp.patch("/funds/<fund_id:int>")
@openapi.definition(body=FundPatch, summary="修改未确认的经费记录", tag=TAG, secured="token")
@requires(*KEEPERS)
@validate(json=FundPatch)
async def update_fund(request: Request, fund_id: int, body: FundPatch):
    """Change an unconfirmed line; refused once confirmed (reopen with a reason first)."""
    return json(
        await funds.update_fund(
            principal=request.ctx.principal,
            fund_id=fund_id,
            changes=body.model_dump(exclude_unset=True),
        )
    )


@bp.post("/funds/<fund_id:int>/confirm")
@openapi.definition(body=FundConfirmBody, summary="对方园长确认经费记录", tag=TAG, secured="token")
@requires(*CONFIRMERS)
@validate(json=FundConfirmBody)
async def confirm_fund(request: Request, fund_id: int, body: FundConfirmBody):
    """Confirm the line (a spending line needs its receipt); it is then locked."""
    return json(
        await funds.confirm_fund(
            principal=request.ctx.principal, fund_id=fund_id, content_hash=body.content_hash
        )
    )


@bp.post("/funds/<fund_id:int>/reopen")
@openapi.definition(body=LedgerReasonBody, summary="撤销经费的确认", tag=TAG, secured="token")
@requires(*CONFIRMERS)
@validate(json=LedgerReasonBody)
async def reopen_fund(request: Request, fund_id: int, body: LedgerReasonBody):
    """A director of either side withdraws the confirmation, with a reason (audited)."""
    return json(
        await funds.reopen_fund(
            principal=request.ctx.principal, fund_id=fund_id, reason=body.reason
        )
    )


@bp.post("/funds/<fund_id:int>/void")
@openapi.definition(body=LedgerReasonBody, summary="作废未确认的经费记录", tag=TAG, secured="token")
@requires(*KEEPERS)
@validate(json=LedgerReasonBody)
async def void_fund(request: Request, fund_id: int, body: LedgerReasonBody):
    """Void an unconfirmed line, with a reason (it stays listed and counts nowhere)."""
    return json(
        await funds.void_fund(principal=request.ctx.principal, fund_id=fund_id, reason=body.reason)
    )


@bp.post("/funds/<fund_id:int>/receipts", stream=True)
@openapi.definition(summary="上传经费票据", tag=TAG, secured="token")
@openapi.body(UPLOAD_BODY)
@requires(*KEEPERS)
async def add_receipt(request: Request, fund_id: int):
    """A receipt of the line: a photo (EXIF removed) or a PDF."""
    principal = request.ctx.principal
    await funds.ensure_may_upload(principal=principal, fund_id=fund_id)
    upload, max_bytes = await _read_upload(request)
    data = await funds.add_receipt(
        principal=principal,
        fund_id=fund_id,
        data=upload.body,
        filename=upload.name,
        data_dir=current().settings.data_dir,
        max_bytes=max_bytes,
    )
    return json(data, status=201)


@bp.get("/ledger-files/<ledger_file_id:int>/content")
@openapi.definition(summary="下载捐赠照片或经费票据", tag=TAG, secured="token")
@openapi.response(200, {"application/octet-stream": Binary()}, "文件内容")
@requires(*READERS)
async def file_content(request: Request, ledger_file_id: int):
    """The photo or receipt itself."""
    path, filename, content_type = await book.file_for_download(
        principal=request.ctx.principal,
        file_id=ledger_file_id,
        data_dir=current().settings.data_dir,
    )
    fallback = f"ledger-file-{ledger_file_id}"
    disposition = "inline" if content_type.startswith("image/") else "attachment"
    headers = {
        "Content-Disposition": (
            f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
        ),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return await file_stream(path, mime_type=content_type, headers=headers)
