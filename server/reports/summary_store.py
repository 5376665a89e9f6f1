"""Leaders' summaries: a week's or a semester's work in one scope, made once and stored.

A summary is the data of one scope (a region, an alliance, or the city) for one period
(the week Monday–Sunday, or a semester), counted as of the period's end so that a job
run twice, or late, makes the same numbers. It holds what happened (activities by kind,
check-ins, 课时, teachers reached), the semester's targets progress, the at-risk alerts,
the ranking (通报) and parents' satisfaction. Stored once per (kind, period, scope): the
page, the chart, the markdown and every push read the same row.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError

from server.common.errors import DomainError
from server.common.semester import SemesterCalendar, semester_of
from server.common.time import china, now
from server.ledger import service as ledger
from server.reports import (
    activity_totals,
    attendance_counts,
    family_checkins,
    hooks,
    parents,
    rankings,
    units,
)
from server.reports.alerts import at_risk
from server.reports.builders import alliance_reports
from server.reports.models import Summary
from server.reports.periods import Period, semester_period, week_period
from server.reports.regions import region_reports
from server.reports.scope import CITY, ReportScope, build_scope

KINDS = {"weekly": "工作周报", "semester": "学期总结"}
SCOPE_KINDS = ("region", "alliance", "city")
#: Lists kept in a summary (the page shows them; the markdown shows fewer).
MAX_ALERTS = 30
MAX_RANKED = 10


@dataclass(frozen=True)
class SummaryScope:
    """Whose summary: a region, an alliance, or the whole city (id 0)."""

    kind: str
    id: int

    @classmethod
    def parse(cls, text: str) -> SummaryScope:
        """From "region:3", "alliance:5" or "city"; DomainError invalid_scope otherwise."""
        kind, _, raw = (text or "").partition(":")
        if kind == "city" and raw in ("", "0"):
            return cls("city", 0)
        if kind in ("region", "alliance") and raw.isdigit():
            return cls(kind, int(raw))
        raise DomainError("invalid_scope", "范围格式应为 region:编号、alliance:编号 或 city")

    @property
    def key(self) -> str:
        """The scope as text, e.g. region:3."""
        return f"{self.kind}:{self.id}"

    async def report_scope(self) -> ReportScope:
        """The reports engine's scope of these units."""
        if self.kind == "city":
            return CITY
        if self.kind == "region":
            return await build_scope(region_ids={self.id})
        return await build_scope(alliance_ids={self.id})

    @property
    def level(self) -> tuple[str, set[int] | None]:
        """(attendance level, ids) of the activities that belong to the scope."""
        if self.kind == "city":
            return "region", None
        return self.kind, {self.id}


def last_week(at: datetime) -> Period:
    """The whole week (Monday–Sunday, China time) before the week of `at`."""
    today = china(at).date()
    monday = today - timedelta(days=today.weekday() + 7)
    return week_period(monday, at=at)


def ended_semester(
    at: datetime, calendar: SemesterCalendar | None, *, grace_days: int
) -> str | None:
    """The semester that ended at most `grace_days` before `at`, else None."""
    today = china(at).date()
    previous = semester_of(today - timedelta(days=grace_days), calendar)
    current = semester_of(today, calendar)
    return previous if previous != current else None


def periods_of(kind: str, period: str, calendar: SemesterCalendar | None) -> tuple[Period, Period]:
    """(window of what happened, semester of the targets), both seen at the window's end."""
    if kind == "weekly":
        try:
            year, week = period.split("-W")
            monday = date.fromisocalendar(int(year), int(week), 1)
        except ValueError as exc:
            raise DomainError("invalid_period", "周报时段格式应为 2026-W10") from exc
        probe = week_period(monday)
        window = week_period(monday, at=probe.until)
        semester = semester_period(
            semester_of(window.last, calendar), calendar=calendar, at=window.until
        )
        return window, semester
    if kind == "semester":
        probe = semester_period(period, calendar=calendar)
        window = semester_period(period, calendar=calendar, at=probe.until)
        return window, window
    raise DomainError("invalid_input", "简报类型只能是 weekly（周报）或 semester（学期总结）")


