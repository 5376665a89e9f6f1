"""Leaders' summaries for a caller: which scopes she may read, the latest, one by id, its chart.

Leaders read the summaries of their regions (and of the alliances in them) and of their
alliances; admins read all, the city's too. A summary outside the caller's sight is "not
found", like a pairing report outside it.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden
from server.common.semester import SemesterCalendar
from server.reports import summary_push, summary_render, units
from server.reports.models import Summary
from server.reports.summary_store import (
    KINDS,
    SummaryScope,
    brief,
    latest_summary,
    view,
)

NOT_FOUND = "工作简报不存在，或不在您的查看范围内"


async def readable_scopes(principal: Principal) -> set[SummaryScope] | None:
    """Scopes whose summaries the caller may read (None: every scope, for admins)."""
    if principal.is_admin:
        return None
    regions = principal.scope_ids("region", ["leader"])
    alliances = principal.scope_ids("alliance", ["leader"])
    if regions:
        alliances |= set(await units.alliances(region_ids=regions))
    return {SummaryScope("region", r) for r in regions} | {
        SummaryScope("alliance", a) for a in alliances
    }


def own_scopes(principal: Principal) -> list[SummaryScope]:
    """The caller's own leader scopes, regions first (the city for an admin without one)."""
    mine = [SummaryScope("region", r) for r in sorted(principal.scope_ids("region", ["leader"]))]
    mine += [
        SummaryScope("alliance", a) for a in sorted(principal.scope_ids("alliance", ["leader"]))
    ]
    if not mine and principal.is_admin:
        mine.append(SummaryScope("city", 0))
    return mine


async def _ensure_readable(principal: Principal, scope: SummaryScope) -> None:
    readable = await readable_scopes(principal)
    if readable is not None and scope not in readable:
        raise DomainError("not_found", NOT_FOUND)


async def _chosen_scope(principal: Principal, scope: str | None) -> SummaryScope:
    if scope:
        chosen = SummaryScope.parse(scope)
        await _ensure_readable(principal, chosen)
        return chosen
    mine = own_scopes(principal)
    if not mine:
        raise DomainError("forbidden", "只有教育局和联盟的负责同志可以查看工作简报")
    return mine[0]


async def latest(
    *,
    principal: Principal,
    scope: str | None = None,
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
) -> dict:
    """The newest summary of the caller's scope (or the one asked for), made if none exists."""
    chosen = await _chosen_scope(principal, scope)
    summary = await latest_summary(scope=chosen, calendar=calendar, at=at)
    return view(summary)


async def get_summary(*, principal: Principal, summary_id: int) -> Summary:
    """One stored summary, if the caller may read it."""
    summary = await Summary.get_or_none(id=summary_id)
    if summary is None:
        raise DomainError("not_found", NOT_FOUND)
    await _ensure_readable(principal, SummaryScope(summary.scope_kind, summary.scope_id))
    return summary


async def one(*, principal: Principal, summary_id: int) -> dict:
    """One summary's page data."""
    return view(await get_summary(principal=principal, summary_id=summary_id))


async def chart(*, principal: Principal, summary_id: int) -> bytes:
    """One summary's chart as PNG."""
    summary = await get_summary(principal=principal, summary_id=summary_id)
    return summary_render.chart_png(summary.data)


async def list_summaries(
    *,
    principal: Principal,
    scope: str | None = None,
    kind: str | None = None,
    period: str | None = None,
    limit: int = 20,
) -> dict:
    """Stored summaries the caller may read, newest period first (filters optional)."""
    query = Summary.all()
    if scope:
        chosen = SummaryScope.parse(scope)
        await _ensure_readable(principal, chosen)
        query = query.filter(scope_kind=chosen.kind, scope_id=chosen.id)
    else:
        readable = await readable_scopes(principal)
        if readable is not None:
            if not readable:
                return {"items": []}
            by_kind: dict[str, set[int]] = {}
            for s in readable:
                by_kind.setdefault(s.kind, set()).add(s.id)
            either = [Q(scope_kind=k, scope_id__in=sorted(ids)) for k, ids in by_kind.items()]
            query = query.filter(Q(*either, join_type="OR"))
    if kind:
        if kind not in KINDS:
            raise DomainError(
                "invalid_input", "简报类型只能是 weekly（周报）或 semester（学期总结）"
            )
        query = query.filter(kind=kind)
    if period:
        query = query.filter(period=period)
    rows = await query.order_by("-period_end", "kind", "-id").limit(limit)
    return {"items": [brief(s) for s in rows]}


async def run_now(
    *,
    principal: Principal,
    kind: str,
    period: str | None = None,
    calendar: SemesterCalendar | None = None,
) -> dict:
    """An admin makes and pushes a period's summaries now (each leader told once)."""
    if not principal.is_admin:
        raise Forbidden("只有管理员可以立即生成并推送工作简报")
    return await summary_push.run_now(kind=kind, period=period, calendar=calendar)


async def failed_summaries(*, principal: Principal) -> list[dict]:
    """Summaries of the caller's readable scopes that could not be made, with their reasons."""
    if not (principal.is_admin or principal.has("leader")):
        return []
    readable = await readable_scopes(principal)
    return [
        {
            "kind": KINDS.get(row["kind"], row["kind"]),
            "period": row["period"],
            "reason": row["reason"],
        }
        for row in await summary_push.failed_summaries()
        if readable is None or row["scope"] in readable
    ]
