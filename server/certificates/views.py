"""学时证明 endpoints: my certificate, a director's batch, the PDF, the public verification."""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, Request, html, json
from sanic.response import raw
from sanic_ext import openapi, validate

from server.certificates import batch, service
from server.certificates.schemas import CertificateAnswer, CertificateBatchBody, CertificateBody
from server.common.auth import PUBLIC, requires
from server.common.errors import DomainError
from server.common.params import Params
from server.common.runtime import current

bp = Blueprint("certificates", url_prefix="/api/v1")
#: The public verification page (HTML, no login), outside the API document.
pages = Blueprint("certificate_pages")
#: Registered by create_app.
blueprints: list[Blueprint] = [bp, pages]
TAG = "学时证明"
STAFF = ("teacher", "organizer", "director")
DIRECTORS = ("director",)  # admins always pass
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The page's address holds the code: keep it out of referrers and search engines.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; "
        "form-action 'none'; base-uri 'none'; object-src 'none'"
    ),
}


def _pdf(content: bytes, filename: str, fallback: str):
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return raw(
        content,
        content_type="application/pdf",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


class PeriodQuery(Params):
    """?period=2026秋 or 2026; every period when absent."""

    period: str | None = None


@bp.post("/me/certificates")
@openapi.definition(body=CertificateBody, summary="开具我的学时证明", tag=TAG, secured="token")
@openapi.response(201, {"application/json": CertificateAnswer}, "新开具的学时证明")
@openapi.response(200, {"application/json": CertificateAnswer}, "内容未变：先前开具的学时证明")
@requires(*STAFF)
@validate(json=CertificateBody)
async def issue_mine(request: Request, body: CertificateBody):
    """Issue (or, when nothing changed, answer again) the caller's certificate for a period."""
    view, new = await service.issue_own(
        principal=request.ctx.principal,
        period=body.period,
        issuer=body.issuer,
        settings=current().settings,
    )
    return json(view, status=201 if new else 200)


@bp.get("/me/certificates")
@openapi.definition(summary="我的学时证明", tag=TAG, secured="token")
@requires(*STAFF)
async def my_certificates(request: Request):
    """The caller's certificates, newest first."""
    items = await service.list_own(principal=request.ctx.principal, settings=current().settings)
    return json({"items": items})


@bp.get("/certificates/<certificate_id:int>")
@openapi.definition(summary="学时证明（开具记录与明细）", tag=TAG, secured="token")
@requires(*STAFF)
async def get_certificate(request: Request, certificate_id: int):
    """One certificate: its holder's own, or one of the director's staff."""
    return json(
        await service.get_certificate(
            principal=request.ctx.principal,
            certificate_id=certificate_id,
            settings=current().settings,
        )
    )


@bp.get("/certificates/<certificate_id:int>/certificate.pdf")
@openapi.definition(summary="学时证明（PDF）", tag=TAG, secured="token")
@requires(*STAFF)
async def certificate_pdf(request: Request, certificate_id: int):
    """The printable certificate with its QR code."""
    content, filename = await service.certificate_pdf(
        principal=request.ctx.principal,
        certificate_id=certificate_id,
        settings=current().settings,
    )
    return _pdf(content, filename, f"certificate-{certificate_id}.pdf")


@bp.get("/kindergartens/<kindergarten_id:int>/certificates")
@openapi.definition(summary="本园教职工的学时证明开具记录", tag=TAG, secured="token")
@openapi.parameter("period", str, "query", description="如 2026秋 或 2026；不填为全部")
@requires(*DIRECTORS)
@validate(query=PeriodQuery)
async def kindergarten_certificates(request: Request, kindergarten_id: int, query: PeriodQuery):
    """Who got which certificate, when, for which period and hours (the director's view)."""
    items = await service.list_for_kindergarten(
        principal=request.ctx.principal,
        kindergarten_id=kindergarten_id,
        period=query.period,
        settings=current().settings,
    )
    return json({"items": items})


@bp.post("/kindergartens/<kindergarten_id:int>/certificates/batch")
@openapi.definition(
    body=CertificateBatchBody, summary="批量开具本园教职工学时证明", tag=TAG, secured="token"
)
@openapi.response(202, {"application/json": {"job_id": str}}, "已排队，进度见 /api/v1/jobs/{id}")
@requires(*DIRECTORS)
@validate(json=CertificateBatchBody)
async def start_batch(request: Request, kindergarten_id: int, body: CertificateBatchBody):
    """Queue the batch (one PDF, one page per staff member); answers the job to poll."""
    started = await batch.start_batch(
        principal=request.ctx.principal,
        kindergarten_id=kindergarten_id,
        period=body.period,
        issuer=body.issuer,
        settings=current().settings,
        broker=current().broker,
    )
    return json(started, status=202)


@bp.get("/certificate-batches/<job_id:str>/certificates.pdf")
@openapi.definition(summary="批量学时证明（PDF）", tag=TAG, secured="token")
@requires(*DIRECTORS)
async def batch_pdf(request: Request, job_id: str):
    """The finished batch's PDF, for the director who started it."""
    content, filename = await batch.batch_pdf(
        principal=request.ctx.principal, job_id=job_id, settings=current().settings
    )
    return _pdf(content, filename, "certificates.pdf")


@bp.get("/certificates/verify/<code:str>")
@openapi.definition(summary="核验学时证明（公开）", tag=TAG)
@requires(PUBLIC)
async def verify(request: Request, code: str):
    """Genuine and current, or changed since: masked name, kindergarten, period, hours."""
    return json(await service.verify(code=code, settings=current().settings))


@functools.cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@pages.get("/verify/<code:str>")
@openapi.exclude()
@requires(PUBLIC)
async def verify_page(request: Request, code: str):
    """The page a certificate's QR code opens (HTML, no login)."""
    template = _templates().get_template("verify.html")
    try:
        result = await service.verify(code=code, settings=current().settings)
    except DomainError as exc:
        body = template.render(result=None, message=exc.message)
        return html(body, status=exc.status, headers=PAGE_HEADERS)
    return html(template.render(result=result, message=""), headers=PAGE_HEADERS)
