"""The roster flows callers use: check a file against the kindergarten, queue its import.

Reading runs in a thread; everything that touches the database is async. Personal data
from the file is never logged.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from server.common.auth import Principal
from server.common.errors import DomainError
from server.orgs.models import SchoolClass
from server.orgs.roster_apply import check_shared_people, describe_counts, plan_roster
from server.orgs.roster_reading import read_roster
from server.orgs.roster_sheets import CHILD_SHEET, Issue, Roster
from server.orgs.scope import ensure_directs_kindergarten

log = logging.getLogger("songjiao.orgs.roster")

#: Issues kept in a failed job's result (the check endpoint answers all of them).
MAX_ISSUES_IN_JOB = 1000
IMPORT_JOB = "orgs.import_roster"


async def ensure_may_import(*, principal: Principal, kindergarten_id: int) -> None:
    """Only the kindergarten's director or an admin reads or writes its roster."""
    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kindergarten_id)


async def _check_classes(*, kindergarten_id: int, roster: Roster) -> None:
    """Mark rows naming a class that neither exists nor is created by the file."""
    known = set(
        await SchoolClass.filter(kindergarten_id=kindergarten_id).values_list("name", flat=True)
    ) | set(roster.class_grades)
    for row in roster.children:
        if row.class_name and row.class_name not in known:
            row.ok = False
            roster.issues.append(
                Issue(
                    CHILD_SHEET,
                    row.row,
                    "班级",
                    f"未知班级“{row.class_name}”：本园没有该班级，表中也没有为它填写有效的年级",
                )
            )


async def inspect_roster(*, kindergarten_id: int, data: bytes, max_bytes: int) -> Roster:
    """Read a file and check it against the kindergarten's classes and people (no writes)."""
    roster = await asyncio.to_thread(read_roster, data, max_bytes=max_bytes)
    await _check_classes(kindergarten_id=kindergarten_id, roster=roster)
    await check_shared_people(kindergarten_id=kindergarten_id, roster=roster)
    return roster


async def check_roster(
    *, principal: Principal, kindergarten_id: int, data: bytes, max_bytes: int
) -> dict:
    """Dry run: every bad row with its reason, and what an import would change."""
    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    roster = await inspect_roster(kindergarten_id=kindergarten_id, data=data, max_bytes=max_bytes)
    counts = await plan_roster(kindergarten_id=kindergarten_id, roster=roster)
    issues = roster.sorted_issues()
    if issues:
        summary = f"发现 {len(issues)} 处问题，请修改后重新上传；修改前不会导入任何数据"
    else:
        summary = "检查通过，导入后将：" + describe_counts(counts)
    return {
        "ok": not issues,
        "sheets": roster.sheets,
        "rows": {"teachers": len(roster.teachers), "children": len(roster.children)},
        "issue_count": len(issues),
        "issues": [i.to_dict() for i in issues],
        "counts": counts,
        "summary": summary,
    }


def upload_path(data_dir: Path, job_id: str) -> Path:
    """Where an uploaded roster waits for its import job."""
    return data_dir / "uploads" / f"roster-{job_id}.xlsx"


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(data)


async def start_import(
    *,
    principal: Principal,
    kindergarten_id: int,
    data: bytes,
    max_bytes: int,
    data_dir: Path,
    broker,
) -> dict:
    """Check the file, keep it for the job, and queue the import; answers the job id."""
    from server.jobs.broker import enqueue
    from server.jobs.service import create_job_record, finish_job

    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    roster = await inspect_roster(kindergarten_id=kindergarten_id, data=data, max_bytes=max_bytes)
    issues = roster.sorted_issues()
    if issues:
        raise DomainError(
            "roster_invalid",
            f"花名册有 {len(issues)} 处问题，未开始导入；请先用“检查”修正后再导入",
            details={"issues": [i.to_dict() for i in issues]},
        )
    record = await create_job_record(
        kind=IMPORT_JOB,
        account_id=principal.account_id,
        params={"kindergarten_id": kindergarten_id, "rows": roster.row_count},
    )
    job_id = str(record.id)
    path = upload_path(data_dir, job_id)
    await asyncio.to_thread(_write_private, path, data)
    try:
        await enqueue(broker, IMPORT_JOB, job_id=job_id, kindergarten_id=kindergarten_id)
    except Exception as exc:
        log.error("roster import could not be queued: %s", type(exc).__name__)
        path.unlink(missing_ok=True)
        await finish_job(job_id=job_id, error="任务排队失败，请稍后重试")
        raise DomainError("service_unavailable", "后台任务暂时无法排队，请稍后重试") from exc
    return {"job_id": job_id, "status": "queued", "rows": roster.row_count}
