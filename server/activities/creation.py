"""Create a draft activity where the caller may host."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tortoise.transactions import in_transaction

from server.activities import activity_rules as rules
from server.activities.codes import new_activity_code, new_activity_secret
from server.activities.display import activity_detail
from server.activities.hosting import (
    audience_ids,
    check_host,
    check_links,
    check_people,
    host_place,
    reach,
)
from server.activities.members import replace_members
from server.activities.models import Activity
from server.audit import service as audit
from server.common.auth import Principal
from server.common.time import china


async def _new_code() -> str:
    while True:
        code = new_activity_code()
        if not await Activity.exists(code=code):
            return code


async def create_activity(
    *,
    principal: Principal,
    title: str,
    kind: str,
    host_id: int,
    starts_at: datetime,
    ends_at: datetime,
    pairing_id: int | None = None,
    alliance_id: int | None = None,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    radius_m: int = 500,
    checkin_opens_at: datetime | None = None,
    late_after: datetime | None = None,
    checkin_closes_at: datetime | None = None,
    audience_mode: str | None = None,
    audience_kindergarten_ids: Sequence[int] = (),
    invitee_ids: Sequence[int] = (),
    presenters: Sequence[dict] = (),
    attendee_hours: float = 0,
    plan: str = "",
    measures: str = "",
    rotate_seconds: int = 15,
) -> dict:
    """Create a draft activity where the caller may host (see _check_host)."""
    await check_links(principal, host_id=host_id, pairing_id=pairing_id, alliance_id=alliance_id)
    await check_host(
        principal,
        host_id=host_id,
        pairing_id=pairing_id,
        alliance_id=alliance_id,
        day=china(rules.aware(starts_at)).date(),
    )
    title = rules.clean_title(title)
    parsed_kind = rules.parse_kind(kind)
    mode = rules.parse_audience_mode(audience_mode, parsed_kind)
    starts, ends = rules.aware(starts_at), rules.aware(ends_at)
    default = rules.default_window(starts, ends)
    window = rules.Window(
        opens=rules.aware(checkin_opens_at) if checkin_opens_at else default.opens,
        late_after=rules.aware(late_after) if late_after else default.late_after,
        closes=rules.aware(checkin_closes_at) if checkin_closes_at else default.closes,
    )
    rules.check_times(starts, ends, window)
    address = rules.clean_text(address, what="活动地点", max_length=200)
    if not address and lat is None and lng is None:
        place = await host_place(principal, host_id)
        address, lat, lng = place.get("address", ""), place.get("lat"), place.get("lng")
    rules.check_place(lat, lng, radius_m)
    cleaned_presenters = rules.clean_presenters(list(presenters))
    attendee_hours = rules.check_hours(attendee_hours, what="参与教师课时")
    rules.check_rotation(rotate_seconds)
    plan = rules.clean_text(plan, what="活动计划", max_length=5000)
    measures = rules.clean_text(measures, what="活动措施", max_length=5000)
    await check_people(
        [*invitee_ids, *(p["person_id"] for p in cleaned_presenters)],
        reach=await reach(host_id=host_id, pairing_id=pairing_id, alliance_id=alliance_id),
    )
    audience = await audience_ids(
        principal,
        mode=mode,
        given=list(audience_kindergarten_ids),
        host_id=host_id,
        pairing_id=pairing_id,
        alliance_id=alliance_id,
        kind=parsed_kind,
    )
    code = await _new_code()
    async with in_transaction():
        activity = await Activity.create(
            title=title,
            kind=parsed_kind,
            host_id=host_id,
            pairing_id=pairing_id,
            alliance_id=alliance_id,
            created_by_id=principal.person_id,
            address=address,
            lat=lat,
            lng=lng,
            radius_m=radius_m,
            starts_at=starts,
            ends_at=ends,
            checkin_opens_at=window.opens,
            late_after=window.late_after,
            checkin_closes_at=window.closes,
            audience_mode=mode,
            attendee_hours=attendee_hours,
            plan=plan,
            measures=measures,
            code=code,
            secret=new_activity_secret(),
            rotate_seconds=rotate_seconds,
        )
        await replace_members(
            activity.id,
            audience=audience,
            invitees=list(invitee_ids),
            presenters=cleaned_presenters,
        )
        await audit.record_action(
            actor_id=principal.person_id,
            action="activity.create",
            target_type="activity",
            target_id=activity.id,
            activity_id=activity.id,
        )
    return await activity_detail(activity, principal=principal)
