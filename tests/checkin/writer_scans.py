"""Scans queued for the group-commit writer, as its tests hand them to `_flush`."""

from __future__ import annotations

import asyncio

from server.checkin.models import CheckinMethod, HoursRole
from server.checkin.writer import NewCheckin
from server.common.time import now


def queued_scan(activity, person, nonce: str, *, hours: float | None = None, late: bool = False):
    """(scan, the future its answer goes to, no Redis), with attendee hours if given."""
    earned = None
    if hours is not None:
        earned = {
            "person_id": person.id,
            "activity_id": activity.id,
            "role": HoursRole.ATTENDEE,
            "hours": hours,
            "semester": "2026秋",
        }
    new = NewCheckin(
        values={
            "activity_id": activity.id,
            "person_id": person.id,
            "method": CheckinMethod.STATIC,
            "scanned_at": now(),
            "nonce": nonce,
            "late": late,
            "lat": 28.2,
            "lng": 112.9,
        },
        hours=earned,
    )
    return new, asyncio.get_running_loop().create_future(), None
