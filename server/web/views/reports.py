"""Console pages: reports – pairings, kindergartens, alliances and regions against their
targets (coloured by status), rankings, alerts, a semester/year picker and the .xlsx table.

Directors see their kindergarten and its pairings; leaders their region or alliance (and
the alliance, region and ranking tables); admins everything – as server/reports/views.py.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from sanic import Blueprint, Request, raw

from server.common.params import Params, Text
from server.common.runtime import current
from server.common.semester import semester_of
from server.common.time import now
from server.reports import service as reports
from server.reports import summary_reads
from server.web.console import PREFIX, NavItem, add_nav, back, console_page, render
from server.web.forms import form, query

bp = Blueprint("console_reports")
DIRECTORS_UP = ("director", "leader")  # admins always pass
LEADERS = ("leader",)
add_nav(NavItem("统计报表", "/console/reports", DIRECTORS_UP, order=50))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Status of a target → the CSS class of its badge, and of its table cell.
BADGES = {"met": "ok", "on_track": "", "at_risk": "warn", "missed": "bad"}
CELLS = {"met": "ok", "on_track": "", "at_risk": "warn", "missed": "error"}
#: The tables only leaders (and admins) see, for everyone else.
NOT_A_LEADER = {"alliances": None, "regions": None, "ranking": None}


def _choices(current: str) -> dict:
    """Semesters and years to pick from: this one and the two years before."""
    year = int(current[:4])
    semesters = [f"{y}{s}" for y in range(year, year - 3, -1) for s in ("秋", "春")]
    if current.endswith("春"):
        semesters.remove(f"{year}秋")  # not begun yet
    return {"semesters": semesters, "years": [str(y) for y in range(year, year - 3, -1)]}


class ReportQuery(Params):
    """?semester=2026秋 or ?year=2026 (the year wins), and ?by=pairing for the ranking."""

    semester: Text | None = None
    year: Text | None = None
    by: str | None = None


class SummaryForm(Params):
    """Which summaries to make now: kind (weekly or semester) and period."""

    kind: Text = ""
    period: Text | None = None


def _period(request: Request, query: ReportQuery) -> dict:
    year = query.year or None
    return {
        "principal": request.ctx.principal,
        "semester": None if year else (query.semester or None),
        "year": year,
        "calendar": current().settings.semester_calendar,
    }


def _columns(items: list[dict]) -> list[tuple[str, str]]:
    """The targets of a table, in the order they first appear."""
    seen: dict[str, str] = {}
    for item in items:
        for key, target in item["targets"].items():
            seen.setdefault(key, target["label"])
    return list(seen.items())


def _table(items: list[dict], link: str = "", id_key: str = "") -> dict:
    """A targets table; `link` + the item's `id_key` opens the unit in the organisation pages."""
    return {
        "columns": _columns(items),
        "rows": [
            {"name": i["name"], "href": f"{link}/{i[id_key]}" if link else "", "item": i}
            for i in items
        ],
    }


async def _scope_tables(period: dict) -> dict:
    """The pairing and kindergarten tables, and the alerts, within the caller's scope."""
    pairings = await reports.pairings(**period)
    kindergartens = await reports.kindergartens(**period)
    # Alerts judge a semester's pace: for a year, the current semester's.
    alerts = await reports.alerts(
        principal=period["principal"], semester=period["semester"], calendar=period["calendar"]
    )
    return {
        "period_label": pairings["period"],
        "pairings": _table(pairings["items"], "/console/orgs/pairings", "pairing_id"),
        "kindergartens": _table(
            kindergartens["items"], "/console/orgs/kindergartens", "kindergarten_id"
        ),
        "alerts": alerts,
    }


async def _leader_tables(period: dict, by: str | None) -> dict:
    """The alliance, region and ranking tables a leader (or admin) also sees."""
    alliances = await reports.alliances(**period)
    regions = await reports.regions(**period)
    by = "pairing" if by == "pairing" else "alliance"
    ranking = await reports.ranking(by=by, **period)
    ranking.update(by=by, by_label="结对" if by == "pairing" else "联盟")
    region_items = []
    if regions:
        region_items = regions["items"] + ([regions["total"]] if regions.get("total") else [])
    return {
        "alliances": _table(alliances["items"], "/console/orgs/alliances", "alliance_id")
        if alliances
        else None,
        "regions": _table(region_items) if regions else None,
        "ranking": ranking,
    }


def _picker(period: dict) -> dict:
    """The semester/year picker, what is chosen, and the export link's query."""
    chosen = (("semester", period["semester"]), ("year", period["year"]))
    return {
        "chosen_semester": period["semester"] or "",
        "chosen_year": period["year"] or "",
        "export_query": urlencode({k: v for k, v in chosen if v}),
        "choices": _choices(semester_of(now(), period["calendar"])),
    }


@bp.get("/reports")
@console_page(*DIRECTORS_UP)
@query(ReportQuery)
async def report_page(request: Request, query: ReportQuery):
    """Every table within the caller's scope for the chosen semester or year."""
    principal, period = request.ctx.principal, _period(request, query)
    leads = principal.has(*LEADERS)
    scope = await _scope_tables(period)
    wider = await _leader_tables(period, query.by) if leads else NOT_A_LEADER
    # Summaries that could not be made: said here, never only in the log (issue 16).
    failures = await summary_reads.failed_summaries(principal=principal)
    return render(
        request,
        "web/reports/index.html",
        **{**scope, **wider, **_picker(period), "badges": BADGES, "cells": CELLS},
        may_export=leads,
        may_run_summary=principal.is_admin,
        summary_failures=failures,
    )


@bp.get("/reports/export.xlsx")
@console_page(*LEADERS)
@query(ReportQuery)
async def export(request: Request, query: ReportQuery):
    """The whole targets table (.xlsx), one sheet per level."""
    content, filename = await reports.export_workbook(**_period(request, query))
    return raw(
        content,
        content_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@bp.post("/reports/summaries/run")
@console_page(*LEADERS)
@form(SummaryForm)
async def run_summary(request: Request, body: SummaryForm):
    """An admin makes and pushes a week's or a semester's summaries now (once per leader)."""
    result = await summary_reads.run_now(
        principal=request.ctx.principal,
        kind=body.kind,
        period=body.period or None,
        calendar=current().settings.semester_calendar,
    )
    return back(
        f"{PREFIX}/reports",
        f"{result['kind_label']} {result['period']} 已生成 {result['summaries']} 份，"
        f"新推送领导 {result['leaders_told']} 人（已推送过的不再重复）",
    )
