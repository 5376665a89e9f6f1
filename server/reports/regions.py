"""Region reports: the sums of a county's pairings, alliances and kindergartens.

A region holds the pairings whose supported kindergarten is in it, its alliances and its
kindergartens' 骨干教师; teachers reached are distinct per region and, in the total,
over all regions shown (a teacher seen in two counties counts once).
"""

from __future__ import annotations

import asyncio

from server.common.runtime import configured_calendar
from server.common.semester import SemesterCalendar
from server.reports import attendance_counts, target_counts, units
from server.reports.builders import (
    attendance_figures,
    build_pairing_items,
    by_key,
    given_metrics,
    members_by_alliance,
    sum_metric,
)
from server.reports.parents import FamilyFigures
from server.reports.periods import Period, year_of
from server.reports.scope import ReportScope
from server.reports.targets import ALLIANCE_ACTIVITIES_PER_YEAR, behind, completion


def _region_item(
    *,
    label: str,
    kg_ids: set[int],
    alliances: list[dict],
    pairing_items: list[dict],
    counts: dict,
    key: dict,
    insp: dict,
    members: dict[int, set[int]],
    attendance: dict | None,
    family: FamilyFigures,
    period: Period,
    year: Period,
) -> dict:
    inspected = set()
    for alliance in alliances:
        inspected |= members.get(alliance["id"], set()) - {alliance["lead_id"]}
    metrics = given_metrics(pairing_items, period) + [
        sum_metric(
            "alliance_activities",
            ((counts.get(a["id"], 0), ALLIANCE_ACTIVITIES_PER_YEAR) for a in alliances),
            year,
        ),
        sum_metric("inspection_coverage", ((1 if insp.get(k) else 0, 1) for k in inspected), year),
        sum_metric(
            "key_teachers_sending",
            ((key[k]["key_sent"], key[k]["key_teachers"]) for k in kg_ids if k in key),
            period,
        ),
    ]
    metrics = [m for m in metrics if m]
    figures = attendance_figures(attendance)
    figures.update(
        kindergartens=len(kg_ids),
        alliances=len(alliances),
        alliances_active=sum(
            1 for a in alliances if counts.get(a["id"], 0) >= ALLIANCE_ACTIVITIES_PER_YEAR
        ),
        pairings=len(pairing_items),
        pairings_on_track=sum(1 for i in pairing_items if not i["behind"]),
        families=family.of(kg_ids),
    )
    return {
        "period": period.label,
        "year": year.label,
        "name": label,
        "targets": by_key(metrics),
        "figures": figures,
        "score": completion(metrics),
        "behind": [m["key"] for m in behind(metrics)],
    }


async def region_reports(
    *, period: Period, scope: ReportScope, calendar: SemesterCalendar | None = None
) -> dict:
    """Every region in scope, and their total (distinct teachers reached over all)."""
    empty = {"period": period.label, "items": [], "total": None}
    if scope.empty:
        return empty
    year = year_of(period, calendar=calendar)
    ids = scope.regions()
    # The check-in aggregate and 集中培训 attended, the longest, need only the region ids:
    # they run alongside the lookups and everything that follows them (issue 18: 集中培训
    # started after the lookups was the county report's last statement to end).
    checkins = asyncio.ensure_future(
        attendance_counts.attendance(period, "region", ids, with_total=True)
    )
    # The year build_pairing_items would count 集中培训 over.
    training_year = year_of(period, calendar=calendar or configured_calendar())
    trained = asyncio.ensure_future(
        target_counts.trainings_attended(training_year, None, region_ids=ids)
    )
    regs, kgs, als, pairs = await asyncio.gather(
        units.regions(ids=ids),
        units.kindergartens(region_ids=ids),
        units.alliances(region_ids=ids),
        units.pairings(period, region_ids=ids),
    )
    if not regs:
        await asyncio.gather(checkins, trained)
        return empty
    kg_ids = None if scope.everything else set(kgs)
    al_ids = None if scope.everything else set(als)
    counts, key, insp, pairing_items, family, attendance = await asyncio.gather(
        target_counts.alliance_activities(year, al_ids),
        target_counts.key_teachers(period, kg_ids),
        target_counts.inspections(year, kg_ids),
        build_pairing_items(
            period, pairs, filtered=ids is not None, figures=False, trained=trained
        ),
        FamilyFigures(period).load(kg_ids),
        checkins,
    )
    common = dict(
        counts=counts,
        key=key,
        insp=insp,
        members=members_by_alliance(kgs),
        family=family,
        period=period,
        year=year,
    )
    items = []
    for rid, region in sorted(regs.items()):
        item = _region_item(
            label=region["name"],
            kg_ids={k for k, row in kgs.items() if row["region_id"] == rid},
            alliances=[a for a in als.values() if a["region_id"] == rid],
            pairing_items=[i for i in pairing_items if i["region_id"] == rid],
            attendance=attendance.get(rid),
            **common,
        )
        items.append({"region_id": rid, **item})
    rows = [attendance[r] for r in regs if r in attendance]
    overall = {k: sum(r[k] for r in rows) for k in ("activities", "checked_in", "expected")} | {
        "reached": (attendance.get(None) or {}).get("reached", 0)
    }
    total = _region_item(
        label="合计",
        kg_ids=set(kgs),
        alliances=list(als.values()),
        pairing_items=pairing_items,
        attendance=overall,
        **common,
    )
    return {"period": period.label, "items": items, "total": total}
