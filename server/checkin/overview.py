"""A staff member's own semester at a glance: her next activity, her 课时, the targets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from server.activities import service as activities
from server.checkin import hours
from server.checkin.models import Checkin
from server.checkin.service import activity_brief
from server.common.auth import Principal
from server.common.semester import SemesterCalendar, semester_of
from server.common.time import now

#: Soonest visible activities looked at for one she is expected at. Sight is wider than
#: attendance (a pairing's activities are visible to both sides, held for one), but not
#: by much: past this many she is simply told of none.
CANDIDATES = 20

#: The kindergartens' 送教课时 targets come from reports, which lies above check-in: the
#: composition root connects them (server/wiring.py) with targets_from().
Targets = Callable[..., Awaitable[dict]]
_targets: list[Targets] = []


def targets_from(provider: Targets) -> None:
    """Where her kindergartens' targets come from: `provider(kindergarten_ids=, calendar=, at=)`."""
    _targets[:] = [provider]


async def _hours_targets(**query) -> dict:
    if not _targets:
        raise RuntimeError("checkin: no targets provider connected (server.wiring.connect())")
    return await _targets[0](**query)


async def next_activity(*, principal: Principal, at: datetime | None = None) -> dict | None:
    """The soonest published activity she is expected at that has not ended, or None."""
    if principal.person_id is None:
        return None
    upcoming = await activities.upcoming_activities(
        principal=principal, after=at or now(), limit=CANDIDATES
    )
    for activity in upcoming:
        if await activities.may_attend(activity=activity, person_id=principal.person_id):
            checked_in = await Checkin.exists(
                activity_id=activity.id, person_id=principal.person_id, annulled_at=None
            )
            return {**activity_brief(activity), "checked_in": checked_in}
    return None


async def my_overview(
    *, principal: Principal, calendar: SemesterCalendar, at: datetime | None = None
) -> dict:
    """Her semester: own 课时, her kindergartens' 送教课时 targets, the next activity."""
    at = at or now()
    semester = semester_of(at, calendar)
    mine = {"presenter_hours": 0.0, "attendee_hours": 0.0, "total_hours": 0.0}
    if principal.person_id is not None:
        counted = await hours.hours_of(person_id=principal.person_id, semester=semester)
        mine = {k: counted[k] for k in mine}
    kindergartens = principal.scope_ids("kindergarten", activities.STAFF)
    targets = await _hours_targets(kindergarten_ids=kindergartens, calendar=calendar, at=at)
    return {
        "semester": semester,
        "hours": mine,
        "targets": targets["items"],
        "next_activity": await next_activity(principal=principal, at=at),
    }
