"""The organizer's tools: the attendance list, 补签, annulment, check-out."""

from __future__ import annotations

from server.activities import service as activities
from server.audit.service import record_action
from server.checkin import hours
from server.checkin.fastpath import forget, remember
from server.checkin.live import attendance_counts, publish_change
from server.checkin.models import Checkin, CheckinMethod
from server.checkin.service import answer_flags, checkin_view
from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.common.runtime import current
from server.common.time import china, now
from server.orgs import service as orgs


def _reason(text: str) -> str:
    text = (text or "").strip()
    if not 2 <= len(text) <= 200:
        raise DomainError("reason_required", "请填写原因（2 至 200 个字）")
    return text


def _concerns(c: Checkin, activity: activities.Activity, answer: str | None) -> list[str]:
    """Why an organizer should look at a check-in, in Chinese (none: nothing to look at)."""
    out = []
    if c.offline:
        shown = china(c.scanned_at).strftime("%H:%M")
        out.append(f"离线扫码（{shown} 扫码，联网后同步）")
    if c.no_location:
        out.append("未获取到位置")
    if c.outside_geofence:
        distance = f"约 {round(c.distance_m)} 米" if c.distance_m is not None else "距离未知"
        out.append(f"超出签到范围：距活动地点{distance}（范围 {activity.radius_m} 米）")
    if answer:
        out.append(f"报名状态：{answer}")
    return out


async def attendance(*, principal: Principal, activity_id: int) -> dict:
    """Counts, everyone checked in (with flags and reasons), those to review, the absent."""
    activity = await activities.get_managed_activity(principal=principal, activity_id=activity_id)
    rows = await Checkin.filter(activity_id=activity.id).order_by("scanned_at", "id")
    expected = await activities.expected_person_ids(activity=activity)
    present = {c.person_id for c in rows if c.annulled_at is None}
    names = await orgs.person_names(person_ids=list({c.person_id for c in rows} | expected))
    answers = await answer_flags(activity_id=activity.id)
    checkins = [
        {
            **checkin_view(c),
            "person_id": c.person_id,
            "name": names.get(c.person_id, ""),
            "annul_reason": c.annul_reason,
            "manual_reason": c.manual_reason,
            "distance_m": c.distance_m,
            "rsvp": answers.get(c.person_id),
            "concerns": _concerns(c, activity, answers.get(c.person_id)),
        }
        for c in rows
    ]
    return {
        "counts": await attendance_counts(activity=activity),
        "checkins": checkins,
        "review": [c for c in checkins if c["concerns"] and not c["annulled"]],
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
    late: bool = False,
    adults: int | None = None,
    children: int | None = None,
) -> dict:
    """补签: the organizer records someone present, with a reason, in the audit log."""
    redis = current().redis
    activity = await activities.get_managed_activity(principal=principal, activity_id=activity_id)
    reason = _reason(reason)
    if not await activities.may_attend(activity=activity, person_id=person_id):
        # Only the audience may be recorded present (and earn hours); anyone else is
        # answered as an unknown id, so sequential ids reveal nothing.
        raise NotFound("人员")
    if activity.status.value in ("draft", "cancelled"):
        raise DomainError("activity_not_open", "草稿或已取消的活动不能补签")
    existing = await Checkin.get_or_none(activity_id=activity.id, person_id=person_id)
    if existing and existing.annulled_at is None:
        raise DomainError("already_checked_in", "此人已签到，无需补签", status=409)
    family = activity.kind in activities.FAMILY_KINDS
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
        await Checkin.filter(id=existing.id).update(
            annulled_at=None, annul_reason="", checkout_at=None, **fields
        )
        checkin = await Checkin.get(id=existing.id)
    else:
        checkin = await Checkin.create(activity_id=activity.id, person_id=person_id, **fields)
    await hours.settle_attendee(activity=activity, checkin=checkin)
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
) -> tuple[Checkin, activities.Activity]:
    """A check-in of an activity the caller manages (of `activity_id` when given).

    A check-in the caller cannot see is answered as one that does not exist.
    """
    checkin = await Checkin.get_or_none(id=checkin_id)
    if activity_id is not None:
        activity = await activities.get_managed_activity(
            principal=principal, activity_id=activity_id
        )
        if checkin is None or checkin.activity_id != activity.id:
            raise NotFound("签到记录")
        return checkin, activity
    if checkin is None:
        raise NotFound("签到记录")
    activity = await activities.load_activity(activity_id=checkin.activity_id)
    if await activities.can_manage(principal, activity):
        return checkin, activity
    if await activities.can_view(principal, activity):
        raise Forbidden("只有活动的组织者或园长可以进行此操作")
    raise NotFound("签到记录")


