"""A director's batch: the certificates of all her staff for a period, one PDF, one page each.

The work runs as a tracked job (server/jobs): it issues (or finds, when unchanged) each
staff member's certificate, draws her page, and reports progress after every person; the
PDF is written under data_dir and downloaded by whoever started the job.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from server.audit.service import record_action
from server.certificates import service
from server.certificates.models import Certificate
from server.certificates.pdf import CertificateBook
from server.common.auth import Principal
from server.common.errors import DomainError, NotFound
from server.jobs.service import create_job_record, finish_job, get_job, report_progress
from server.orgs import lookups
from server.orgs.scope import ensure_directs_kindergarten

if TYPE_CHECKING:
    from server.settings import Settings

log = logging.getLogger("songjiao.certificates")
BATCH_JOB = "certificates.issue_batch"


def batch_path(data_dir: Path, job_id: str) -> Path:
    """Where a batch's PDF is kept."""
    return data_dir / "certificates" / f"batch-{job_id}.pdf"


async def start_batch(
    *,
    principal: Principal,
    kindergarten_id: int,
    period: str | None,
    issuer: str | None,
    settings: Settings,
    broker,
) -> dict:
    """Check the request and queue the batch; answers the job to poll."""
    from server.jobs.broker import enqueue

    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    chosen = service.period_of(period, settings=settings)
    kind = service._issuer_kind(issuer)
    await service.issuer_name(kindergarten_id=kindergarten_id, issuer=kind)
    staff = await lookups.staff_in_list_order(kindergarten_id=kindergarten_id)
    if not staff:
        raise DomainError("no_staff", "本园还没有教职工，无法开具学时证明", status=422)
    params = {
        "kindergarten_id": kindergarten_id,
        "period": chosen.name,
        "issuer": kind,
        "actor_id": principal.person_id,
    }
    record = await create_job_record(kind=BATCH_JOB, account_id=principal.account_id, params=params)
    job_id = str(record.id)
    try:
        await enqueue(broker, BATCH_JOB, job_id=job_id, **params)
    except Exception as exc:
        log.error("certificate batch could not be queued: %s", type(exc).__name__)
        await finish_job(job_id=job_id, error="任务排队失败，请稍后重试")
        raise DomainError("service_unavailable", "后台任务暂时无法排队，请稍后重试") from exc
    return {"job_id": job_id, "status": "queued", "staff": len(staff), "period": chosen.name}


async def run_batch(
    *,
    job_id: str,
    kindergarten_id: int,
    period: str,
    issuer: str,
    actor_id: int | None,
    settings: Settings,
) -> dict:
    """Issue and draw every staff member's certificate; safe to run twice (same certificates)."""
    chosen = service.period_of(period, settings=settings)
    # Pages in the order of the kindergarten's staff list (as the console shows it).
    people = await lookups.staff_in_list_order(kindergarten_id=kindergarten_id)
    names = await lookups.person_names(person_ids=people)
    await report_progress(job_id=job_id, done=0, total=len(people))
    book = await asyncio.to_thread(CertificateBook)
    issued: list[Certificate] = []
    skipped: list[str] = []
    new = 0
    for done, person_id in enumerate(people, start=1):
        certificate, fresh = await service.issue(
            person_id=person_id,
            kindergarten_id=kindergarten_id,
            period=chosen,
            issuer=issuer,
            actor_id=actor_id,
            batch_job=job_id,
        )
        if certificate is None:
            skipped.append(names.get(person_id, ""))
        else:
            issued.append(certificate)
            new += fresh
            doc = service.document_of(certificate, settings=settings)
            await asyncio.to_thread(book.add, doc)
        await report_progress(job_id=job_id, done=done, total=len(people))
    result = {
        "kindergarten_id": kindergarten_id,
        "period": chosen.name,
        "period_label": chosen.label,
        "count": len(issued),
        "new": new,
        "certificate_ids": [c.id for c in issued],
        "total_hours": sum(c.total_hours for c in issued),
        "skipped": skipped,
        "summary": _summary(chosen.label, len(issued), skipped),
    }
    if not issued:
        await finish_job(
            job_id=job_id,
            result=result,
            error=f"本园教职工在{chosen.label}均无学时记录，未开具证明",
        )
        return result
    path = batch_path(settings.data_dir, job_id)
    content = await asyncio.to_thread(book.output)
    await asyncio.to_thread(_write_private, path, content)
    result["pages"] = book.pages
    await record_action(
        actor_id=actor_id,
        action="certificate.batch",
        target_type="kindergarten",
        target_id=kindergarten_id,
        detail={
            "job_id": job_id,
            "period": chosen.name,
            "issuer": issuer,
            "count": len(issued),
            "new": new,
            "total_hours": result["total_hours"],
        },
    )
    await finish_job(job_id=job_id, result=result)
    return result


def _summary(label: str, count: int, skipped: list[str]) -> str:
    text = f"已开具{label}学时证明 {count} 份（一人一页）。"
    if skipped:
        text += f"{len(skipped)} 人本期无学时记录，未开具：{'、'.join(skipped)}。"
    return text


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(data)


async def batch_status(*, principal: Principal, job_id: str) -> dict:
    """The batch job's progress, for the one who started it (and admins)."""
    job = await get_job(principal=principal, job_id=job_id)
    if job["kind"] != BATCH_JOB:
        raise NotFound("任务")
    return job


async def batch_pdf(*, principal: Principal, job_id: str, settings: Settings) -> tuple[bytes, str]:
    """(PDF, file name) of a finished batch the caller started (or any, for admins)."""
    job = await batch_status(principal=principal, job_id=job_id)
    path = batch_path(settings.data_dir, job["id"])
    if job["status"] != "done" or not path.exists():
        raise NotFound("证明文件")
    # The director who started it may have lost the kindergarten since: ask again.
    kindergarten_id = int((job["result"] or {}).get("kindergarten_id", 0))
    await ensure_directs_kindergarten(
        principal=principal, kindergarten_id=kindergarten_id, missing="证明文件"
    )
    content = await asyncio.to_thread(path.read_bytes)
    period = (job["result"] or {}).get("period", "")
    return content, f"学时证明-{period}-全园.pdf"
