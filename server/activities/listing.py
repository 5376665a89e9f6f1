"""List and show activities within the caller's sight."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tortoise.expressions import Q, Subquery

from server.activities import access
from server.activities import activity_rules as rules
from server.activities.codes import static_scene
from server.activities.display import activity_detail, activity_summary, host_names
from server.activities.models import STATUS_LABELS, Activity, ActivityStatus
from server.common.auth import Principal
from server.common.errors import DomainError
from server.common.time import CHINA, china, now


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA)


def _status_filter(status: str, at: datetime) -> Q:
    try:
        wanted = ActivityStatus(status)
    except ValueError as exc:
        names = "、".join(f"{s.value}（{label}）" for s, label in STATUS_LABELS.items())
        raise DomainError("invalid_input", f"状态参数不正确，可选：{names}") from exc
    ongoing = Q(status=ActivityStatus.PUBLISHED, starts_at__lte=at, ends_at__gt=at)
    if wanted == ActivityStatus.ONGOING:
        return ongoing
    if wanted == ActivityStatus.PUBLISHED:
        return Q(status=ActivityStatus.PUBLISHED) & ~ongoing
    return Q(status=wanted)


async def list_activities(
    *,
    principal: Principal,
    status: str | None = None,
    kind: str | None = None,
    host_id: int | None = None,
    pairing_id: int | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict:
    """Activities within the caller's sight, newest start first, as {"items", "total"}."""
    # China time: SQLite compares the stored "+08:00" text, so the filter must match it.
    at = china(now())
    query = Activity.all()
    visible = await access.visible_activity_filter(principal)
    if visible is not None:
        query = query.filter(id__in=Subquery(Activity.filter(visible).values("id")))
    if status:
        query = query.filter(_status_filter(status, at))
    if kind:
        query = query.filter(kind=rules.parse_kind(kind))
    if host_id is not None:
        query = query.filter(host_id=host_id)
    if pairing_id is not None:
        query = query.filter(pairing_id=pairing_id)
    if day_from is not None:
        query = query.filter(ends_at__gt=_day_start(day_from))
    if day_to is not None:
        query = query.filter(starts_at__lt=_day_start(day_to) + timedelta(days=1))
    total = await query.count()
    rows = await query.order_by("-starts_at", "-id").offset(offset).limit(limit)
    names = await host_names([a.id for a in rows])
    return {
        "items": [activity_summary(a, host_name=names.get(a.id), at=at) for a in rows],
        "total": total,
    }


async def managed_open_activities(*, principal: Principal, limit: int = 100) -> list[dict]:
    """Draft and published activities the caller manages, newest start first (for pickers)."""
    query = Activity.filter(status__in=rules.EDITABLE)
    visible = await access.visible_activity_filter(principal)
    if visible is not None:
        query = query.filter(id__in=Subquery(Activity.filter(visible).values("id")))
    at = now()
    out = []
    for activity in await query.order_by("-starts_at", "-id").limit(limit * 2):
        if len(out) < limit and await access.can_manage(principal, activity):
            out.append(activity)
    names = await host_names([a.id for a in out])
    return [activity_summary(a, host_name=names.get(a.id), at=at) for a in out]


async def get_activity(*, principal: Principal, activity_id: int) -> dict:
    """One activity the caller may see."""
    activity = await access.get_visible_activity(principal=principal, activity_id=activity_id)
    return await activity_detail(activity, principal=principal)


async def activity_code(*, principal: Principal, activity_id: int, page: str) -> dict:
    """The static scene a poster carries and the mini-program page it opens."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    return {"scene": static_scene(activity.code), "page": page}


async def upcoming_activities(*, principal: Principal, after: datetime, limit: int) -> list:
    """Published activities within the caller's sight not ended at `after`, soonest first."""
    # China time: SQLite compares the stored "+08:00" text, so the filter must match it.
    query = Activity.filter(status=ActivityStatus.PUBLISHED, ends_at__gt=china(after))
    visible = await access.visible_activity_filter(principal)
    if visible is not None:
        query = query.filter(id__in=Subquery(Activity.filter(visible).values("id")))
    return list(await query.order_by("starts_at", "id").limit(limit))