async def annul_check_in(
    *,
    principal: Principal,
    checkin_id: int,
    reason: str,
    activity_id: int | None = None,
) -> dict:
    """Annul a check-in (e.g. signed in for someone else), with a reason, audit-logged."""
    redis = current().redis
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


async def check_out(
    *, principal: Principal, checkin_id: int, activity_id: int | None = None
) -> dict:
    """Record leaving: the person herself or an organizer; her 课时 follow the time on site.

    With `activity_id` (the console's attendance page) only that activity's check-ins.
    """
    redis = current().redis
    checkin = await Checkin.get_or_none(id=checkin_id)
    someone_else = checkin is not None and checkin.person_id != principal.person_id
    if activity_id is not None or someone_else:
        checkin, activity = await _checkin_to_run_for_checkout(principal, checkin, activity_id)
    elif checkin is None:
        raise NotFound("签到记录")
    else:
        activity = await activities.load_activity(activity_id=checkin.activity_id)
    if checkin.annulled_at is not None:
        raise DomainError("already_annulled", "该签到已作废", status=409)
    if activity.status == activities.ActivityStatus.CANCELLED:
        raise DomainError("activity_cancelled", "活动已取消，无需签退", status=409)
    if checkin.checkout_at is None:
        moment = max(now(), checkin.scanned_at)
        # Only the first check-out counts: two taps, or she and the organizer at once.
        done = await Checkin.filter(id=checkin.id, checkout_at__isnull=True).update(
            checkout_at=moment
        )
        await checkin.refresh_from_db()
        if done:
            if checkin.person_id != principal.person_id:
                await record_action(
                    actor_id=principal.person_id,
                    action="checkin.checkout",
                    target_type="checkin",
                    target_id=checkin.id,
                    activity_id=activity.id,
                    detail={"person_id": checkin.person_id},
                )
            await publish_change(
                redis, activity_id=checkin.activity_id, checkin_id=checkin.id, change="checkout"
            )
    earned = await hours.settle_attendee(activity=activity, checkin=checkin)
    view = checkin_view(checkin)
    arrived = hours.arrival_of(
        activity=activity, method=checkin.method, scanned_at=checkin.scanned_at
    )
    minutes = max(0, round((checkin.checkout_at - arrived).total_seconds() / 60))
    view["minutes_on_site"] = minutes
    view["hours"] = earned
    view["message"] = f"签退成功：在场约 {minutes} 分钟，计参与课时 {earned:g}"
    return view


async def _checkin_to_run_for_checkout(
    principal: Principal, checkin: Checkin | None, activity_id: int | None
) -> tuple[Checkin, activities.Activity]:
    """Someone else's check-out: only a manager of the activity, else as annul_check_in."""
    if checkin is not None and activity_id is None:
        activity = await activities.load_activity(activity_id=checkin.activity_id)
        if not await activities.can_manage(principal, activity):
            if await activities.can_view(principal, activity):
                raise Forbidden("只能为自己签退")
            # Someone else's check-in at an activity out of sight: as if there were none.
            raise NotFound("签到记录")
        return checkin, activity
    return await _checkin_to_run(principal, checkin.id if checkin else 0, activity_id)


async def my_checkins(*, principal: Principal, limit: int = 50) -> list[dict]:
    """The caller's own check-ins, newest first, with the activity title and 课时 earned."""
    if principal.person_id is None:
        return []
    rows = (
        await Checkin.filter(person_id=principal.person_id)
        .order_by("-scanned_at")
        .limit(limit)
        .prefetch_related("activity")
    )
    earned = await hours.hours_by_activity(
        person_id=principal.person_id, activity_ids={c.activity_id for c in rows}
    )
    return [
        {
            **checkin_view(c),
            "title": c.activity.title,
            "kind": c.activity.kind.value,
            "hours": earned.get(c.activity_id, 0.0),
        }
        for c in rows
    ]
