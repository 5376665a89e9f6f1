"""学时证明: issue a teacher's certificate from the hours ledger, read it, print it, verify it.

Scope: a teacher gets only her own; a kindergarten's director the certificates issued for
her kindergarten (her staff); admins all. Anyone else's id is answered as unknown.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from server.audit.service import record_action
from server.certificates import codes
from server.certificates.models import Certificate
from server.certificates.pdf import CertificateDoc, render_certificates
from server.certificates.periods import (
    CertificatePeriod,
    chinese_date,
    current_semester,
    parse_period,
)
from server.checkin.hours_ledger import ledger_lines
from server.common.auth import Principal
from server.common.errors import DomainError, NotFound
from server.common.time import china, now
from server.orgs import lookups

if TYPE_CHECKING:
    from server.settings import Settings

#: Who may issue a certificate: the region's education bureau or the alliance.
ISSUERS = {"region": "教育局", "alliance": "联盟"}
#: Hours are multiples of 0.5; anything closer than this is the same figure.
EPSILON = 1e-6


def period_of(text: str | None, *, settings: Settings) -> CertificatePeriod:
    """The period asked for (default: this semester)."""
    calendar = settings.semester_calendar
    return parse_period(text or current_semester(at=now(), calendar=calendar), calendar=calendar)


def _issuer_kind(value: str | None) -> str:
    kind = value or "region"
    if kind not in ISSUERS:
        raise DomainError("invalid_issuer", "出具单位只能是 region（教育局）或 alliance（联盟）")
    return kind


async def issuer_name(*, kindergarten_id: int, issuer: str) -> str:
    """The issuing body's name, or a Chinese refusal when the kindergarten has no alliance."""
    bodies = await lookups.issuing_bodies(kindergarten_id=kindergarten_id)
    if bodies is None:
        raise NotFound("幼儿园")
    name = bodies[issuer]
    if not name:
        raise DomainError("no_alliance", "本园未加入联盟，请选择由教育局出具")
    return name


def _snapshot(lines: list[dict]) -> list[tuple]:
    return [(e["activity_id"], e["role"], round(e["hours"], 6)) for e in lines]


async def issue(
    *,
    person_id: int,
    kindergarten_id: int,
    period: CertificatePeriod,
    issuer: str,
    actor_id: int | None,
    batch_job: str | None = None,
) -> tuple[Certificate | None, bool]:
    """(certificate, newly issued) for a person's hours in the period; (None, False) with none.

    Asked again while her hours, names and issuer are unchanged, the same certificate is
    answered (a reprint, not a new certificate). Each new one is audited.
    """
    lines = await ledger_lines(person_id=person_id, semesters=period.semesters)
    if not lines:
        return None, False
    bodies = await lookups.issuing_bodies(kindergarten_id=kindergarten_id)
    if bodies is None:
        raise NotFound("幼儿园")
    issuer_label = bodies[issuer]
    if not issuer_label:
        raise DomainError("no_alliance", "本园未加入联盟，请选择由教育局出具")
    holder = (await lookups.person_names(person_ids=[person_id])).get(person_id, "")
    latest = (
        await Certificate.filter(
            person_id=person_id,
            kindergarten_id=kindergarten_id,
            period=period.name,
            issuer_kind=issuer,
        )
        .order_by("-id")
        .first()
    )
    if (
        latest is not None
        and _snapshot(latest.entries) == _snapshot(lines)
        and (latest.holder_name, latest.kindergarten_name, latest.issuer_name)
        == (holder, bodies["kindergarten"], issuer_label)
    ):
        return latest, False
    total = sum(e["hours"] for e in lines)
    certificate = await Certificate.create(
        token=codes.new_token(),
        person_id=person_id,
        kindergarten_id=kindergarten_id,
        period=period.name,
        issuer_kind=issuer,
        issuer_name=issuer_label,
        holder_name=holder,
        kindergarten_name=bodies["kindergarten"],
        entries=lines,
        total_hours=total,
        issued_by_id=actor_id,
        batch_job=batch_job,
    )
    await record_action(
        actor_id=actor_id,
        action="certificate.issue",
        target_type="certificate",
        target_id=certificate.id,
        detail={
            "person_id": person_id,
            "kindergarten_id": kindergarten_id,
            "period": period.name,
            "issuer": issuer,
            "total_hours": total,
            "activities": len({e["activity_id"] for e in lines}),
            **({"batch_job": batch_job} if batch_job else {}),
        },
    )
    return certificate, True


