"""Short facts about activities for other domains (no scope check)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tortoise.expressions import Q

from server.activities.models import (
    Activity,
    ActivityAudience,
    ActivityKind,
    ActivityStatus,
    Presenter,
)
from server.common.errors import NotFound
from server.orgs import service as orgs


async def activity_briefs(*, activity_ids: Sequence[int]) -> dict[int, dict]:
    """Title, kind, status, times, venue and host of activities, by id (no scope check)."""
    rows = await Activity.filter(id__in=list(activity_ids))
    return {
        a.id: {
            "id": a.id,
            "title": a.title,
            "kind": ActivityKind(a.kind).value,
            "status": ActivityStatus(a.status).value,
            "host_id": a.host_id,
            "address": a.address,
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
        }
        for a in rows
    }


async def activity_ids_of_pairing(
    *, pairing_id: int, since: datetime, until: datetime
) -> list[int]:
    """Ids of a pairing's activities starting in [since, until), not cancelled, by start."""
    return list(
        await Activity.filter(pairing_id=pairing_id, starts_at__gte=since, starts_at__lt=until)
        .exclude(status=ActivityStatus.CANCELLED)
        .order_by("starts_at", "id")
        .values_list("id", flat=True)
    )


async def activity_ids_of_alliance(
    *, alliance_id: int, pairing_ids: Sequence[int], since: datetime, until: datetime
) -> list[int]:
    """Ids of an alliance's activities (its own, and its pairings') in [since, until), by start."""
    return list(
        await Activity.filter(
            Q(alliance_id=alliance_id) | Q(pairing_id__in=list(pairing_ids) or [0]),
            starts_at__gte=since,
            starts_at__lt=until,
        )
        .exclude(status=ActivityStatus.CANCELLED)
        .order_by("starts_at", "id")
        .values_list("id", flat=True)
    )


async def publicity_facts(*, activity_id: int) -> dict:
    """What a post tells of an activity: kind, times, places, sides, presenters (no scope check)."""
    activity = await Activity.get_or_none(id=activity_id)
    if activity is None:
        raise NotFound("活动")
    presenters = await Presenter.filter(activity_id=activity.id).order_by("id")
    names = await orgs.person_names(person_ids=[p.person_id for p in presenters])
    sides: dict[str, int] = {}
    if activity.pairing_id:
        found = await orgs.pairing_sides(pairing_id=activity.pairing_id)
        if found:
            sides = {"supporting_id": found[0], "supported_id": found[1]}
    audience = await ActivityAudience.filter(activity_id=activity.id).values_list(
        "kindergarten_id", flat=True
    )
    kg_names = await orgs.kindergarten_names(
        kindergarten_ids={activity.host_id, *sides.values(), *audience}
    )
    return {
        "id": activity.id,
        "title": activity.title,
        "kind": ActivityKind(activity.kind).value,
        "status": ActivityStatus(activity.status).value,
        "host_id": activity.host_id,
        "pairing_id": activity.pairing_id,
        "alliance_id": activity.alliance_id,
        "host_name": kg_names.get(activity.host_id, ""),
        "supporting_name": kg_names.get(sides.get("supporting_id", 0), ""),
        "supported_name": kg_names.get(sides.get("supported_id", 0), ""),
        "audience_names": [kg_names[k] for k in audience if k in kg_names],
        "address": activity.address,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "attendee_hours": activity.attendee_hours,
        "plan": activity.plan,
        "created_by_id": activity.created_by_id,
        "presenters": [
            {
                "person_id": p.person_id,
                "name": names.get(p.person_id, ""),
                "topic": p.topic,
                "class_name": p.class_name,
                "subject_area": p.subject_area,
                "hours": p.hours,
            }
            for p in presenters
        ],
    }


async def find_activity(*, activity_id: int) -> Activity | None:
    """One activity by id, or None (no scope check: the caller has checked)."""
    return await Activity.get_or_none(id=activity_id)


async def activity_by_code(*, code: str) -> Activity | None:
    """The activity a scene's code names, or None (no scope check: a scan carries the code)."""
    return await Activity.get_or_none(code=code)


async def load_activity(*, activity_id: int) -> Activity:
    """One activity by id (no scope check); NotFound when there is none."""
    activity = await Activity.get_or_none(id=activity_id)
    if activity is None:
        raise NotFound("活动")
    return activity


async def activities_by_ids(*, activity_ids: Sequence[int]) -> list[Activity]:
    """The activities with these ids (no scope check), in no particular order."""
    return list(await Activity.filter(id__in=list(activity_ids) or [0]))


async def presenters_of(*, activity_id: int) -> list[dict]:
    """An activity's presenters in the order they were entered: person, 课时, topic, class."""
    return list(
        await Presenter.filter(activity_id=activity_id)
        .order_by("id")
        .values("person_id", "hours", "topic", "class_name", "subject_area")
    )


async def published_activities_of_pairing(
    *, pairing_id: int, since: datetime, until: datetime
) -> list[Activity]:
    """A pairing's activities starting in [since, until) that were published (cancelled
    ones too: they are on the record), by start."""
    return list(
        await Activity.filter(pairing_id=pairing_id, starts_at__gte=since, starts_at__lt=until)
        .exclude(status=ActivityStatus.DRAFT)
        .order_by("starts_at", "id")
    )
