"""Live attendance: counts from the database, change notices through Redis pub/sub.

Every api process publishes a notice when a check-in changes; every process with an
open live board subscribes, so a board sees scans that hit any worker.
"""

from __future__ import annotations

import json
import logging

from redis.exceptions import RedisError
from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from server.activities import service as activities
from server.checkin.figures import figures_of
from server.checkin.models import Checkin

log = logging.getLogger("songjiao.checkin")


def channel(redis, activity_id: int) -> str:
    """The pub/sub channel of one activity's live board, in `redis`'s database.

    Redis: "Pub/Sub has no relation to the key space. It was made to not interfere with it
    on any level, including database numbers": a PUBLISH reaches subscribers on every
    database of the server. Two deployments (or test runs) sharing a Redis server on
    different databases would wake each other's boards, so the channel names the database.
    """
    database = redis.connection_pool.connection_kwargs.get("db", 0)
    return f"live:{database}:activity:{activity_id}"


def change_message(checkin_id: int, change: str) -> str:
    """The pub/sub message announcing one change."""
    return json.dumps({"checkin_id": checkin_id, "change": change})


async def publish_change(redis, *, activity_id: int, checkin_id: int, change: str) -> None:
    """Tell every live board of the activity that something changed (best effort)."""
    try:
        await redis.publish(channel(redis, activity_id), change_message(checkin_id, change))
    except (RedisError, OSError):
        log.warning("live notice not published (redis unavailable)")


async def attendance_counts(*, activity: activities.Activity) -> dict:
    """Expected, checked in, late, absent (as figures.py counts them) and flagged.

    应到/实到/迟到/未到 are the expected audience's (presenters and others who scanned
    apart), so the board, the sign-in sheet and the post say the same; `scanned` is every
    valid check-in, `flagged`, adults and children are counted over those.
    """
    figures = await figures_of(activity)
    present = Checkin.filter(activity_id=activity.id, annulled_at=None)
    row = (
        await present.annotate(
            n=Count("id"),
            flagged_n=Count("id", _filter=Q(outside_geofence=True) | Q(no_location=True)),
            adults_n=Sum("adults"),
            children_n=Sum("children"),
        )
        .group_by("activity_id")
        .values("n", "flagged_n", "adults_n", "children_n")
    )
    counts = row[0] if row else {}
    return {
        "expected": figures.expected,
        "checked_in": figures.attended,
        "late": figures.late,
        "absent": figures.absent,
        "presenters": figures.presenters,
        "others": figures.others,
        "scanned": counts.get("n", 0),
        "flagged": counts.get("flagged_n", 0),
        "adults": int(counts.get("adults_n") or 0),
        "children": int(counts.get("children_n") or 0),
    }
