"""Certificate jobs: a director's batch of her staff's 学时证明."""

from __future__ import annotations

from server.certificates.batch import BATCH_JOB, run_batch
from server.common.runtime import current
from server.jobs.registry import job


@job(BATCH_JOB)
async def issue_batch(
    *, job_id: str, kindergarten_id: int, period: str, issuer: str, actor_id: int | None
) -> dict:
    """Issue every staff member's certificate for the period into one PDF (tracked job)."""
    return await run_batch(
        job_id=job_id,
        kindergarten_id=kindergarten_id,
        period=period,
        issuer=issuer,
        actor_id=actor_id,
        settings=current().settings,
    )
