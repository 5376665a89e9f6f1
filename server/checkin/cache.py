"""Short-lived in-process caches for the check-in hot path.

A burst of hundreds of scans asks the same questions about one activity: its row and
who may attend. Each process keeps the answers for a few seconds, so a change (a
cancellation, a new invitee) reaches every process within that time; the process that
made the change forgets at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from server.activities import service as activities
from server.activities.service import Activity, expected_person_ids

ACTIVITY_TTL_S = 2.0
AUDIENCE_TTL_S = 10.0
MAX_ENTRIES = 2000

_activities: dict[str, tuple[float, Activity]] = {}
#: Keyed by the activity's code, which is never reused (ids are, in tests).
_audiences: dict[str, tuple[float, frozenset[int]]] = {}
_loading: dict[str, asyncio.Future] = {}
_activity_loading: dict[str, asyncio.Future] = {}


def _fresh(entry: tuple[float, Any] | None) -> Any:
    if entry and entry[0] > time.monotonic():
        return entry[1]
    return None


def _store(cache: dict, key, value, ttl: float) -> None:
    if len(cache) >= MAX_ENTRIES:
        cache.clear()
    cache[key] = (time.monotonic() + ttl, value)


async def activity_by_code(code: str) -> Activity | None:
    """The activity a scene's code names (cached for ACTIVITY_TTL_S).

    When the entry runs out in the middle of a burst, the first scan asks the database and
    the others wait for its answer (not one query, and one ORM object, per waiting scan).
    """
    cached = _fresh(_activities.get(code))
    if cached is not None:
        return cached
    loading = _activity_loading.get(code)
    if loading is None:
        loading = asyncio.ensure_future(activities.activity_by_code(code=code))
        _activity_loading[code] = loading
        try:
            # Shielded: the scan that started the load may go away; the others still wait.
            activity = await asyncio.shield(loading)
            if activity is not None:
                _store(_activities, code, activity, ACTIVITY_TTL_S)
        finally:
            _activity_loading.pop(code, None)
        return activity
    return await asyncio.shield(loading)


async def attendees(activity: Activity) -> frozenset[int]:
    """Everyone who may check in (cached for AUDIENCE_TTL_S; one query per burst)."""
    cached = _fresh(_audiences.get(activity.code))
    if cached is not None:
        return cached
    loading = _loading.get(activity.code)
    if loading is None:
        # The first scan of a burst asks the database; the others wait for its answer.
        loading = asyncio.ensure_future(expected_person_ids(activity=activity))
        _loading[activity.code] = loading
        try:
            people = frozenset(await loading)
            _store(_audiences, activity.code, people, AUDIENCE_TTL_S)
        finally:
            _loading.pop(activity.code, None)
        return people
    return frozenset(await asyncio.shield(loading))


def forget_activity(activity_id: int) -> None:
    """Drop what this process remembers of an activity (it just changed)."""
    for code, (_, activity) in list(_activities.items()):
        if activity.id == activity_id:
            _activities.pop(code, None)
            _audiences.pop(code, None)
