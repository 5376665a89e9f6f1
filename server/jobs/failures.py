"""Failures of cron work, item by item: counted, capped, then kept as a dead letter.

A cron job that retries an item every minute (a notice to announce, an activity event to
fan out …) records each failure here. After MAX_ATTEMPTS failures in a row the item is
given up: the job skips it from then on, its domain shows the Chinese reason to the
person who started it, and /metrics counts it. A success clears the record.

The record is a JobRecord whose id is derived from (job, item), so the two share the
job-progress table, its reader and its permissions (see docs/decisions.md): RUNNING while
it is being retried, FAILED once given up.
"""

from __future__ import annotations

import logging
import uuid

from tortoise.functions import Count

from server.common.errors import DomainError
from server.jobs.models import JobRecord, JobStatus
from server.metrics import counters

log = logging.getLogger("songjiao.jobs")

#: Failures in a row after which an item is given up (a minute cron: about five minutes).
MAX_ATTEMPTS = 5
_NAMESPACE = uuid.UUID("6f1d2c4e-6a53-4d0e-9a55-0d7c1f3b9e21")


def failure_id(job: str, item: str) -> uuid.UUID:
    """The one record of `item`'s failures in `job`."""
    return uuid.uuid5(_NAMESPACE, f"{job}\n{item}")


def reason_of(exc: BaseException) -> str:
    """A Chinese reason for an exception: a domain error's own words, else a generic one."""
    if isinstance(exc, DomainError):
        return exc.message
    # The type names what broke for the administrator; no data of people goes in it.
    return f"系统内部错误（{type(exc).__name__}），请联系管理员"


async def record_failure(
    *, job: str, item: str, reason: str, account_id: int | None = None
) -> bool:
    """Count one failure of `item` in `job`; True when it was given up just now."""
    record_id = failure_id(job, item)
    record, _ = await JobRecord.get_or_create(
        id=record_id,
        defaults={
            "kind": job[:32],
            "status": JobStatus.RUNNING,
            "account_id": account_id,
            "params": {"job": job, "item": item},
        },
    )
    if record.status == JobStatus.FAILED:
        return False
    attempts = record.done + 1
    given_up = attempts >= MAX_ATTEMPTS
    await JobRecord.filter(id=record_id).update(
        done=attempts,
        total=MAX_ATTEMPTS,
        status=JobStatus.FAILED if given_up else JobStatus.RUNNING,
        error=reason[:200],
    )
    counters.job_failure(job=job, outcome="given_up" if given_up else "retry")
    log.warning("%s: %s failed (%d/%d)", job, item, attempts, MAX_ATTEMPTS)
    return given_up


async def clear_failure(*, job: str, item: str) -> None:
    """`item` succeeded (or was retried by hand): forget its failures."""
    await JobRecord.filter(id=failure_id(job, item)).delete()


async def given_up(*, job: str, items: list[str]) -> set[str]:
    """Those of `items` that `job` gave up on."""
    if not items:
        return set()
    wanted = {failure_id(job, item): item for item in items}
    ids = await JobRecord.filter(id__in=list(wanted), status=JobStatus.FAILED).values_list(
        "id", flat=True
    )
    return {wanted[i] for i in ids}


async def given_up_items(*, job: str) -> list[str]:
    """Every item `job` gave up on, oldest first."""
    rows = (
        await JobRecord.filter(kind=job[:32], status=JobStatus.FAILED)
        .order_by("created_at")
        .values_list("params", flat=True)
    )
    return [p["item"] for p in rows if isinstance(p, dict) and p.get("job") == job]


async def failing(*, job: str) -> list[dict]:
    """Items of `job` failing now (still retried or given up), with their reasons, oldest first."""
    rows = await JobRecord.filter(
        kind=job[:32], status__in=[JobStatus.RUNNING, JobStatus.FAILED]
    ).order_by("created_at")
    return [
        {
            "item": row.params["item"],
            "reason": row.error,
            "attempts": row.done,
            "given_up": row.status == JobStatus.FAILED,
        }
        for row in rows
        if isinstance(row.params, dict) and row.params.get("job") == job
    ]


async def failure_reason(*, job: str, item: str) -> str | None:
    """The Chinese reason of the last failure of `item`, if it is failing or given up."""
    record = await JobRecord.get_or_none(id=failure_id(job, item))
    return record.error if record else None


async def list_failed(*, limit: int = 100) -> list[dict]:
    """Failed job records, newest first: dead letters of cron items and failed tracked jobs."""
    rows = await JobRecord.filter(status=JobStatus.FAILED).order_by("-updated_at").limit(limit)
    return [
        {
            "id": str(row.id),
            "job": (row.params or {}).get("job", row.kind),
            "item": (row.params or {}).get("item"),
            "attempts": row.done,
            "error": row.error,
            "updated_at": row.updated_at.isoformat(),
        }
        for row in rows
    ]


async def fail_tracked_job(*, job_id: str, reason: str) -> None:
    """A tracked job that raised ends failed with a Chinese reason (not running for ever)."""
    try:
        uid = uuid.UUID(str(job_id))
    except ValueError:
        return
    await JobRecord.filter(id=uid, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        status=JobStatus.FAILED, error=reason[:200]
    )


async def failed_job_counts() -> dict[str, int]:
    """Jobs in the failed state, by kind (given-up cron items and failed tracked jobs)."""
    rows = (
        await JobRecord.filter(status=JobStatus.FAILED)
        .annotate(n=Count("id"))
        .group_by("kind")
        .values("kind", "n")
    )
    return {row["kind"]: row["n"] for row in rows}
