"""Tracked jobs: create, report progress, finish, read."""

from __future__ import annotations

import uuid

from server.common.auth import Principal
from server.common.errors import NotFound
from server.jobs.models import JobRecord, JobStatus


async def create_job_record(*, kind: str, account_id: int | None, params: dict) -> JobRecord:
    """A queued job record that the job will update as it goes."""
    return await JobRecord.create(id=uuid.uuid4(), kind=kind, account_id=account_id, params=params)


async def report_progress(*, job_id: uuid.UUID | str, done: int, total: int) -> None:
    """Record how far a running job got."""
    await JobRecord.filter(id=job_id).update(status=JobStatus.RUNNING, done=done, total=total)


async def finish_job(
    *, job_id: uuid.UUID | str, result: dict | None = None, error: str | None = None
) -> None:
    """Mark a job done with its result, or failed with a Chinese reason."""
    status = JobStatus.FAILED if error else JobStatus.DONE
    await JobRecord.filter(id=job_id).update(
        status=status, result=result, error=(error or None) and error[:200]
    )


async def is_finished(*, job_id: uuid.UUID | str) -> bool:
    """Whether the tracked job ended, done or failed (a job run again does nothing then)."""
    return await JobRecord.filter(id=job_id, status__in=(JobStatus.DONE, JobStatus.FAILED)).exists()


def job_view(job: JobRecord) -> dict:
    """A job as its starter sees it."""
    percent = (
        round(100 * job.done / job.total)
        if job.total
        else (100 if job.status == JobStatus.DONE else 0)
    )
    return {
        "id": str(job.id),
        "kind": job.kind,
        "status": job.status.value,
        "done": job.done,
        "total": job.total,
        "percent": percent,
        "result": job.result,
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
    }


async def get_job(*, principal: Principal, job_id: str) -> dict:
    """A job started by the caller (admins see all)."""
    try:
        uid = uuid.UUID(job_id)
    except ValueError as exc:
        raise NotFound("任务") from exc
    job = await JobRecord.get_or_none(id=uid)
    if job is None or (not principal.is_admin and job.account_id != principal.account_id):
        raise NotFound("任务")
    return job_view(job)
