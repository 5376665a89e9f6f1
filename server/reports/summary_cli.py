"""`songjiao summary --kind weekly|semester [--period …]`: make and push summaries now.

The same service as the cron job and the console button (summary_push.run_now), so a
leader is told once per summary however often it runs. With Redis the pushes go to the
workers' queue; embedded (no Redis), they are sent from this process before it exits.

Exit codes: 0 done, 1 refused (a period not over yet, a malformed period).
"""

from __future__ import annotations

import sys
from typing import TextIO

from taskiq import InMemoryBroker

import server.delivery.jobs  # noqa: F401 -- registers the send jobs the pushes queue
from server.common.errors import DomainError
from server.jobs.broker import build_broker
from server.jobs.registry import registered_jobs
from server.lifecycle import close_runtime, open_runtime
from server.reports import summary_push
from server.settings import Settings

OK, REFUSED = 0, 1


def _broker(settings: Settings):
    if not settings.embedded_redis:
        return build_broker(settings)
    # Nobody else would run the in-memory queue: each job runs as it is queued.
    broker = InMemoryBroker(await_inplace=True)
    for name, (func, _) in registered_jobs().items():
        broker.register_task(func, task_name=name)
    return broker


async def run_summary_command(
    settings: Settings, *, kind: str, period: str | None, out: TextIO | None = None
) -> int:
    """Run the summaries of `kind` for `period` (default: the newest one over); prints Chinese."""
    out = out or sys.stdout
    broker = _broker(settings)
    runtime = await open_runtime(settings, broker=broker)
    await broker.startup()
    try:
        result = await summary_push.run_now(
            kind=kind, period=period, calendar=settings.semester_calendar
        )
    except DomainError as exc:
        print(exc.message, file=sys.stderr)
        return REFUSED
    finally:
        await broker.shutdown()
        await close_runtime(runtime)
    print(
        f"{result['kind_label']} {result['period']}：生成 {result['summaries']} 份，"
        f"新推送领导 {result['leaders_told']} 人，工作群 {result['groups']} 个，"
        f"预警园长 {result['directors_alerted']} 人（已推送过的不再重复）。",
        file=out,
    )
    return OK
