"""Who is expected at an activity, and whether one person may check in."""

from __future__ import annotations

from server.activities.models import (
    Activity,
    ActivityAudience,
    ActivityInvitee,
    AudienceMode,
    Presenter,
)
from server.orgs import service as orgs


async def _audience_kindergartens(activity: Activity) -> set[int]:
    ids = set(
        await ActivityAudience.filter(activity_id=activity.id).values_list(
            "kindergarten_id", flat=True
        )
    )
    if activity.audience_mode == AudienceMode.ALLIANCE and activity.alliance_id:
        ids |= await orgs.alliance_member_ids(alliance_id=activity.alliance_id)
    return ids


async def may_attend(*, activity: Activity, person_id: int) -> bool:
    """True when the person is invited, presents, or belongs to the audience."""
    if await ActivityInvitee.exists(activity_id=activity.id, person_id=person_id):
        return True
    if await Presenter.exists(activity_id=activity.id, person_id=person_id):
        return True
    if activity.audience_mode == AudienceMode.INVITED:
        return False
    kindergartens = await _audience_kindergartens(activity)
    if not kindergartens:
        return False
    if activity.audience_mode == AudienceMode.FAMILIES:
        mine = await orgs.child_kindergarten_ids_of_guardian(person_id=person_id)
    else:
        mine = await orgs.staff_kindergarten_ids_of(person_id=person_id)
    return bool(mine & kindergartens)


async def expected_person_ids(*, activity: Activity) -> set[int]:
    """Everyone who is expected to check in (invitees, presenters and the audience)."""
    ids = set(
        await ActivityInvitee.filter(activity_id=activity.id).values_list("person_id", flat=True)
    )
    ids |= set(await Presenter.filter(activity_id=activity.id).values_list("person_id", flat=True))
    if activity.audience_mode == AudienceMode.INVITED:
        return ids
    kindergartens = await _audience_kindergartens(activity)
    if activity.audience_mode == AudienceMode.FAMILIES:
        ids |= await orgs.guardian_person_ids(kindergarten_ids=kindergartens)
    else:
        ids |= await orgs.staff_person_ids(kindergarten_ids=kindergartens)
    return ids