async def scope_name(scope: SummaryScope) -> str:
    """The scope's name (全市, a region's or an alliance's); DomainError when it is gone."""
    if scope.kind == "city":
        return "全市"
    rows = await (units.regions if scope.kind == "region" else units.alliances)(ids={scope.id})
    if scope.id not in rows:
        raise DomainError("not_found", "该范围不存在")
    return rows[scope.id]["name"]


def _attendance(rows: dict, scope: SummaryScope) -> dict:
    if scope.kind != "city":
        row = rows.get(scope.id) or {}
        return {k: row.get(k, 0) for k in ("activities", "checked_in", "reached", "expected")}
    keyed = [r for k, r in rows.items() if k is not None]
    total = {k: sum(r[k] for r in keyed) for k in ("activities", "checked_in", "expected")}
    total["reached"] = (rows.get(None) or {}).get("reached", 0)
    return total


async def _happened(window: Period, scope: SummaryScope, kg_ids: set[int]) -> dict:
    level, ids = scope.level
    by_kind, hours, seen, families, stars, posts, books = await asyncio.gather(
        activity_totals.activities_by_kind(window, level, ids),
        activity_totals.hours_given(window, level, ids),
        attendance_counts.attendance(window, level, ids, with_total=scope.kind == "city"),
        family_checkins.family_checkins(window, None if scope.kind == "city" else kg_ids),
        parents.satisfaction(window, kg_ids),
        hooks.published_posts(
            since=window.since,
            until=window.asof,
            kindergarten_ids=None if scope.kind == "city" else kg_ids,
        ),
        ledger.scope_figures(
            first=window.first,
            last=window.last,
            region_ids={scope.id} if scope.kind == "region" else None,
            alliance_ids={scope.id} if scope.kind == "alliance" else None,
        ),
    )
    seen = _attendance(seen, scope)
    expected = seen["expected"]
    return {
        "activities": sum(by_kind.values()),
        "by_kind": [
            {"kind": k, "count": n} for k, n in sorted(by_kind.items(), key=lambda i: (-i[1], i[0]))
        ],
        "checkins": seen["checked_in"],
        "teachers_reached": seen["reached"],
        "expected": expected,
        "attendance_rate": round(min(1.0, seen["checked_in"] / expected), 4) if expected else None,
        **hours,
        "families_checked_in": sum(
            r["families"] for k, r in families.items() if scope.kind == "city" or k in kg_ids
        ),
        "satisfaction": _stars(stars),
        "posts_published": posts,
        # Donations and spending dated in the window (an alliance: with its pairings').
        "ledger": books,
    }


def _stars(found: dict | None) -> dict:
    if not found:
        return {"average": None, "count": 0}
    return {"average": found.get("average"), "count": found.get("count", 0)}


async def _progress(
    semester: Period, scope: SummaryScope, report_scope: ReportScope, calendar
) -> dict:
    if scope.kind == "alliance":
        items = await alliance_reports(period=semester, scope=report_scope, calendar=calendar)
        unit = next((i for i in items if i["alliance_id"] == scope.id), None)
    else:
        regions = await region_reports(period=semester, scope=report_scope, calendar=calendar)
        unit = (
            regions["total"]
            if scope.kind == "city"
            else next((i for i in regions["items"] if i["region_id"] == scope.id), None)
        )
    if unit is None:
        return {"score": None, "items": [], "pairings": 0, "pairings_on_track": 0}
    keep = ("key", "label", "unit", "done", "target", "rate", "status", "status_label", "window")
    return {
        "score": unit["score"],
        "items": [{k: m.get(k) for k in keep} for m in unit["targets"].values()],
        "pairings": unit["figures"].get("pairings", 0),
        "pairings_on_track": unit["figures"].get("pairings_on_track", 0),
    }


