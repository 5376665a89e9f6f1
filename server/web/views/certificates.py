"""Console pages: 学时证明 – her own certificate, and a director's batch for all her staff
(one PDF, one page each) with its progress, and the record of what was issued.

Scopes as in the API (server/certificates): her own, her kindergarten's staff (directors).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from pydantic import model_validator
from sanic import Blueprint, Request, json, raw

from server.certificates import batch, service
from server.common.errors import DomainError
from server.common.params import Params, Text
from server.common.runtime import current
from server.common.semester import semester_of
from server.common.time import now
from server.orgs import lookups
from server.web.console import NavItem, add_nav, back, console_page, render, wants_json
from server.web.forms import form, query

bp = Blueprint("console_certificates")
BASE = "/console/certificates"
STAFF = ("teacher", "organizer", "director")  # admins always pass
DIRECTORS = ("director",)
add_nav(NavItem("学时证明", BASE, STAFF, order=45))
JOB_LABELS = {"queued": "排队中", "running": "正在生成", "done": "已完成", "failed": "失败"}
ISSUERS = (("region", "教育局"), ("alliance", "联盟"))


def _choices(current: str) -> list[tuple[str, str]]:
    """Periods to pick: semesters and years of this year and the two before, newest first."""
    year = int(current[:4])
    out = []
    for y in range(year, year - 3, -1):
        for season in ("秋", "春"):
            name = f"{y}{season}"
            if name == f"{year}秋" and current.endswith("春"):
                continue  # not begun yet
            out.append((name, f"{name}季学期"))
        out.append((str(y), f"{y}年度（{y}春、{y}秋）"))
    return out


def _pdf(content: bytes, filename: str, fallback: str):
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return raw(
        content,
        content_type="application/pdf",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


class PeriodQuery(Params):
    """?period=2026秋 or 2026; this semester when absent."""

    period: str | None = None


class CertificateForm(Params):
    """The period and the issuer (教育局 or 联盟) of a certificate."""

    period: Text = ""
    issuer: Text = "region"

    @model_validator(mode="after")
    def _known_issuer(self) -> CertificateForm:
        if self.issuer not in dict(ISSUERS):
            raise DomainError("invalid_issuer", "请选择出具单位")
        return self


async def _directed(request: Request, period: str) -> list[dict]:
    """The kindergartens she directs, each with the certificates issued there for `period`."""
    principal, settings = request.ctx.principal, current().settings
    directed = sorted(principal.scope_ids("kindergarten", ["director"]))
    names = await lookups.kindergarten_names(kindergarten_ids=set(directed))
    return [
        {
            "id": kg_id,
            "name": names.get(kg_id, ""),
            "issued": await service.list_for_kindergarten(
                principal=principal, kindergarten_id=kg_id, period=period, settings=settings
            ),
        }
        for kg_id in directed
        if kg_id in names
    ]


@bp.get("/certificates")
@console_page(*STAFF)
@query(PeriodQuery)
async def index(request: Request, query: PeriodQuery):
    """Her hours for the period and her certificates; her staff's, for a director."""
    principal, settings = request.ctx.principal, current().settings
    ongoing = semester_of(now(), settings.semester_calendar)
    period = query.period or ongoing
    mine = await service.own_ledger(principal=principal, period=period, settings=settings)
    return render(
        request,
        "web/certificates/index.html",
        mine=mine,
        issued=await service.list_own(principal=principal, settings=settings),
        kindergartens=await _directed(request, mine["period"]),
        choices=_choices(ongoing),
        issuers=ISSUERS,
    )


@bp.post("/certificates/mine")
@console_page(*STAFF)
@form(CertificateForm)
async def issue_mine(request: Request, body: CertificateForm):
    """Issue her certificate for the chosen period, then offer its PDF."""
    view, new = await service.issue_own(
        principal=request.ctx.principal, settings=current().settings, **body.model_dump()
    )
    message = "已开具" if new else "学时未变，沿用已开具的"
    return back(
        f"{BASE}?{urlencode({'period': view['period']})}",
        f"{message}{view['period_label']}学时证明（编号 {view['number']}），请在下方下载",
    )


@bp.get("/certificates/<certificate_id:int>/certificate.pdf")
@console_page(*STAFF)
async def certificate_pdf(request: Request, certificate_id: int):
    """A certificate's PDF: her own, or one of her staff's (directors)."""
    content, filename = await service.certificate_pdf(
        principal=request.ctx.principal,
        certificate_id=certificate_id,
        settings=current().settings,
    )
    return _pdf(content, filename, f"certificate-{certificate_id}.pdf")


@bp.post("/certificates/kindergartens/<kindergarten_id:int>/batch")
@console_page(*DIRECTORS)
@form(CertificateForm)
async def start_batch(request: Request, kindergarten_id: int, body: CertificateForm):
    """Start the batch of all her staff's certificates; the job page shows its progress."""
    started = await batch.start_batch(
        principal=request.ctx.principal,
        kindergarten_id=kindergarten_id,
        **body.model_dump(),
        settings=current().settings,
        broker=current().broker,
    )
    return back(f"{BASE}/jobs/{started['job_id']}", "已开始生成，请稍候")


@bp.get("/certificates/jobs/<job_id:str>")
@console_page(*DIRECTORS)
async def batch_job(request: Request, job_id: str):
    """The batch's progress (JSON for the page's own polling) and, once done, its PDF."""
    job = await batch.batch_status(principal=request.ctx.principal, job_id=job_id)
    job["status_label"] = JOB_LABELS.get(job["status"], job["status"])
    if wants_json(request):
        return json(job)
    return render(
        request,
        "web/certificates/job.html",
        job=job,
        running=job["status"] in ("queued", "running"),
    )


@bp.get("/certificates/jobs/<job_id:str>/certificates.pdf")
@console_page(*DIRECTORS)
async def batch_pdf(request: Request, job_id: str):
    """The finished batch as one PDF."""
    content, filename = await batch.batch_pdf(
        principal=request.ctx.principal, job_id=job_id, settings=current().settings
    )
    return _pdf(content, filename, "certificates.pdf")
