"""Report builders per pairing, alliance and kindergarten (regions: regions.py).

Every builder takes a Period and a ReportScope and returns plain dicts; the heavy lifting
is a dozen grouped queries (units.py, target_counts.py, attendance_counts.py …) whatever
the number of units, then sums of those aggregates here.

Targets and windows (see targets.py for how a figure is judged):
- pairing: 送教课时 (presenters' hours at its 送教下乡/送教到园) ≥ its target × semesters
  in the period; 专题讲座 likewise; 每月到园: every teaching month of the period (not
  August, inside the cycle) has an activity of the pairing held at the supported
  kindergarten; 跟岗学习: distinct teachers of the supported kindergarten checked in at the
  pairing's 跟岗学习; 集中培训 (yearly): 业务培训 anywhere that one of its teachers attended.
  优课率, 合格率 and papers are listed under `manual` (需手工填报): no record measures them.
- alliance: the lead hosts a 教学观摩 (its 半日开放) each semester;
  activities (its own and its pairings') ≥ 8 in the year; every member but the
  lead gets a 视导 in the year; every active 骨干教师 of its members presents at a 送教
  in the period. Yearly targets are measured over the year the period belongs to.
- kindergarten: the sums of its pairings as 帮扶园 (given) and as 被帮扶园 (received), its
  骨干教师, and one 视导 in the year when it is a member (not the lead) of an alliance.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from datetime import date
from functools import lru_cache

from server.common.runtime import configured_calendar
from server.common.semester import SemesterCalendar
from server.reports import attendance_counts, target_counts, units
from server.reports.parents import FamilyFigures
from server.reports.periods import Period, year_of
from server.reports.scope import ReportScope
from server.reports.targets import (
    ALLIANCE_ACTIVITIES_PER_YEAR,
    LEAD_OPEN_DAYS_PER_SEMESTER,
    behind,
    completion,
    manual_targets,
    metric,
    pairing_targets,
    ratio,
)

NO_ATTENDANCE = {"activities": 0, "checked_in": 0, "reached": 0, "expected": 0}


def attendance_figures(row: dict | None) -> dict:
    """Teachers reached, check-ins, expected and the attendance rate of a queries row."""
    row = row or NO_ATTENDANCE
    rate = ratio(row["checked_in"], row["expected"])
    return {
        "activities": row["activities"],
        "teachers_reached": row["reached"],
        "checked_in": row["checked_in"],
        "expected": row["expected"],
        "attendance_rate": None if rate is None else min(1.0, rate),
    }


def sum_metric(key: str, parts: Iterable[tuple[float, float]], window: Period, **kw) -> dict:
    """A metric whose done and target are sums over units (pairings, members …)."""
    parts = list(parts)
    target = sum(t for _, t in parts)
    if not target:
        return {}
    return metric(key, done=sum(d for d, _ in parts), target=target, window=window, **kw)


def by_key(metrics: list[dict]) -> dict:
    """Metrics keyed by target (untracked, empty ones left out)."""
    return {m["key"]: m for m in metrics if m}


# ---- pairings ------------------------------------------------------------------------------


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# The two below are pure functions of a frozen Period and a pairing's cycle, and most
# pairings share a cycle: cached, a city's 656 pairings cost a few distinct calls instead
# of 2,600 (with 65,000 month_days): a third of the engine's Python time in bench/summary.
@lru_cache(maxsize=4096)
def _counted_months(
    period: Period, start: date | None = None, end: date | None = None
) -> tuple[int, ...]:
    """Months of the period (0-based) in which work is asked: not a school holiday (August,
    the summer holiday, opens 秋) and, for a pairing, inside its cycle [start, end]."""
    out = []
    for i in range(period.months_total):
        first, last = period.month_days(i)
        if first.month in period.holidays:
            continue
        if (end is None or first <= end) and (start is None or last >= start):
            out.append(i)
    return tuple(out)


@lru_cache(maxsize=4096)
def _own_window(
    period: Period,
    counted: tuple[int, ...],
    start: date | None = None,
    end: date | None = None,
) -> Period:
    """The part of the period work can be done in: from its first counted month (or the
    cycle start, if later) to the cycle end; pace is judged over that, not over holidays."""
    first = max(period.first, start) if start else period.first
    if counted:
        first = max(first, period.month_days(counted[0])[0])
    last = min(period.last, end) if end else period.last
    return period.clipped(first, last) if first <= last else period


def teaching_window(period: Period) -> Period:
    """The period from its first teaching month (a unit without a cycle: an alliance)."""
    return _own_window(period, _counted_months(period))


def _visit_metric(
    visited: set[int], period: Period, window: Period, counted: tuple[int, ...]
) -> dict:
    """每月到园: a month counts once it is a counted month that has begun; a past one without a
    visit is a certain miss; the current one is at risk once half of it went by unvisited."""
    completed = min(period.months_completed, period.months_total)
    begun = period.months_begun if not period.over else period.months_total
    missed = [m for m in counted if m < completed and m not in visited]
    current = begun - 1 if begun > completed else None
    month_at_risk = (
        current in counted and current not in visited and period.month_share(current) >= 0.5
    )
    return metric(
        "monthly_visits",
        done=sum(1 for m in counted if m in visited),
        target=len(counted),
        window=window,
        certain_miss=bool(missed),
        pace=False,
        extra={
            "months_begun": sum(1 for m in counted if m < begun),
            "months_missed": len(missed),
            "month_at_risk": bool(month_at_risk),
        },
    )


class _CycleWindows:
    """A pairing cycle's counted months and windows in the period and its year, computed once
    per distinct cycle of a report (most pairings share one). Looking them up in the caches
    above hashed the Period four times per pairing: 656 pairings, 5 ms of the city's Python."""

    def __init__(self, period: Period, year: Period):
        self.period, self.year = period, year
        self.seen: dict[tuple[date, date], tuple[tuple[int, ...], Period, Period]] = {}

    def of(self, pairing: dict) -> tuple[tuple[int, ...], Period, Period]:
        cycle = _as_date(pairing["cycle_start"]), _as_date(pairing["cycle_end"])
        found = self.seen.get(cycle)
        if found is None:
            counted = _counted_months(self.period, *cycle)
            found = self.seen[cycle] = (
                counted,
                _own_window(self.period, counted, *cycle),
                _own_window(self.year, _counted_months(self.year, *cycle), *cycle),
            )
        return found


