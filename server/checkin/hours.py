"""The hours ledger: 课时 credited to presenters and attendees, per semester."""

from __future__ import annotations

import math
from datetime import datetime

from server.activities import service as activities
from server.checkin.models import Checkin, CheckinMethod, HoursEntry, HoursRole
from server.common.runtime import configured_calendar
from server.common.semester import semester_of

#: At least this share of the activity on site earns the full attendee 课时 (docs/decisions.md).
FULL_SHARE = 0.5
#: Below it, hours in proportion to the time on site, rounded down to this step.
HOURS_STEP = 0.5


def arrival_of(
    *, activity: activities.Activity, method: CheckinMethod, scanned_at: datetime
) -> datetime:
    """When the person's time on site starts: her scan, or the start for a 补签.

    A 补签 is the organizer vouching that she was there; its time is when he typed it.
    """
    return activity.starts_at if method == CheckinMethod.MANUAL else scanned_at


def earned_attendee_hours(
    *, activity: activities.Activity, arrived_at: datetime, left_at: datetime | None
) -> float:
    """课时 an attendee earns: full from half the activity on site, else in proportion.

    Time on site is the part of [arrival, departure] inside the activity's start and end;
    without a check-out she is taken to have stayed to the end (check-out is optional).
    """
    full = float(activity.attendee_hours or 0)
    length = (activity.ends_at - activity.starts_at).total_seconds()
    if full <= 0 or length <= 0:
        return max(full, 0.0)
    start = max(arrived_at, activity.starts_at)
    end = min(left_at or activity.ends_at, activity.ends_at)
    on_site = max(0.0, (end - start).total_seconds())
    if on_site >= FULL_SHARE * length:
        return full
    # The small epsilon keeps 0.5 from becoming 0.4999… and rounding down a whole step.
    steps = math.floor(full * on_site / length / HOURS_STEP + 1e-9)
    return steps * HOURS_STEP


def attendee_entry(
    *,
    activity: activities.Activity,
    person_id: int,
    arrived_at: datetime,
    left_at: datetime | None = None,
) -> HoursEntry | None:
    """The (unsaved) hours entry a check-in earns, or None when it earns none."""
    values = attendee_entry_values(
        activity=activity, person_id=person_id, arrived_at=arrived_at, left_at=left_at
    )
    return HoursEntry(**values) if values else None


def attendee_entry_values(
    *,
    activity: activities.Activity,
    person_id: int,
    arrived_at: datetime,
    left_at: datetime | None = None,
) -> dict | None:
    """`attendee_entry`'s fields as plain values (what the check-in writer takes), or None."""
    earned = earned_attendee_hours(activity=activity, arrived_at=arrived_at, left_at=left_at)
    if earned <= 0:
        return None
    return {
        "person_id": person_id,
        "activity_id": activity.id,
        "role": HoursRole.ATTENDEE,
        "hours": earned,
        "semester": semester_of(activity.starts_at, configured_calendar()),
    }


async def credit_attendee(
    *,
    activity: activities.Activity,
    person_id: int,
    arrived_at: datetime,
    left_at: datetime | None = None,
) -> float:
    """Set a person's attendee hours for her time on site (safe twice); answers them."""
    entry = attendee_entry(
        activity=activity, person_id=person_id, arrived_at=arrived_at, left_at=left_at
    )
    if entry is None:
        await revoke_attendee(activity_id=activity.id, person_id=person_id)
        return 0.0
    await HoursEntry.update_or_create(
        person_id=person_id,
        activity_id=activity.id,
        role=HoursRole.ATTENDEE,
        defaults={"hours": entry.hours, "semester": entry.semester},
    )
    return entry.hours


async def settle_attendee(*, activity: activities.Activity, checkin: Checkin) -> float:
    """Attendee hours of one check-in from its arrival and check-out (none if annulled)."""
    if checkin.annulled_at is not None or activity.status == activities.ActivityStatus.CANCELLED:
        # A cancelled activity's hours were all taken back (activities.cancel_activity).
        await revoke_attendee(activity_id=activity.id, person_id=checkin.person_id)
        return 0.0
    return await credit_attendee(
        activity=activity,
        person_id=checkin.person_id,
        arrived_at=arrival_of(
            activity=activity, method=checkin.method, scanned_at=checkin.scanned_at
        ),
        left_at=checkin.checkout_at,
    )


async def settle_attendees(*, activity_id: int) -> int:
    """Recount every check-in's attendee hours (the activity's times may have moved)."""
    activity = await activities.load_activity(activity_id=activity_id)
    rows = await Checkin.filter(activity_id=activity_id)
    for checkin in rows:
        await settle_attendee(activity=activity, checkin=checkin)
    return len(rows)


async def revoke_attendee(*, activity_id: int, person_id: int) -> None:
    """Take back attendee hours (the check-in was annulled)."""
    await HoursEntry.filter(
        person_id=person_id, activity_id=activity_id, role=HoursRole.ATTENDEE
    ).delete()


async def credit_presenters(*, activity_id: int) -> int:
    """Credit each presenter's 课时 (safe to run again: updates, never duplicates)."""
    activity = await activities.load_activity(activity_id=activity_id)
    semester = semester_of(activity.starts_at, configured_calendar())
    presenters = await activities.presenters_of(activity_id=activity_id)
    for p in presenters:
        await HoursEntry.update_or_create(
            person_id=p["person_id"],
            activity_id=activity_id,
            role=HoursRole.PRESENTER,
            defaults={"hours": p["hours"], "semester": semester},
        )
    # Presenters removed since an earlier credit lose those hours.
    await (
        HoursEntry.filter(activity_id=activity_id, role=HoursRole.PRESENTER)
        .exclude(person_id__in=[p["person_id"] for p in presenters])
        .delete()
    )
    return len(presenters)


async def revoke_all(*, activity_id: int) -> None:
    """Remove every credit of an activity (it was cancelled)."""
    await HoursEntry.filter(activity_id=activity_id).delete()


async def hours_of(*, person_id: int, semester: str) -> dict:
    """A person's hours in a semester, split by role, with the activities."""
    rows = (
        await HoursEntry.filter(person_id=person_id, semester=semester)
        .order_by("activity__starts_at")
        .values("activity_id", "activity__title", "activity__kind", "role", "hours")
    )
    total = {"presenter": 0.0, "attendee": 0.0}
    for r in rows:
        total[r["role"]] += r["hours"]
    return {
        "semester": semester,
        "presenter_hours": total["presenter"],
        "attendee_hours": total["attendee"],
        "total_hours": total["presenter"] + total["attendee"],
        "entries": [
            {
                "activity_id": r["activity_id"],
                "title": r["activity__title"],
                "kind": r["activity__kind"],
                "role": r["role"],
                "hours": r["hours"],
            }
            for r in rows
        ],
    }


async def hours_by_activity(*, person_id: int, activity_ids: set[int]) -> dict[int, float]:
    """A person's 课时 per activity (presenting and attending together)."""
    if not activity_ids:
        return {}
    rows = await HoursEntry.filter(person_id=person_id, activity_id__in=list(activity_ids)).values(
        "activity_id", "hours"
    )
    out: dict[int, float] = {}
    for r in rows:
        out[r["activity_id"]] = out.get(r["activity_id"], 0.0) + r["hours"]
    return out