async def build_data(
    *,
    kind: str,
    period: str,
    scope: SummaryScope,
    calendar: SemesterCalendar | None = None,
) -> dict:
    """Every figure of a summary (not stored): counted as of the end of its period."""
    window, semester = periods_of(kind, period, calendar)
    name = await scope_name(scope)
    report_scope = await scope.report_scope()
    kg_ids = (
        set(await units.kindergartens())
        if report_scope.everything
        else set(report_scope.kindergarten_ids)
    )
    by = "pairing" if scope.kind == "alliance" else "alliance"
    happened, progress, alerts, ranked, term_stars = await asyncio.gather(
        _happened(window, scope, kg_ids),
        _progress(semester, scope, report_scope, calendar),
        at_risk(period=semester, scope=report_scope),
        rankings.rankings(by=by, period=semester, scope=report_scope, calendar=calendar),
        parents.satisfaction(semester, kg_ids),
    )
    label = (
        f"{window.first.year}年{window.first.month}月{window.first.day}日—"
        f"{window.last.month}月{window.last.day}日"
        if kind == "weekly"
        else f"{period}季学期"
    )
    keep = ("pairing_id", "name", "target", "label", "status", "status_label", "done", "goal")
    return {
        "kind": kind,
        "kind_label": KINDS[kind],
        "period": window.label,
        "period_label": label,
        "first_day": window.first.isoformat(),
        "last_day": window.last.isoformat(),
        "semester": semester.label,
        "scope": {"kind": scope.kind, "id": scope.id, "name": name},
        "happened": happened,
        "targets": progress,
        "alerts": {
            "count": len(alerts),
            "pairings": len({a["pairing_id"] for a in alerts}),
            "items": [
                {**{k: a[k] for k in keep}, "message": a["message"]} for a in alerts[:MAX_ALERTS]
            ],
        },
        "ranking": {
            "by": by,
            "by_label": "结对" if by == "pairing" else "联盟",
            "total": len(ranked["items"]),
            "items": [
                {k: r[k] for k in ("rank", "id", "name", "score")}
                for r in ranked["items"][:MAX_RANKED]
            ],
        },
        "satisfaction": {"period": happened["satisfaction"], "semester": _stars(term_stars)},
    }


def view(summary: Summary) -> dict:
    """A stored summary as the page shows it."""
    return {"id": summary.id, "generated_at": summary.generated_at.isoformat(), **summary.data}


def brief(summary: Summary) -> dict:
    """A stored summary in a list."""
    data = summary.data
    return {
        "id": summary.id,
        "kind": summary.kind,
        "kind_label": data.get("kind_label"),
        "period": summary.period,
        "period_label": data.get("period_label"),
        "scope": data.get("scope"),
        "generated_at": summary.generated_at.isoformat(),
    }


async def ensure_summary(
    *,
    kind: str,
    period: str,
    scope: SummaryScope,
    calendar: SemesterCalendar | None = None,
) -> Summary:
    """The stored summary of (kind, period, scope), made now if missing (safe in parallel)."""
    key = dict(kind=kind, period=period, scope_kind=scope.kind, scope_id=scope.id)
    found = await Summary.get_or_none(**key)
    if found is not None:
        return found
    data = await build_data(kind=kind, period=period, scope=scope, calendar=calendar)
    try:
        return await Summary.create(
            **key,
            period_end=date.fromisoformat(data["last_day"]),
            generated_at=now(),
            data=data,
        )
    except IntegrityError:
        # Another worker stored it meanwhile: theirs is the one everybody sees.
        return await Summary.get(**key)


async def latest_summary(
    *, scope: SummaryScope, calendar: SemesterCalendar | None = None, at: datetime | None = None
) -> Summary:
    """The newest summary of a scope; last week's is made on demand when there is none."""
    found = (
        await Summary.filter(scope_kind=scope.kind, scope_id=scope.id)
        .order_by("-period_end", "kind", "-id")
        .first()
    )
    if found is not None:
        return found
    week = last_week(at or now())
    return await ensure_summary(kind="weekly", period=week.label, scope=scope, calendar=calendar)