def _pairing_metrics(
    pairing: dict, facts: dict, visited: set[int], period: Period, windows: _CycleWindows
) -> list:
    targets = pairing_targets(pairing["targets"])
    counted, window, year_window = windows.of(pairing)
    out = []
    if targets["send_hours_per_semester"]:
        out.append(
            metric(
                "send_hours",
                done=facts.get("send_hours", 0.0),
                target=targets["send_hours_per_semester"] * period.semesters,
                window=window,
            )
        )
    if targets["lectures_per_semester"]:
        out.append(
            metric(
                "lectures",
                done=facts.get("lectures", 0),
                target=targets["lectures_per_semester"] * period.semesters,
                window=window,
            )
        )
    if targets["visit_every_month"] and counted:
        out.append(_visit_metric(visited, period, window, counted))
    if targets["shadow_teachers_per_semester"]:
        out.append(
            metric(
                "shadow_teachers",
                done=facts.get("shadow_teachers", 0),
                target=targets["shadow_teachers_per_semester"] * period.semesters,
                window=window,
            )
        )
    if targets["trainings_per_year"]:
        out.append(
            metric(
                "trainings",
                done=facts.get("trainings", 0),
                target=targets["trainings_per_year"],
                window=year_window,
            )
        )
    return out


async def build_pairing_items(
    period: Period,
    pairs: dict[int, dict],
    *,
    filtered: bool,
    figures: bool = True,
    calendar: SemesterCalendar | None = None,
    trained: Awaitable[dict[int, int]] | None = None,
) -> list[dict]:
    """Report items of the given pairings (`filtered`: restrict queries to their ids).

    Without `figures` (roll-ups that only need targets) names, attendance and families
    are left out, which spares the heaviest query. `trained`: the 集中培训 counts
    (target_counts.trainings_attended) if the caller has started reading them already.
    """
    ids = set(pairs) if filtered else None
    sides = {p["supporting_id"] for p in pairs.values()} | {
        p["supported_id"] for p in pairs.values()
    }
    year = year_of(period, calendar=calendar or configured_calendar())
    facts, visits, shadowed, trained, attendance, names = await asyncio.gather(
        target_counts.pairing_facts(period, ids),
        target_counts.visit_months(period, ids),
        target_counts.shadow_teachers(period, ids),
        trained if trained is not None else target_counts.trainings_attended(year, ids),
        attendance_counts.attendance(period, "pairing", ids) if figures and pairs else _nothing(),
        units.kindergartens(ids=sides) if figures and pairs else _nothing(),
    )
    family = None
    if figures and pairs:
        family = await (await FamilyFigures(period).load(sides)).load_pairings()
    items = []
    windows = _CycleWindows(period, year)
    for pid, p in sorted(pairs.items()):
        counted = {
            **facts.get(pid, {}),
            "shadow_teachers": shadowed.get(pid, 0),
            "trainings": trained.get(pid, 0),
        }
        metrics = _pairing_metrics(p, counted, visits.get(pid, set()), period, windows)
        shown = attendance_figures(attendance.get(pid)) if figures else None
        if family is not None:
            shown["families"] = family.of({p["supporting_id"], p["supported_id"]}, pairing_id=pid)
        items.append(
            {
                "pairing_id": pid,
                "name": _pairing_name(p, names),
                "supporting": _named(p["supporting_id"], names),
                "supported": _named(p["supported_id"], names),
                "alliance_id": p["alliance_id"],
                "region_id": p["region_id"],
                "period": period.label,
                "targets": by_key(metrics),
                "figures": shown,
                "score": completion(metrics),
                "behind": [m["key"] for m in behind(metrics)],
                "manual": manual_targets(pairing_targets(p["targets"])),
            }
        )
    return items