async def issue_own(
    *, principal: Principal, period: str | None, issuer: str | None, settings: Settings
) -> tuple[dict, bool]:
    """The caller's own certificate for a period (she must be staff of a kindergarten)."""
    chosen = period_of(period, settings=settings)
    kind = _issuer_kind(issuer)
    if principal.person_id is None:
        raise DomainError("not_staff", "学时证明仅为幼儿园教职工开具，请先绑定身份", status=403)
    workplaces = await lookups.staff_kindergarten_ids_of(person_id=principal.person_id)
    if not workplaces:
        raise DomainError("not_staff", "学时证明仅为幼儿园教职工开具", status=403)
    # A person on the staff of two kindergartens gets hers from the first (lowest id).
    certificate, new = await issue(
        person_id=principal.person_id,
        kindergarten_id=min(workplaces),
        period=chosen,
        issuer=kind,
        actor_id=principal.person_id,
    )
    if certificate is None:
        raise DomainError(
            "no_hours", f"您在{chosen.label}还没有学时记录，暂不能开具学时证明", status=422
        )
    return certificate_view(certificate, settings=settings), new


async def own_ledger(*, principal: Principal, period: str | None, settings: Settings) -> dict:
    """The caller's ledger lines for a period, as her certificate would print them."""
    chosen = period_of(period, settings=settings)
    staff = principal.person_id is not None and bool(
        await lookups.staff_kindergarten_ids_of(person_id=principal.person_id)
    )
    lines = (
        await ledger_lines(person_id=principal.person_id, semesters=chosen.semesters)
        if staff
        else []
    )
    return {
        "period": chosen.name,
        "period_label": chosen.label,
        "staff": staff,
        "lines": lines,
        "total_hours": sum(e["hours"] for e in lines),
    }


def number_of(certificate: Certificate) -> str:
    """The number printed on it: the year of issue and the record's id (2026000042)."""
    return f"{china(certificate.issued_at).year}{certificate.id:06d}"


def certificate_view(certificate: Certificate, *, settings: Settings) -> dict:
    """A certificate as its holder and her director see it."""
    period = parse_period(certificate.period, calendar=settings.semester_calendar)
    lines = certificate.entries
    return {
        "id": certificate.id,
        "number": number_of(certificate),
        "person_id": certificate.person_id,
        "holder_name": certificate.holder_name,
        "kindergarten_id": certificate.kindergarten_id,
        "kindergarten_name": certificate.kindergarten_name,
        "period": certificate.period,
        "period_label": period.label,
        "issuer": certificate.issuer_kind,
        "issuer_name": certificate.issuer_name,
        "total_hours": certificate.total_hours,
        "presenter_hours": sum(e["hours"] for e in lines if e["role"] == "presenter"),
        "attendee_hours": sum(e["hours"] for e in lines if e["role"] == "attendee"),
        "entries": lines,
        "issued_at": certificate.issued_at.isoformat(),
        "issued_by_id": certificate.issued_by_id,
        "pdf_url": f"/api/v1/certificates/{certificate.id}/certificate.pdf",
        "verify_url": verify_url_of(certificate, settings=settings),
    }


def _base_url(settings: Settings) -> str:
    if settings.public_base_url:
        return settings.public_base_url
    if settings.env == "production":
        # The QR code must open the public page, never the api's internal address.
        raise DomainError(
            "not_configured",
            "未设置对外访问地址（SONGJIAO_PUBLIC_BASE_URL），无法生成可核验的学时证明",
            status=503,
        )
    return settings.self_base_url


def verify_url_of(certificate: Certificate, *, settings: Settings) -> str:
    """The public page its QR code opens."""
    return codes.verify_url(
        _base_url(settings), certificate.token, secret=settings.certificate_secret
    )


async def get_visible(*, principal: Principal, certificate_id: int) -> Certificate:
    """A certificate the caller may see: her own, her kindergarten's (director), any (admin)."""
    certificate = await Certificate.get_or_none(id=certificate_id)
    if certificate is None or not _may_see(principal, certificate):
        raise NotFound("学时证明")
    return certificate


def _may_see(principal: Principal, certificate: Certificate) -> bool:
    if principal.is_admin:
        return True
    if principal.person_id is not None and certificate.person_id == principal.person_id:
        return True
    return certificate.kindergarten_id in principal.scope_ids("kindergarten", ["director"])


