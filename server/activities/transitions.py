"""An activity's life: publish, cancel, finish.

Cancelling takes back the hours the activity gave and finishing credits them: both through
the hooks the hours domain connects, inside the same transaction as the status change."""

from __future__ import annotations

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server.activities import access, hooks
from server.activities import activity_rules as rules
from server.activities.display import activity_detail, place_of
from server.activities.models import Activity, ActivityEvent, ActivityStatus
from server.activities.notify import notify_events_soon
from server.audit import service as audit
from server.common.auth import Principal
from server.common.errors import DomainError
from server.common.time import now


async def _transition(
    activity: Activity, *, source: ActivityStatus, target: ActivityStatus, **extra
) -> Activity:
    """Move the status only if nobody moved it meanwhile (two clicks, two organizers)."""
    done = await Activity.filter(id=activity.id, status=source).update(
        status=target, updated_at=now(), **extra
    )
    if not done:
        raise DomainError("conflict", "活动状态已变化，请刷新后再试")
    # Check-in caches of this process forget the old status at once.
    hooks.changed(activity.id)
    return await Activity.get(id=activity.id)


async def publish_activity(*, principal: Principal, activity_id: int) -> dict:
    """Publish a draft: the audience may now see it and will be told."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    if ActivityStatus(activity.status) != ActivityStatus.DRAFT:
        raise DomainError("not_draft", "只有草稿状态的活动可以发布", status=409)
    async with in_transaction():
        activity = await _transition(
            activity, source=ActivityStatus.DRAFT, target=ActivityStatus.PUBLISHED
        )
        await ActivityEvent.create(
            activity_id=activity.id, kind="published", payload=place_of(activity)
        )
        await audit.record_action(
            actor_id=principal.person_id,
            action="activity.publish",
            target_type="activity",
            target_id=activity.id,
            activity_id=activity.id,
        )
    await notify_events_soon()
    return await activity_detail(activity, principal=principal)


async def cancel_activity(*, principal: Principal, activity_id: int, reason: str) -> dict:
    """Cancel a draft or published activity; its hours are taken back, everyone told."""
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 200:
        raise DomainError("invalid_reason", "请填写取消原因（1 至 200 字）")
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    rules.ensure_editable(activity)
    was = ActivityStatus(activity.status)
    async with in_transaction():
        activity = await _transition(
            activity,
            source=was,
            target=ActivityStatus.CANCELLED,
            cancel_reason=reason,
            version=F("version") + 1,
        )
        if was == ActivityStatus.PUBLISHED:
            # A draft was never announced: nobody needs to hear of its end.
            payload = {"reason": reason, **place_of(activity)}
            await ActivityEvent.create(activity_id=activity.id, kind="cancelled", payload=payload)
        await audit.record_action(
            actor_id=principal.person_id,
            action="activity.cancel",
            target_type="activity",
            target_id=activity.id,
            activity_id=activity.id,
            reason=reason,
            detail={"was": was.value},
        )
        await hooks.cancelled(activity.id)
    if was == ActivityStatus.PUBLISHED:
        await notify_events_soon()
    return await activity_detail(activity, principal=principal)


async def finish_activity(*, principal: Principal, activity_id: int) -> dict:
    """Close a published activity that has started; presenters get their 课时."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    status = ActivityStatus(activity.status)
    if status == ActivityStatus.DRAFT:
        raise DomainError("not_published", "活动尚未发布，不能结束", status=409)
    rules.ensure_editable(activity)
    if now() < activity.starts_at:
        raise DomainError("not_started", "活动尚未开始，不能结束", status=409)
    async with in_transaction():
        activity = await _transition(
            activity, source=ActivityStatus.PUBLISHED, target=ActivityStatus.FINISHED
        )
        # Presenters' 课时 credited, attendees' settled to the final times (reported back).
        credited = await hooks.finished(activity.id)
        await audit.record_action(
            actor_id=principal.person_id,
            action="activity.finish",
            target_type="activity",
            target_id=activity.id,
            activity_id=activity.id,
            detail=credited,
        )
    return await activity_detail(activity, principal=principal)