async def _nothing() -> dict:
    return {}


def _named(kid: int, names: dict[int, dict]) -> dict:
    row = names.get(kid)
    return {"id": kid, "name": row["name"] if row else None}


def _pairing_name(p: dict, names: dict[int, dict]) -> str:
    a, b = names.get(p["supporting_id"]), names.get(p["supported_id"])
    return f"{a['name'] if a else '?'} → {b['name'] if b else '?'}"


async def pairing_reports(
    *, period: Period, scope: ReportScope, pairing_id: int | None = None
) -> list[dict]:
    """Every pairing in scope (or one) with its targets, figures and score."""
    if scope.empty:
        return []
    pairs = await units.pairings(
        period,
        ids={pairing_id} if pairing_id is not None else None,
        kindergarten_ids=scope.kindergartens(),
        alliance_ids=scope.alliances(),
    )
    filtered = pairing_id is not None or not scope.everything
    return await build_pairing_items(period, pairs, filtered=filtered)


# ---- alliances -----------------------------------------------------------------------------


def members_by_alliance(kgs: dict[int, dict]) -> dict[int, set[int]]:
    """Ids of member kindergartens per alliance, among `kgs`."""
    out: dict[int, set[int]] = {}
    for kid, row in kgs.items():
        if row["alliance_id"] is not None:
            out.setdefault(row["alliance_id"], set()).add(kid)
    return out


