"""Cron steps of a notice that keep failing: counted, given up after a cap, shown to the sender.

The sender reads the reason on the notice's page (publish_error); /metrics counts it.
"""

from __future__ import annotations

import logging

from server.jobs import failures
from server.notices.models import Notice

log = logging.getLogger("songjiao.notices")


def item(notice_id: int, step: str) -> str:
    """The failure record's name of one step (announce, remind, feedback …) of a notice."""
    return f"notice:{notice_id}:{step}"


async def step_failed(*, job: str, notice_id: int, step: str, what: str, exc: Exception) -> bool:
    """Count a failed step; True when given up (then the sender sees why on the notice)."""
    log.error("notice %s: %s failed: %s", notice_id, step, type(exc).__name__)
    reason = failures.reason_of(exc)
    given_up = await failures.record_failure(
        job=job, item=item(notice_id, step), reason=f"{what}失败：{reason}"
    )
    if given_up:
        shown = f"{what}失败：已自动重试 {failures.MAX_ATTEMPTS} 次仍未发出（{reason}）"
        await Notice.filter(id=notice_id).update(publish_error=shown[:200])
    return given_up


async def given_up_ids(*, job: str, notice_ids: list[int], step: str) -> set[int]:
    """Those of `notice_ids` whose step `job` gave up on."""
    dead = await failures.given_up(job=job, items=[item(n, step) for n in notice_ids])
    return {n for n in notice_ids if item(n, step) in dead}


async def step_done(*, job: str, notice_id: int, step: str) -> None:
    """The step succeeded: its failures are forgotten."""
    await failures.clear_failure(job=job, item=item(notice_id, step))