async def get_certificate(*, principal: Principal, certificate_id: int, settings: Settings) -> dict:
    """One certificate (the record of its issue and its hours)."""
    certificate = await get_visible(principal=principal, certificate_id=certificate_id)
    return certificate_view(certificate, settings=settings)


async def list_own(*, principal: Principal, settings: Settings) -> list[dict]:
    """The caller's certificates, newest first."""
    if principal.person_id is None:
        return []
    rows = await Certificate.filter(person_id=principal.person_id).order_by("-id").limit(100)
    return [_summary(c, settings=settings) for c in rows]


async def list_for_kindergarten(
    *, principal: Principal, kindergarten_id: int, period: str | None, settings: Settings
) -> list[dict]:
    """Certificates issued for a kindergarten's staff (its director, admins), newest first."""
    from server.orgs.scope import ensure_directs_kindergarten

    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    query = Certificate.filter(kindergarten_id=kindergarten_id)
    if period:
        query = query.filter(period=period_of(period, settings=settings).name)
    rows = await query.order_by("-id").limit(500)
    issuers = await lookups.person_names(
        person_ids=sorted({c.issued_by_id for c in rows if c.issued_by_id})
    )
    return [
        {**_summary(c, settings=settings), "issued_by": issuers.get(c.issued_by_id or 0)}
        for c in rows
    ]


def _summary(certificate: Certificate, *, settings: Settings) -> dict:
    view = certificate_view(certificate, settings=settings)
    view.pop("entries")
    view["activities"] = len({e["activity_id"] for e in certificate.entries})
    return view


def document_of(certificate: Certificate, *, settings: Settings) -> CertificateDoc:
    """What the certificate's page prints, from its stored snapshot only."""
    period = parse_period(certificate.period, calendar=settings.semester_calendar)
    return CertificateDoc(
        number=number_of(certificate),
        holder=certificate.holder_name,
        kindergarten=certificate.kindergarten_name,
        period_label=period.label,
        period_span=period.span,
        lines=certificate.entries,
        issuer=certificate.issuer_name,
        issued_on=chinese_date(china(certificate.issued_at)),
        verify_url=verify_url_of(certificate, settings=settings),
    )


def filename_of(certificate: Certificate) -> str:
    """学时证明-郑洁-2026秋.pdf."""
    return f"学时证明-{certificate.holder_name}-{certificate.period}.pdf"


async def certificate_pdf(
    *, principal: Principal, certificate_id: int, settings: Settings
) -> tuple[bytes, str]:
    """(PDF, file name) of a certificate the caller may see."""
    certificate = await get_visible(principal=principal, certificate_id=certificate_id)
    doc = document_of(certificate, settings=settings)
    return await asyncio.to_thread(render_certificates, [doc]), filename_of(certificate)


# ---- the public verification ------------------------------------------------------------------


def mask_name(name: str) -> str:
    """郑洁 → 郑*: the family name only (its length is not shown either)."""
    return f"{name[:1]}*" if name else "*"


async def verify(*, code: str, settings: Settings) -> dict:
    """What anyone holding the code may know: genuine, and current or changed since.

    A forged, altered or unknown code is refused the same way. The answer names the
    holder by family name only and lists no activity.
    """
    token = codes.token_of(code, secret=settings.certificate_secret)
    certificate = await Certificate.get_or_none(token=token) if token else None
    if certificate is None:
        raise DomainError(
            "certificate_invalid", "无法核验：二维码无效、被改动，或该证明不存在", status=404
        )
    period = parse_period(certificate.period, calendar=settings.semester_calendar)
    live = {
        (e["activity_id"], e["role"]): e["hours"]
        for e in await ledger_lines(person_id=certificate.person_id, semesters=period.semesters)
    }
    # Only the hours on it count: hours earned after the issue do not make it wrong.
    now_hours = [live.get((e["activity_id"], e["role"]), 0.0) for e in certificate.entries]
    changed = any(
        abs(current - e["hours"]) > EPSILON
        for current, e in zip(now_hours, certificate.entries, strict=True)
    )
    current_total = sum(now_hours) if changed else certificate.total_hours
    return {
        "status": "changed" if changed else "valid",
        "status_label": "已变更" if changed else "有效",
        "holder": mask_name(certificate.holder_name),
        "kindergarten": certificate.kindergarten_name,
        "period": certificate.period,
        "period_label": period.label,
        "total_hours": certificate.total_hours,
        "current_total_hours": current_total,
        "issued_on": china(certificate.issued_at).date().isoformat(),
        "issuer": certificate.issuer_name,
        "number": number_of(certificate),
    }
