"""The hours ledger: 课时 credited to presenters and attendees, per semester."""

from __future__ import annotations

from server.activities.models import Activity, Presenter
from server.checkin.models import HoursEntry, HoursRole
from server.common.semester import configured_calendar, semester_of


def attendee_entry(*, activity: Activity, person_id: int) -> HoursEntry | None:
    """The (unsaved) hours entry a check-in earns, or None when the activity gives none."""
    if activity.attendee_hours <= 0:
        return None
    return HoursEntry(
        person_id=person_id,
        activity_id=activity.id,
        role=HoursRole.ATTENDEE,
        hours=activity.attendee_hours,
        semester=semester_of(activity.starts_at, configured_calendar()),
    )


async def credit_attendee(*, activity: Activity, person_id: int) -> None:
    """Credit the activity's attendee hours to a person who checked in (safe twice)."""
    entry = attendee_entry(activity=activity, person_id=person_id)
    if entry is not None:
        await HoursEntry.bulk_create([entry], ignore_conflicts=True)


async def revoke_attendee(*, activity_id: int, person_id: int) -> None:
    """Take back attendee hours (the check-in was annulled)."""
    await HoursEntry.filter(
        person_id=person_id, activity_id=activity_id, role=HoursRole.ATTENDEE
    ).delete()


async def credit_presenters(*, activity_id: int) -> int:
    """Credit each presenter's 课时 (safe to run again: updates, never duplicates)."""
    activity = await Activity.get(id=activity_id)
    semester = semester_of(activity.starts_at, configured_calendar())
    presenters = await Presenter.filter(activity_id=activity_id)
    for p in presenters:
        await HoursEntry.update_or_create(
            person_id=p.person_id,
            activity_id=activity_id,
            role=HoursRole.PRESENTER,
            defaults={"hours": p.hours, "semester": semester},
        )
    # Presenters removed since an earlier credit lose those hours.
    await (
        HoursEntry.filter(activity_id=activity_id, role=HoursRole.PRESENTER)
        .exclude(person_id__in=[p.person_id for p in presenters])
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
