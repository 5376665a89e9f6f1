"""Who may manage or see an activity.

Managers: admins, and organizers or directors of the host kindergarten, of either side
of the activity's pairing, or of the lead of its alliance. Viewers: managers, leaders
whose region or alliance holds the host, staff of the host and of the audience
kindergartens, people invited by name, and for family activities the guardians of
children of the audience kindergartens.
"""

from __future__ import annotations

from tortoise.expressions import Q

from server.activities.models import Activity, ActivityAudience, ActivityInvitee, AudienceMode
from server.common.auth import Principal
from server.common.errors import Forbidden, NotFound
from server.orgs import service as orgs

RUNNERS = ("organizer", "director")
STAFF = ("teacher", "organizer", "director")


async def _side_kindergartens(activity: Activity) -> set[int]:
    """Kindergartens whose runners manage the activity."""
    ids = {activity.host_id}
    if activity.pairing_id:
        ids |= set(await orgs.pairing_sides(pairing_id=activity.pairing_id))
    if activity.alliance_id:
        lead = await orgs.alliance_lead_id(alliance_id=activity.alliance_id)
        if lead:
            ids.add(lead)
    return ids


async def can_manage(principal: Principal, activity: Activity) -> bool:
    """True when the caller may edit the activity and run its check-in."""
    if principal.is_admin:
        return True
    mine = principal.scope_ids("kindergarten", RUNNERS)
    return bool(mine & await _side_kindergartens(activity))


async def can_view(principal: Principal, activity: Activity) -> bool:
    """True when the activity is within the caller's sight."""
    if await can_manage(principal, activity):
        return True
    if activity.host_id in await orgs.kindergarten_ids_led(principal):
        return True
    staff_of = principal.scope_ids("kindergarten", STAFF)
    if staff_of & await _side_kindergartens(activity):
        return True
    audience = set(
        await ActivityAudience.filter(activity_id=activity.id).values_list(
            "kindergarten_id", flat=True
        )
    )
    if activity.audience_mode == AudienceMode.ALLIANCE and activity.alliance_id:
        audience |= set(await orgs.alliance_member_ids(alliance_id=activity.alliance_id))
    if staff_of & audience:
        return True
    if principal.person_id and await ActivityInvitee.exists(
        activity_id=activity.id, person_id=principal.person_id
    ):
        return True
    if activity.audience_mode == AudienceMode.FAMILIES:
        children = principal.scope_ids("child", ["parent"])
        if children and audience & await orgs.kindergartens_of_children(child_ids=children):
            return True
    return False


async def get_managed_activity(*, principal: Principal, activity_id: int) -> Activity:
    """The activity if the caller manages it; 404 if unseen, 403 if only seen."""
    activity = await Activity.get_or_none(id=activity_id)
    if activity is None:
        raise NotFound("活动")
    if await can_manage(principal, activity):
        return activity
    if await can_view(principal, activity):
        raise Forbidden("只有活动的组织者或园长可以进行此操作")
    raise NotFound("活动")


async def get_visible_activity(*, principal: Principal, activity_id: int) -> Activity:
    """The activity if the caller may see it, else 404."""
    activity = await Activity.get_or_none(id=activity_id)
    if activity is None or not await can_view(principal, activity):
        raise NotFound("活动")
    return activity


async def visible_activity_filter(principal: Principal) -> Q | None:
    """A query filter for listing activities the caller may see (None: all)."""
    if principal.is_admin:
        return None
    kgs = principal.scope_ids("kindergarten", STAFF) | await orgs.kindergarten_ids_led(principal)
    pairings = await orgs.pairing_ids_of_kindergartens(kindergarten_ids=kgs) if kgs else []
    query = Q(host_id__in=list(kgs)) | Q(audience__kindergarten_id__in=list(kgs))
    if pairings:
        query |= Q(pairing_id__in=list(pairings))
    if principal.person_id:
        query |= Q(invitees__person_id=principal.person_id)
    children = principal.scope_ids("child", ["parent"])
    if children:
        family_kgs = await orgs.kindergartens_of_children(child_ids=children)
        query |= Q(
            audience_mode=AudienceMode.FAMILIES, audience__kindergarten_id__in=list(family_kgs)
        )
    return query
