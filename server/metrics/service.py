"""What /metrics shows: the shared counters and the job queue's depth, as Prometheus text."""

from __future__ import annotations

import hmac
import logging

from server.jobs.broker import QUEUE
from server.jobs.failures import failed_job_counts
from server.jobs.taskiq_adapter import jobs_in_flight
from server.metrics import counters

log = logging.getLogger("songjiao.metrics")

GROUP = "songjiao-workers"

#: Every series /metrics may show: (type, help). Counters appear once counted.
FAMILIES: dict[str, tuple[str, str]] = {
    "songjiao_http_requests_total": ("counter", "HTTP answers by route name and status class."),
    "songjiao_http_server_errors_total": ("counter", "HTTP 5xx answers by route and status."),
    "songjiao_domain_errors_total": ("counter", "DomainError answers by error code."),
    "songjiao_checkins_total": ("counter", "Check-in scans by result and refusal reason."),
    "songjiao_deliveries_total": ("counter", "Messages by channel and outcome."),
    "songjiao_job_queue_waiting": ("gauge", "Jobs on the queue not yet taken by a worker."),
    "songjiao_job_queue_pending": ("gauge", "Jobs taken by a worker and not yet acknowledged."),
    "songjiao_job_failures_total": (
        "counter",
        "Job failures by job and outcome: retry, given_up (dead letter), error (raised).",
    ),
    "songjiao_jobs_failed": ("gauge", "Jobs and cron items in the failed state, by kind."),
}


def authorised(*, token: str, header: str, loopback: bool, proxied: bool) -> bool:
    """A matching bearer token; without a configured token, a direct loopback caller only."""
    if token:
        scheme, _, given = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)
    # Through nginx every caller looks like loopback; a proxied request is never trusted.
    return loopback and not proxied


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


def _family(series: str) -> str:
    return series.split("{", 1)[0]


async def exposition(*, redis, broker) -> str:
    """The Prometheus text format (0.0.4) of every counter and the queue gauges."""
    await counters.flush(redis)
    stored = await redis.hgetall(counters.KEY)
    values: dict[str, int] = {}
    for field, value in stored.items():
        key = field.decode() if isinstance(field, bytes) else field
        values[key] = int(value)
    waiting, pending = await queue_depth(broker=broker, redis=redis)
    values["songjiao_job_queue_waiting"] = waiting
    values["songjiao_job_queue_pending"] = pending
    for kind, count in (await failed_job_counts()).items():
        values[counters.series("songjiao_jobs_failed", kind=kind)] = count
    lines: list[str] = []
    for family, (kind, text) in FAMILIES.items():
        lines.append(f"# HELP {family} {text}")
        lines.append(f"# TYPE {family} {kind}")
        lines.extend(f"{s} {values[s]}" for s in sorted(values) if _family(s) == family)
    return "\n".join(lines) + "\n"
