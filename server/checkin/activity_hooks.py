"""What check-in does when an activity changes, is cancelled or finished.

Activities lies below check-in and never imports it; it calls these through the hooks
connect() registers (the composition root calls it at start-up, server/wiring.py).
"""

from __future__ import annotations

from server.activities import service as activities
from server.checkin import hours
from server.checkin.cache import forget_activity
from server.checkin.facts import checked_in_ids


async def attendance(activity_id: int) -> set[int]:
    """People with a valid (not annulled) check-in."""
    return await checked_in_ids(activity_id=activity_id)


async def take_back_hours(activity_id: int) -> None:
    """A cancelled activity gives no 课时: every credit of it is removed."""
    await hours.revoke_all(activity_id=activity_id)


async def credit_hours(activity_id: int) -> dict:
    """A finished activity credits its presenters and settles its attendees' 课时."""
    credited = await hours.credit_presenters(activity_id=activity_id)
    # Attendee hours follow the final times (an edit may have moved start or end).
    await hours.settle_attendees(activity_id=activity_id)
    return {"presenters_credited": credited}


def connect() -> None:
    """Register check-in's hooks with activities (safe to call again)."""
    activities.on_changed(forget_activity)
    activities.on_cancelled(take_back_hours)
    activities.on_finished(credit_hours)
    activities.attendance_from(attendance)