def _alliance_metrics(
    alliance: dict,
    members: set[int],
    *,
    count: int,
    key: dict,
    insp: dict,
    openings: int,
    period: Period,
    year: Period,
) -> list[dict]:
    inspected_members = members - {alliance["lead_id"]}
    lead_open = []
    if alliance["lead_id"] is not None:
        lead_open.append(
            metric(
                "lead_open_days",
                done=openings,
                target=LEAD_OPEN_DAYS_PER_SEMESTER * period.semesters,
                window=teaching_window(period),
            )
        )
    return lead_open + [
        metric("alliance_activities", done=count, target=ALLIANCE_ACTIVITIES_PER_YEAR, window=year),
        sum_metric(
            "inspection_coverage",
            ((1 if insp.get(k) else 0, 1) for k in inspected_members),
            year,
        ),
        sum_metric(
            "key_teachers_sending",
            ((key[k]["key_sent"], key[k]["key_teachers"]) for k in members if k in key),
            period,
        ),
    ]


async def alliance_reports(
    *, period: Period, scope: ReportScope, calendar: SemesterCalendar | None = None
) -> list[dict]:
    """Every alliance in scope with its yearly and semester targets and its pairings' mean."""
    if scope.empty:
        return []
    year = year_of(period, calendar=calendar)
    als = await units.alliances(ids=scope.alliances())
    if not als:
        return []
    ids = None if scope.everything else set(als)
    kgs = await units.kindergartens(alliance_ids=set(als))
    kg_ids = None if scope.everything else set(kgs)
    pairs = {
        pid: p
        for pid, p in (await units.pairings(period, alliance_ids=set(als))).items()
        if p["alliance_id"] in als
    }
    counts, key, insp, openings, attendance, pairing_items, family = await asyncio.gather(
        target_counts.alliance_activities(year, ids),
        target_counts.key_teachers(period, kg_ids),
        target_counts.inspections(year, kg_ids),
        target_counts.lead_openings(period, ids),
        attendance_counts.attendance(period, "alliance", ids),
        build_pairing_items(
            period, pairs, filtered=not scope.everything, figures=False, calendar=calendar
        ),
        FamilyFigures(period).load(kg_ids),
    )
    by_alliance: dict[int, list[dict]] = {}
    for item in pairing_items:
        by_alliance.setdefault(item["alliance_id"], []).append(item)
    members_of = members_by_alliance(kgs)
    items = []
    for aid, alliance in sorted(als.items()):
        members = members_of.get(aid, set())
        metrics = _alliance_metrics(
            alliance,
            members,
            count=counts.get(aid, 0),
            key=key,
            insp=insp,
            openings=openings.get(aid, 0),
            period=period,
            year=year,
        )
        own = by_alliance.get(aid, [])
        scores = [i["score"] for i in own if i["score"] is not None]
        pairing_score = round(sum(scores) / len(scores), 4) if scores else None
        parts = [min(1.0, m["done"] / m["target"]) for m in metrics if m and m["target"]]
        if pairing_score is not None:
            parts.append(pairing_score)
        figures = attendance_figures(attendance.get(aid))
        figures.update(
            members=len(members),
            pairings=len(own),
            pairings_on_track=sum(1 for i in own if not i["behind"]),
            pairing_score=pairing_score,
            families=family.of(members),
        )
        items.append(
            {
                "alliance_id": aid,
                "name": alliance["name"],
                "region_id": alliance["region_id"],
                "lead_id": alliance["lead_id"],
                "period": period.label,
                "year": year.label,
                "targets": by_key(metrics),
                "figures": figures,
                "score": round(sum(parts) / len(parts), 4) if parts else None,
                "behind": [m["key"] for m in behind([m for m in metrics if m])],
            }
        )
    return items


# ---- kindergartens -------------------------------------------------------------------------


