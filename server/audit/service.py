"""Write and read the audit log."""

from __future__ import annotations

from server.audit.models import AuditEntry


async def record_action(
    *,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int,
    activity_id: int | None = None,
    reason: str = "",
    detail: dict | None = None,
) -> None:
    """Append one entry to the audit log."""
    await AuditEntry.create(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        activity_id=activity_id,
        reason=reason[:200],
        detail=detail or {},
    )


async def activity_log(*, activity_id: int, limit: int = 200) -> list[dict]:
    """An activity's audit entries, newest first, with the actor's name."""
    rows = (
        await AuditEntry.filter(activity_id=activity_id)
        .order_by("-id")
        .limit(limit)
        .prefetch_related("actor")
    )
    return [
        {
            "id": r.id,
            "action": r.action,
            "target_type": r.target_type,
            "target_id": r.target_id,
            "actor": r.actor.name if r.actor else None,
            "reason": r.reason,
            "detail": r.detail,
            "at": r.at.isoformat(),
        }
        for r in rows
    ]


async def actions_on_activity(*, activity_id: int, action: str) -> list[dict]:
    """One kind of entry of an activity, oldest first, with the actor's name."""
    rows = (
        await AuditEntry.filter(activity_id=activity_id, action=action)
        .order_by("id")
        .prefetch_related("actor")
    )
    return [
        {
            "target_id": r.target_id,
            "actor": r.actor.name if r.actor else None,
            "reason": r.reason,
            "detail": r.detail,
            "at": r.at.isoformat(),
        }
        for r in rows
    ]
