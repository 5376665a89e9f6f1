"""What /metrics shows: the shared counters and the job queue's depth, as Prometheus text."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from server.metrics import counters

log = logging.getLogger("songjiao.metrics")

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


#: Where /metrics reads gauges kept by other domains (the job queue's, connected by
#: server/wiring.py): metrics reads no domain, so every domain may count into it.
GaugeSource = Callable[..., Awaitable[dict[str, int]]]
_gauge_sources: list[GaugeSource] = []


def gauges_from(source: GaugeSource) -> None:
    """Show the series `source(broker=…, redis=…)` returns on /metrics (registered once)."""
    if source not in _gauge_sources:
        _gauge_sources.append(source)


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
    for source in _gauge_sources:
        values.update(await source(broker=broker, redis=redis))
    lines: list[str] = []
    for family, (kind, text) in FAMILIES.items():
        lines.append(f"# HELP {family} {text}")
        lines.append(f"# TYPE {family} {kind}")
        lines.extend(f"{s} {values[s]}" for s in sorted(values) if _family(s) == family)
    return "\n".join(lines) + "\n"