async def kindergarten_reports(
    *, period: Period, scope: ReportScope, calendar: SemesterCalendar | None = None
) -> list[dict]:
    """Every kindergarten in scope: its pairings given and received, 骨干教师, 视导."""
    if scope.empty:
        return []
    year = year_of(period, calendar=calendar)
    kgs = await units.kindergartens(ids=scope.kindergartens())
    if not kgs:
        return []
    ids = None if scope.everything else set(kgs)
    pairs = await units.pairings(period, kindergarten_ids=ids)
    leads = {
        a["lead_id"]
        for a in (
            await units.alliances(ids={k["alliance_id"] for k in kgs.values()} - {None})
        ).values()
    }
    key, insp, attendance, pairing_items, family = await asyncio.gather(
        target_counts.key_teachers(period, ids),
        target_counts.inspections(year, ids),
        attendance_counts.attendance(period, "kindergarten", ids),
        build_pairing_items(
            period, pairs, filtered=ids is not None, figures=False, calendar=calendar
        ),
        FamilyFigures(period).load(ids),
    )
    given: dict[int, list[dict]] = {}
    received: dict[int, list[dict]] = {}
    for item in pairing_items:
        given.setdefault(item["supporting"]["id"], []).append(item)
        received.setdefault(item["supported"]["id"], []).append(item)
    items = []
    for kid, kg in sorted(kgs.items()):
        mine, theirs = given.get(kid, []), received.get(kid, [])
        metrics = given_metrics(mine, period) + [
            sum_metric("send_hours_received", _parts(theirs, "send_hours"), period),
            sum_metric(
                "key_teachers_sending",
                [(key[kid]["key_sent"], key[kid]["key_teachers"])] if kid in key else [],
                period,
            ),
        ]
        if kg["alliance_id"] is not None and kid not in leads:
            done = min(1, insp.get(kid, 0))
            metrics.append(metric("inspected", done=done, target=1, window=year))
        figures = attendance_figures(attendance.get(kid))
        figures.update(
            pairings_given=len(mine),
            pairings_received=len(theirs),
            inspections=insp.get(kid, 0),
            families=family.of({kid}),
        )
        items.append(
            {
                "kindergarten_id": kid,
                "name": kg["name"],
                "level": kg["level"],
                "region_id": kg["region_id"],
                "alliance_id": kg["alliance_id"],
                "period": period.label,
                "targets": by_key(metrics),
                "figures": figures,
                "score": completion([m for m in metrics if m]),
                "behind": [m["key"] for m in behind([m for m in metrics if m])],
            }
        )
    return items


async def kindergarten_hours_targets(
    *, period: Period, kindergarten_ids: set[int], calendar: SemesterCalendar | None = None
) -> list[dict]:
    """送教课时 given and received by each kindergarten against its pairings' targets.

    The same sums as `kindergarten_reports` (a director's 本园概况), without the rest:
    what a teacher's home shows beside her own 课时, since the seeds set 课时 targets per
    pairing (每学期送教不低于10课时), not per teacher.
    """
    if not kindergarten_ids:
        return []
    kgs = await units.kindergartens(ids=kindergarten_ids)
    pairs = await units.pairings(period, kindergarten_ids=set(kgs))
    items = await build_pairing_items(
        period, pairs, filtered=True, figures=False, calendar=calendar
    )
    out = []
    for kid, kg in sorted(kgs.items()):
        given = [i for i in items if i["supporting"]["id"] == kid]
        received = [i for i in items if i["supported"]["id"] == kid]
        for key, mine in (("send_hours", given), ("send_hours_received", received)):
            m = sum_metric(key, _parts(mine, "send_hours"), period)
            if m:
                out.append({**m, "kindergarten_id": kid, "kindergarten_name": kg["name"]})
    return out


def _parts(items: list[dict], key: str) -> list[tuple[float, float]]:
    """(done, target) of one target over pairing items that track it."""
    return [
        (i["targets"][key]["done"], i["targets"][key]["target"])
        for i in items
        if key in i["targets"]
    ]


def given_metrics(items: list[dict], period: Period) -> list[dict]:
    """Sums of pairings' targets: 送教课时, 专题讲座, 每月到园 (a missed month is final)."""
    missed = any(i["targets"].get("monthly_visits", {}).get("months_missed") for i in items)
    return [
        sum_metric("send_hours", _parts(items, "send_hours"), period),
        sum_metric("lectures", _parts(items, "lectures"), period),
        sum_metric(
            "monthly_visits",
            _parts(items, "monthly_visits"),
            period,
            certain_miss=missed,
            pace=False,
        ),
    ]
