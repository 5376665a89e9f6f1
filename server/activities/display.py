"""How an activity is shown: its status, a list row, the detail page, its place."""

from __future__ import annotations

from datetime import datetime

from server.activities import access
from server.activities import activity_rules as rules
from server.activities.models import (
    STATUS_LABELS,
    Activity,
    ActivityAudience,
    ActivityInvitee,
    ActivityKind,
    ActivityStatus,
    AudienceMode,
    Presenter,
)
from server.common.auth import Principal
from server.common.time import china, now
from server.orgs import service as orgs

STAFF_ROLES = ("teacher", "organizer", "director", "leader")


# ---- views ------------------------------------------------------------------------------


def iso_time(moment: datetime | None) -> str | None:
    """A moment as China-time ISO text (None stays None)."""
    return china(moment).isoformat() if moment else None


def display_status(activity: Activity, at: datetime | None = None) -> ActivityStatus:
    """The status users see: a published activity is ongoing between start and end."""
    at = at or now()
    status = ActivityStatus(activity.status)
    if status == ActivityStatus.PUBLISHED and activity.starts_at <= at < activity.ends_at:
        return ActivityStatus.ONGOING
    return status


def activity_summary(activity: Activity, *, host_name: str | None, at: datetime) -> dict:
    """An activity as list rows show it (never the secret)."""
    status = display_status(activity, at)
    return {
        "id": activity.id,
        "title": activity.title,
        "kind": ActivityKind(activity.kind).value,
        "status": status.value,
        "status_label": STATUS_LABELS[status],
        "host_id": activity.host_id,
        "host_name": host_name,
        "pairing_id": activity.pairing_id,
        "alliance_id": activity.alliance_id,
        "address": activity.address,
        "starts_at": iso_time(activity.starts_at),
        "ends_at": iso_time(activity.ends_at),
        "audience_mode": AudienceMode(activity.audience_mode).value,
        "version": activity.version,
    }


async def host_names(activity_ids: list[int]) -> dict[int, str]:
    """Host kindergarten names by activity id."""
    if not activity_ids:
        return {}
    rows = await Activity.filter(id__in=activity_ids).values_list("id", "host__name")
    return dict(rows)


async def activity_detail(activity: Activity, *, principal: Principal) -> dict:
    """One activity with its window, audience, invitees and presenters."""
    at = now()
    data = activity_summary(
        activity, host_name=(await host_names([activity.id])).get(activity.id), at=at
    )
    manager = await access.can_manage(principal, activity)
    staff = principal.has(*STAFF_ROLES)
    audience = await ActivityAudience.filter(activity_id=activity.id).values(
        "kindergarten_id", "kindergarten__name"
    )
    invitee_ids = await ActivityInvitee.filter(activity_id=activity.id).values_list(
        "person_id", flat=True
    )
    presenters = await Presenter.filter(activity_id=activity.id).order_by("id")
    names = (
        await orgs.person_names(person_ids=[p.person_id for p in presenters])
        if staff and presenters
        else {}
    )
    data.update(
        {
            "lat": activity.lat,
            "lng": activity.lng,
            "radius_m": activity.radius_m,
            "checkin_opens_at": iso_time(activity.checkin_opens_at),
            "late_after": iso_time(activity.late_after),
            "checkin_closes_at": iso_time(activity.checkin_closes_at),
            "audience_label": rules.AUDIENCE_LABELS[AudienceMode(activity.audience_mode)],
            "audience": [
                {"id": row["kindergarten_id"], "name": row["kindergarten__name"]}
                for row in audience
            ],
            "invitees_count": len(invitee_ids),
            "presenters": [
                {
                    "person_id": p.person_id,
                    # Names only for staff views; families see topics and hours.
                    "name": names.get(p.person_id) if staff else None,
                    "hours": p.hours,
                    "topic": p.topic,
                    "class_name": p.class_name,
                    "subject_area": p.subject_area,
                }
                for p in presenters
            ],
            "presenters_count": len(presenters),
            "attendee_hours": activity.attendee_hours,
            "plan": activity.plan,
            "measures": activity.measures,
            "rotate_seconds": activity.rotate_seconds,
            "cancel_reason": activity.cancel_reason,
            "created_by_id": activity.created_by_id,
            "created_at": iso_time(activity.created_at),
            "updated_at": iso_time(activity.updated_at),
            "can_manage": manager,
        }
    )
    if manager:
        data["invitee_ids"] = sorted(invitee_ids)
    return data


def place_of(activity: Activity) -> dict:
    """Times and venue, as a moved/cancelled event carries them."""
    return {
        "starts_at": iso_time(activity.starts_at),
        "ends_at": iso_time(activity.ends_at),
        "address": activity.address,
        "lat": activity.lat,
        "lng": activity.lng,
    }
