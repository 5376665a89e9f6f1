"""Reports for a caller: resolve the period and the caller's scope, then build.

Other domains (the leaders' summaries, the bots) call these or the scope-level builders
re-exported here: `at_risk`, `pairing_reports`, `region_reports` …
"""

from __future__ import annotations

from datetime import datetime

from server.common.auth import Principal
from server.common.errors import DomainError
from server.common.semester import SemesterCalendar
from server.reports import export, ledger_figures, rankings
from server.reports.alerts import at_risk
from server.reports.builders import (
    alliance_reports,
    kindergarten_hours_targets,
    kindergarten_reports,
    pairing_reports,
)
from server.reports.periods import Period, resolve_period
from server.reports.regions import region_reports
from server.reports.scope import CITY, ReportScope, build_scope, scope_of

__all__ = [
    "CITY",
    "ReportScope",
    "alerts",
    "alliance_reports",
    "alliances",
    "at_risk",
    "build_scope",
    "export_workbook",
    "hours_targets",
    "kindergarten_reports",
    "kindergartens",
    "pairing",
    "pairing_reports",
    "pairings",
    "ranking",
    "semester_report",
    "region_reports",
    "regions",
    "resolve_period",
    "scope_of",
]


async def _setup(
    principal: Principal,
    semester: str | None,
    year: str | None,
    calendar: SemesterCalendar | None,
    at: datetime | None,
) -> tuple[Period, ReportScope]:
    period = resolve_period(semester=semester, year=year, calendar=calendar, at=at)
    return period, await scope_of(principal)


async def pairings(
    *,
    principal: Principal,
    semester: str | None = None,
    year: str | None = None,
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
) -> dict:
    """Every pairing the caller may see, against its targets."""
    period, scope = await _setup(principal, semester, year, calendar, at)
    items = await pairing_reports(period=period, scope=scope)
    return {"period": period.label, "items": await ledger_figures.with_pairings(items, period)}


async def pairing(
    *,
    principal: Principal,
    pairing_id: int,
    semester: str | None = None,
    year: str | None = None,
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
) -> dict:
    """One pairing against its targets (not found outside the caller's scope)."""
    period, scope = await _setup(principal, semester, year, calendar, at)
    items = await pairing_reports(period=period, scope=scope, pairing_id=pairing_id)
    if not items:
        raise DomainError("not_found", "结对不存在、不在您的查看范围内，或其帮扶周期不在所选时段内")
    return (await ledger_figures.with_pairings(items[:1], period))[0]


async def alliances(
    *,
    principal: Principal,
    semester: str | None = None,
    year: str | None = None,
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
) -> dict:
    """Every alliance the caller may see, against its targets."""
    period, scope = await _setup(principal, semester, year, calendar, at)
    items = await alliance_reports(period=period, scope=scope, calendar=calendar)
    return {"period": period.label, "items": await ledger_figures.with_alliances(items, period)}


async def kindergartens(
    *,
    principal: Principal,
    semester: str | None = None,
    year: str | None = None,
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
) -> dict:
    """Every kindergarten the caller may see, against its targets."""
    period, scope = await _setup(principal, semester, year, calendar, at)
    items = await kindergarten_reports(period=period, scope=scope, calendar=calendar)
    return {"period": period.label, "items": items}


async def regions(
    *,
    principal: Principal,
    semester: str | None = None,
    year: str | None = None,
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
) -> dict:
    """Every region the caller leads (all for admins) and their total."""
    period, scope = await _setup(principal, semester, year, calendar, at)
    data = await region_reports(period=period, scope=scope, calendar=calendar)
    return await ledger_figures.with_regions(data, period)


async def alerts(
    *,
    principal: Principal,
    semester: str | None = None,
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
) -> dict:
    """Pairings at risk in the caller's scope."""
    period, scope = await _setup(principal, semester, None, calendar, at)
    return {
        "period": period.label,
        "elapsed": round(period.elapsed, 4),
        "items": await at_risk(period=period, scope=scope),
    }


async def ranking(
    *,
    principal: Principal,
    by: str,
    semester: str | None = None,
    year: str | None = None,
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
) -> dict:
    """The 通报 table by alliance or pairing within the caller's scope."""
    period, scope = await _setup(principal, semester, year, calendar, at)
    return await rankings.rankings(by=by, period=period, scope=scope, calendar=calendar)


async def export_workbook(
    *,
    principal: Principal,
    semester: str | None = None,
    year: str | None = None,
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
) -> tuple[bytes, str]:
    """The whole targets table (.xlsx bytes, Chinese file name) within the caller's scope."""
    period, scope = await _setup(principal, semester, year, calendar, at)
    return await export.targets_workbook(period=period, scope=scope, calendar=calendar)


async def semester_report(
    *, kind: str, unit_id: int, semester: str, calendar: SemesterCalendar | None = None
) -> dict | None:
    """One pairing's or alliance's report for a semester, without a scope check.

    For domains that checked the caller themselves (a recap post's writer); None when the
    unit has nothing in that semester (or does not exist).
    """
    period = resolve_period(semester=semester, calendar=calendar)
    if kind == "pairing":
        items = await pairing_reports(period=period, scope=CITY, pairing_id=unit_id)
        return items[0] if items else None
    items = await alliance_reports(period=period, scope=CITY, calendar=calendar)
    return next((i for i in items if i["alliance_id"] == unit_id), None)


async def hours_targets(
    *,
    kindergarten_ids: set[int],
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
) -> dict:
    """This semester's 送教课时 of the given kindergartens against their targets.

    For their own staff (the caller's kindergartens, checked by the caller's domain):
    aggregates only, no names.
    """
    period = resolve_period(calendar=calendar, at=at)
    items = await kindergarten_hours_targets(
        period=period, kindergarten_ids=kindergarten_ids, calendar=calendar
    )
    return {"period": period.label, "items": items}
