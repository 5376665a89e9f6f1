"""The organizer's tools: the attendance list, 补签, annulment, check-out."""

from __future__ import annotations

from server.activities import access
from server.activities.models import FAMILY_KINDS, Activity
from server.audit.service import record_action
from server.checkin import hours
from server.checkin.audience import expected_person_ids, may_attend
from server.checkin.fastpath import forget, remember
from server.checkin.live import attendance_counts, publish_change
from server.checkin.models import Checkin, CheckinMethod
from server.checkin.service import checkin_view
from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.common.time import now
from server.orgs import service as orgs


def _reason(text: str) -> str:
    text = (text or "").strip()
    if not 2 <= len(text) <= 200:
        raise DomainError("reason_required", "请填写原因（2 至 200 个字）")
    return text


async def attendance(*, principal: Principal, activity_id: int) -> dict:
    """Counts, everyone checked in (with flags) and the absent list."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    rows = await Checkin.filter(activity_id=activity.id).order_by("scanned_at", "id")
    expected = await expected_person_ids(activity=activity)
    present = {c.person_id for c in rows if c.annulled_at is None}
    names = await orgs.person_names(person_ids=list({c.person_id for c in rows} | expected))
    return {
        "counts": await attendance_counts(activity=activity),
        "checkins": [
            {
                **checkin_view(c),
                "person_id": c.person_id,
                "name": names.get(c.person_id, ""),
                "annul_reason": c.annul_reason,
                "manual_reason": c.manual_reason,
            }
            for c in rows
        ],
        "absent": sorted(
            ({"person_id": pid, "name": names.get(pid, "")} for pid in expected - present),
            key=lambda p: p["name"],
        ),
    }


async def manual_check_in(
    *,
    principal: Principal,
    activity_id: int,
    person_id: int,
    reason: str,
    redis,
    late: bool = False,
    adults: int | None = None,
    children: int | None = None,
) -> dict:
    """补签: the organizer records someone present, with a reason, in the audit log."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    reason = _reason(reason)
    if not await may_attend(activity=activity, person_id=person_id):
        # Only the audience may be recorded present (and earn hours); anyone else is
        # answered as an unknown id, so sequential ids reveal nothing.
        raise NotFound("人员")
    if activity.status.value in ("draft", "cancelled"):
        raise DomainError("activity_not_open", "草稿或已取消的活动不能补签")
    existing = await Checkin.get_or_none(activity_id=activity.id, person_id=person_id)
    if existing and existing.annulled_at is None:
        raise DomainError("already_checked_in", "此人已签到，无需补签", status=409)
    family = activity.kind in FAMILY_KINDS
    fields = dict(
        method=CheckinMethod.MANUAL,
        late=late,
        nonce=None,
        scanned_at=now(),
        offline=False,
        no_location=False,
        outside_geofence=False,
        recorded_by_id=principal.person_id,
        manual_reason=reason,
        adults=(adults or 1) if family else 0,
        children=(children or 0) if family else 0,
    )
    if existing:
        await Checkin.filter(id=existing.id).update(annulled_at=None, annul_reason="", **fields)
        checkin = await Checkin.get(id=existing.id)
    else:
        checkin = await Checkin.create(activity_id=activity.id, person_id=person_id, **fields)
    await hours.credit_attendee(activity=activity, person_id=person_id)
    await record_action(
        actor_id=principal.person_id,
        action="checkin.manual",
        target_type="checkin",
        target_id=checkin.id,
        activity_id=activity.id,
        reason=reason,
        detail={"person_id": person_id},
    )
    await remember(redis, activity.id, person_id, checkin.id)
    await publish_change(redis, activity_id=activity.id, checkin_id=checkin.id, change="manual")
    return checkin_view(checkin)


async def _checkin_to_run(
    principal: Principal, checkin_id: int, activity_id: int | None
) -> tuple[Checkin, Activity]:
    """A check-in of an activity the caller manages (of `activity_id` when given).

    A check-in the caller cannot see is answered as one that does not exist.
    """
    checkin = await Checkin.get_or_none(id=checkin_id)
    if activity_id is not None:
        activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
        if checkin is None or checkin.activity_id != activity.id:
            raise NotFound("签到记录")
        return checkin, activity
    if checkin is None:
        raise NotFound("签到记录")
    activity = await Activity.get(id=checkin.activity_id)
    if await access.can_manage(principal, activity):
        return checkin, activity
    if await access.can_view(principal, activity):
        raise Forbidden("只有活动的组织者或园长可以进行此操作")
    raise NotFound("签到记录")


async def annul_check_in(
    *,
    principal: Principal,
    checkin_id: int,
    reason: str,
    redis,
    activity_id: int | None = None,
) -> dict:
    """Annul a check-in (e.g. signed in for someone else), with a reason, audit-logged."""
    checkin, activity = await _checkin_to_run(principal, checkin_id, activity_id)
    reason = _reason(reason)
    if checkin.annulled_at is not None:
        raise DomainError("already_annulled", "该签到已作废", status=409)
    checkin.annulled_at = now()
    checkin.annul_reason = reason
    await checkin.save(update_fields=["annulled_at", "annul_reason"])
    await hours.revoke_attendee(activity_id=activity.id, person_id=checkin.person_id)
    await record_action(
        actor_id=principal.person_id,
        action="checkin.annul",
        target_type="checkin",
        target_id=checkin.id,
        activity_id=activity.id,
        reason=reason,
        detail={"person_id": checkin.person_id},
    )
    await forget(redis, activity.id, checkin.person_id)
    await publish_change(redis, activity_id=activity.id, checkin_id=checkin.id, change="annul")
    return checkin_view(checkin)


async def check_out(*, principal: Principal, checkin_id: int, redis) -> dict:
    """Record leaving: the person herself or an organizer; gives the time on site."""
    checkin = await Checkin.get_or_none(id=checkin_id)
    if checkin is None:
        raise NotFound("签到记录")
    if checkin.person_id != principal.person_id:
        activity = await Activity.get(id=checkin.activity_id)
        if not await access.can_manage(principal, activity):
            if await access.can_view(principal, activity):
                raise Forbidden("只能为自己签退")
            # Someone else's check-in at an activity out of sight: as if there were none.
            raise NotFound("签到记录")
    if checkin.annulled_at is not None:
        raise DomainError("already_annulled", "该签到已作废", status=409)
    if checkin.checkout_at is None:
        checkin.checkout_at = max(now(), checkin.scanned_at)
        await checkin.save(update_fields=["checkout_at"])
        await publish_change(
            redis, activity_id=checkin.activity_id, checkin_id=checkin.id, change="checkout"
        )
    view = checkin_view(checkin)
    view["minutes_on_site"] = round((checkin.checkout_at - checkin.scanned_at).total_seconds() / 60)
    return view


async def my_checkins(*, principal: Principal, limit: int = 50) -> list[dict]:
    """The caller's own check-ins, newest first, with the activity title."""
    if principal.person_id is None:
        return []
    rows = (
        await Checkin.filter(person_id=principal.person_id)
        .order_by("-scanned_at")
        .limit(limit)
        .prefetch_related("activity")
    )
    return [
        {**checkin_view(c), "title": c.activity.title, "kind": c.activity.kind.value} for c in rows
    ]
