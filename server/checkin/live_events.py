"""The live board's event stream (SSE): counts, and changes for organizers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

from server.activities import service as activities
from server.checkin.live import attendance_counts, channel
from server.checkin.models import Checkin
from server.checkin.service import checkin_view
from server.common.runtime import current

log = logging.getLogger("songjiao.checkin")
KEEPALIVE_S = 15
#: Without Redis pub/sub the board falls back to polling the database this often.
POLL_S = 3


def sse(event: str, data: dict) -> str:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _changes_detail(changes: list[dict]) -> list[dict]:
    ids = [c["checkin_id"] for c in changes]
    rows = {c.id: c for c in await Checkin.filter(id__in=ids).prefetch_related("person")}
    out = []
    for change in changes:
        row = rows.get(change["checkin_id"])
        if row:
            out.append(
                {
                    "change": change["change"],
                    **checkin_view(row),
                    "person_id": row.person_id,
                    "name": row.person.name,
                }
            )
    return out


async def stream_live(
    *,
    send: Callable[[str], Awaitable[None]],
    activity: activities.Activity,
    detailed: bool,
    max_seconds: float | None = None,
    stopping: asyncio.Event | None = None,
) -> None:
    """Send counts now and after every change; `detailed` adds who changed (organizers).

    Ends when `stopping` is set (the process stops; the browser's EventSource reconnects,
    to another api process) as well as after `max_seconds`.
    """
    redis = current().redis
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds if max_seconds else None
    stopping = stopping or asyncio.Event()
    await send(sse("counts", await attendance_counts(activity=activity)))
    pubsub = redis.pubsub()
    try:
        await pubsub.subscribe(channel(redis, activity.id))
    except (RedisError, OSError):
        log.warning("live board without redis: polling the database")
        await _poll(send=send, activity=activity, deadline=deadline, stopping=stopping)
        return
    try:
        idle = 0.0
        while (deadline is None or loop.time() < deadline) and not stopping.is_set():
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                idle += 1.0
                if idle >= KEEPALIVE_S:
                    await send(": keep-alive\n\n")
                    idle = 0.0
                continue
            idle = 0.0
            changes = [json.loads(message["data"])]
            # A burst of scans becomes one count update.
            while len(changes) < 200:
                more = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
                if more is None:
                    break
                changes.append(json.loads(more["data"]))
            await send(sse("counts", await attendance_counts(activity=activity)))
            if detailed:
                for item in await _changes_detail(changes):
                    await send(sse("checkin", item))
    except (RedisError, OSError):
        log.warning("live board lost redis: polling the database")
        await _poll(send=send, activity=activity, deadline=deadline, stopping=stopping)
    finally:
        try:
            await pubsub.unsubscribe()
            await pubsub.aclose()
        except (RedisError, OSError):
            pass


async def _poll(
    *, send, activity: activities.Activity, deadline: float | None, stopping: asyncio.Event
) -> None:
    loop = asyncio.get_running_loop()
    last = None
    while (deadline is None or loop.time() < deadline) and not stopping.is_set():
        counts = await attendance_counts(activity=activity)
        if counts != last:
            await send(sse("counts", counts))
            last = counts
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), POLL_S)
