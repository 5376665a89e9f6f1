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

from server.activities.models import Activity
from server.checkin.audience import expected_person_ids
from server.checkin.models import Checkin

log = logging.getLogger("songjiao.checkin")


def channel(activity_id: int) -> str:
    """The pub/sub channel of one activity's live board."""
    return f"live:activity:{activity_id}"


def change_message(checkin_id: int, change: str) -> str:
    """The pub/sub message announcing one change."""
    return json.dumps({"checkin_id": checkin_id, "change": change})


async def publish_change(redis, *, activity_id: int, checkin_id: int, change: str) -> None:
    """Tell every live board of the activity that something changed (best effort)."""
    try:
        await redis.publish(channel(activity_id), change_message(checkin_id, change))
    except (RedisError, OSError):
        log.warning("live notice not published (redis unavailable)")


async def attendance_counts(*, activity: Activity) -> dict:
    """Expected, checked in, late, absent and flagged, counted in the database."""
    expected = await expected_person_ids(activity=activity)
    present = Checkin.filter(activity_id=activity.id, annulled_at=None)
    row = (
        await present.annotate(
            n=Count("id"),
            late_n=Count("id", _filter=Q(late=True)),
            flagged_n=Count("id", _filter=Q(outside_geofence=True) | Q(no_location=True)),
            adults_n=Sum("adults"),
            children_n=Sum("children"),
        )
        .group_by("activity_id")
        .values("n", "late_n", "flagged_n", "adults_n", "children_n")
    )
    counts = row[0] if row else {}
    present_ids = set(await present.values_list("person_id", flat=True))
    return {
        "expected": len(expected),
        "checked_in": counts.get("n", 0),
        "late": counts.get("late_n", 0),
        "absent": len(expected - present_ids),
        "flagged": counts.get("flagged_n", 0),
        "adults": int(counts.get("adults_n") or 0),
        "children": int(counts.get("children_n") or 0),
    }
