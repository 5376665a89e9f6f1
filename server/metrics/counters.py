"""Counting, cheaply: in-process increments, flushed to one Redis hash in batches.

Every api, worker and scheduler process on every host adds to the same hash, so any api
process answers /metrics with the totals of the whole deployment. An increment is a
dict update; a background task writes what piled up once a second in one pipeline of
HINCRBY (see docs/decisions.md). Labels hold codes and route names only, never people.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import Counter

from server.common.cancelling import cancel_until_done

log = logging.getLogger("songjiao.metrics")

#: The Redis hash: field = a series as it appears in the exposition, value = its count.
KEY = "songjiao:metrics:counters"
FLUSH_SECONDS = 1.0

_pending: Counter[str] = Counter()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


@functools.lru_cache(maxsize=4096)
def _series(name: str, labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return name
    inner = ",".join(f'{k}="{_escape(str(v))}"' for k, v in sorted(labels))
    return f"{name}{{{inner}}}"


def series(name: str, **labels: str) -> str:
    """The exposition form of a series, e.g. name{a="x",b="y"} (labels sorted)."""
    return _series(name, tuple(labels.items()))


def inc(name: str, amount: int = 1, **labels: str) -> None:
    """Add `amount` to a counter in this process; flushed to Redis later."""
    _pending[_series(name, tuple(labels.items()))] += amount


def request(*, route: str, status: int) -> None:
    """One HTTP answer: by route name and status class; 5xx also by exact status."""
    inc("songjiao_http_requests_total", route=route, status=f"{status // 100}xx")
    if status >= 500:
        inc("songjiao_http_server_errors_total", route=route, status=str(status))


def domain_error(code: str) -> None:
    """One DomainError answered to a client, by its code."""
    inc("songjiao_domain_errors_total", code=code)


def checkin(*, result: str, reason: str | None) -> None:
    """One scan answered: checked_in, already_checked_in or refused (with its reason)."""
    inc("songjiao_checkins_total", result=result, reason=reason or "")


def delivery(*, channel: str, outcome: str, amount: int = 1) -> None:
    """Messages by channel and outcome: sent, failed (channel gave up, next tried) or dead."""
    if amount:
        inc("songjiao_deliveries_total", amount, channel=channel, outcome=outcome)


def job_failure(*, job: str, outcome: str) -> None:
    """One failure of a cron item: retry (it will be tried again) or given_up (dead letter)."""
    inc("songjiao_job_failures_total", job=job, outcome=outcome)


def pending() -> dict[str, int]:
    """What this process counted and has not flushed yet (tests and /metrics)."""
    return dict(_pending)


async def flush(redis) -> int:
    """Write this process's pending counts to Redis in one pipeline; the series written."""
    global _pending
    if not _pending:
        return 0
    batch, _pending = _pending, Counter()
    try:
        pipe = redis.pipeline(transaction=False)
        for field, amount in batch.items():
            pipe.hincrby(KEY, field, amount)
        await pipe.execute()
    except Exception:
        # Keep the counts for the next flush: Redis may be back by then.
        _pending.update(batch)
        raise
    return len(batch)


async def _flush_forever(redis, interval: float) -> None:
    task = asyncio.current_task()
    while True:
        await asyncio.sleep(interval)
        try:
            await flush(redis)
        except Exception as exc:  # noqa: BLE001 - metrics never take a process down
            log.warning("metrics flush failed: %s", type(exc).__name__)
        if task is not None and task.cancelling():
            # Stopped during the flush, and the cancel did not come through: redis-py's
            # sends (asyncio.wait_for) can lose one on Python 3.11, or turn it into an error.
            raise asyncio.CancelledError


def start_flusher(redis, interval: float = FLUSH_SECONDS) -> asyncio.Task:
    """Flush in the background every `interval` seconds (one task per process)."""
    return asyncio.get_running_loop().create_task(_flush_forever(redis, interval))


#: How long stop_flusher keeps cancelling a flusher that goes on (it never should).
STOP_TRIES_S = 5.0


async def stop_flusher(task: asyncio.Task | None, redis) -> None:
    """Stop the background flush and write what is left.

    Cancelled again until it has ended: a cancel that lands while a flush is in redis-py's
    hands can be lost (Python 3.11's asyncio.wait_for). Awaited once, such a flusher slept
    and flushed on for ever, and the process never stopped (issue 18: `scripts/api_docs.py`
    hung in one run of six on a busy machine, waiting here).
    """
    if task is not None:
        if await cancel_until_done({task}, within=STOP_TRIES_S):
            log.warning("metrics flusher did not stop; left running")
        elif not task.cancelled() and task.exception() is not None:
            log.warning("metrics flusher ended: %s", type(task.exception()).__name__)
    with contextlib.suppress(Exception):
        await flush(redis)
