"""The job queue's gauges for /metrics: jobs waiting, taken and unacknowledged, failed.

/metrics (server/metrics) knows nothing of jobs: server/wiring.py hands it `job_gauges`,
so jobs may count into metrics' counters without metrics reading jobs back (a cycle).
"""

from __future__ import annotations

from server.jobs.broker import QUEUE
from server.jobs.failures import failed_job_counts
from server.jobs.taskiq_adapter import jobs_in_flight
from server.metrics import counters

GROUP = "songjiao-workers"


async def queue_depth(*, broker, redis, queue: str = QUEUE) -> tuple[int, int]:
    """(waiting, pending) jobs: the stream group's lag and unacknowledged entries.

    The embedded in-memory broker runs jobs in this process as they come: its jobs in
    flight count as waiting.
    """
    running = jobs_in_flight(broker)
    if running is not None:
        return running, 0
    try:
        groups = await redis.xinfo_groups(queue)
    except Exception:  # noqa: BLE001 - no stream yet: nothing was ever queued
        return 0, 0
    for group in groups:
        name = group.get("name")
        if name in (GROUP, GROUP.encode()):
            return int(group.get("lag") or 0), int(group.get("pending") or 0)
    return 0, 0


async def job_gauges(*, broker, redis) -> dict[str, int]:
    """Every job series of /metrics with its value now."""
    waiting, pending = await queue_depth(broker=broker, redis=redis)
    values = {"songjiao_job_queue_waiting": waiting, "songjiao_job_queue_pending": pending}
    for kind, count in (await failed_job_counts()).items():
        values[counters.series("songjiao_jobs_failed", kind=kind)] = count
    return values
