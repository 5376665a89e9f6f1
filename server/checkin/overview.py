"""A staff member's own semester at a glance: her next activity, her 课时, the targets."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Subquery

from server.activities import access
from server.activities.models import Activity, ActivityStatus
from server.checkin import hours
from server.checkin.audience import may_attend
from server.checkin.models import Checkin
from server.checkin.service import activity_brief
from server.common.auth import Principal
from server.common.semester import SemesterCalendar, semester_of
from server.common.time import china, now
from server.reports import service as reports

#: Soonest visible activities looked at for one she is expected at. Sight is wider than
#: attendance (a pairing's activities are visible to both sides, held for one), but not
#: by much: past this many she is simply told of none.
CANDIDATES = 20


async def next_activity(*, principal: Principal, at: datetime | None = None) -> dict | None:
    """The soonest published activity she is expected at that has not ended, or None."""
    if principal.person_id is None:
        return None
    # China time: SQLite compares the stored "+08:00" text, so the filter must match it.
    query = Activity.filter(status=ActivityStatus.PUBLISHED, ends_at__gt=china(at or now()))
    visible = await access.visible_activity_filter(principal)
    if visible is not None:
        query = query.filter(id__in=Subquery(Activity.filter(visible).values("id")))
    for activity in await query.order_by("starts_at", "id").limit(CANDIDATES):
        if await may_attend(activity=activity, person_id=principal.person_id):
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
    kindergartens = principal.scope_ids("kindergarten", access.STAFF)
    targets = await reports.hours_targets(kindergarten_ids=kindergartens, calendar=calendar, at=at)
    return {
        "semester": semester,
        "hours": mine,
        "targets": targets["items"],
        "next_activity": await next_activity(principal=principal, at=at),
    }
