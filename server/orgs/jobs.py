"""Organisation jobs: the roster import."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from server.common.errors import DomainError
from server.common.runtime import current
from server.jobs.registry import job
from server.jobs.service import finish_job, is_finished, report_progress
from server.orgs import roster as roster_service
from server.orgs.models import Kindergarten

log = logging.getLogger("songjiao.orgs.jobs")


@job(roster_service.IMPORT_JOB)
async def import_roster(*, job_id: str, kindergarten_id: int) -> dict:
    """Check the uploaded roster again and apply it; refuses bad rows; safe to run twice."""
    settings = current().settings
    return await run_roster_import(
        job_id=job_id,
        kindergarten_id=kindergarten_id,
        data_dir=settings.data_dir,
        max_bytes=settings.max_upload_mb * 1024 * 1024,
    )


async def run_roster_import(
    *, job_id: str, kindergarten_id: int, data_dir: Path, max_bytes: int
) -> dict:
    """The import job's work, with its inputs explicit (tests call it directly)."""
    path = roster_service.upload_path(data_dir, job_id)
    if not path.exists():
        if await is_finished(job_id=job_id):
            # A redelivered job whose first run finished and removed the file.
            return {"status": "done_before"}
        error = "上传的文件已不存在，请重新上传后再导入"
        await finish_job(job_id=job_id, error=error)
        return {"status": "failed", "error": error}
    try:
        result, error = await _import_file(
            path=path, job_id=job_id, kindergarten_id=kindergarten_id, max_bytes=max_bytes
        )
    except Exception as exc:
        # Exception texts may quote row values (phones): log the type only.
        log.error("roster import %s failed: %s", job_id, type(exc).__name__)
        result, error = None, "导入失败：服务器内部错误，未写入任何数据，请稍后重试"
    await finish_job(job_id=job_id, result=result, error=error)
    # The file holds phone numbers: it is not kept once the job has its answer.
    path.unlink(missing_ok=True)
    return {"status": "failed" if error else "done", "error": error}


async def _import_file(
    *, path: Path, job_id: str, kindergarten_id: int, max_bytes: int
) -> tuple[dict | None, str | None]:
    """(result, None) when imported, (details, Chinese reason) when refused."""
    if not await Kindergarten.exists(id=kindergarten_id):
        return None, "幼儿园不存在，未导入任何数据"
    data = await asyncio.to_thread(path.read_bytes)
    try:
        roster = await roster_service.inspect_roster(
            kindergarten_id=kindergarten_id, data=data, max_bytes=max_bytes
        )
    except DomainError as exc:
        return {"error": exc.code}, exc.message
    issues = roster.sorted_issues()
    if issues:
        shown = issues[: roster_service.MAX_ISSUES_IN_JOB]
        return (
            {"issue_count": len(issues), "issues": [i.to_dict() for i in shown]},
            f"花名册有 {len(issues)} 处问题，未导入任何数据；请修正后重新上传",
        )
    rows = roster.row_count
    await report_progress(job_id=job_id, done=0, total=rows)

    async def progress(done: int, total: int) -> None:
        await report_progress(job_id=job_id, done=done, total=total)

    counts = await roster_service.apply_roster(
        kindergarten_id=kindergarten_id, roster=roster, progress=progress
    )
    summary = "导入完成。" + roster_service.describe_counts(counts)
    return {"rows": rows, "counts": counts, "summary": summary}, None
