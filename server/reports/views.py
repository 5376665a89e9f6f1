"""Report endpoints: targets per pairing, alliance, kindergarten and region; alerts;
rankings (通报); the .xlsx table. Leaders see their region or alliance, directors their
kindergarten and its pairings, admins everything; teachers and parents are refused.
Leaders' summaries (工作简报): leaders and admins only."""

from __future__ import annotations

from urllib.parse import quote

from sanic import Blueprint, Request, json
from sanic.response import raw
from sanic_ext import openapi, validate

from server.common.auth import requires
from server.common.runtime import current
from server.reports import service, summary_reads
from server.reports.schemas import (
    AlertsAnswer,
    KindergartenReports,
    PairingReport,
    PeriodQuery,
    RankingAnswer,
    RankingQuery,
    SemesterQuery,
    SummaryAnswer,
    SummaryList,
    SummaryListQuery,
    SummaryScopeQuery,
)

bp = Blueprint("reports", url_prefix="/api/v1")
TAG = "统计与通报"
DIRECTORS_UP = ("director", "leader", "admin")
LEADERS = ("leader", "admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(request: Request, query: PeriodQuery) -> dict:
    return {
        "principal": request.ctx.principal,
        "semester": query.semester or None,
        "year": query.year or None,
        "calendar": current().settings.semester_calendar,
    }


@bp.get("/reports/pairings")
@openapi.definition(summary="结对帮扶目标完成情况", tag=TAG, secured="token")
@openapi.parameter("semester", str, "query", description="学期，如 2026秋（默认本学期）")
@openapi.parameter("year", str, "query", description="年度，如 2026（2026春 + 2026秋）")
@requires(*DIRECTORS_UP)
@validate(query=PeriodQuery)
async def pairing_reports(request: Request, query: PeriodQuery):
    """Every pairing in the caller's scope against its targets."""
    return json(await service.pairings(**_period(request, query)))


@bp.get("/reports/pairings/<pairing_id:int>")
@openapi.definition(summary="单个结对的目标完成情况", tag=TAG, secured="token")
@openapi.response(200, {"application/json": PairingReport}, "该结对本时段的数字、目标与落后项")
@openapi.parameter("semester", str, "query")
@openapi.parameter("year", str, "query")
@requires(*DIRECTORS_UP)
@validate(query=PeriodQuery)
async def pairing_report(request: Request, pairing_id: int, query: PeriodQuery):
    """One pairing against its targets."""
    return json(await service.pairing(pairing_id=pairing_id, **_period(request, query)))


@bp.get("/reports/alliances")
@openapi.definition(summary="联盟目标完成情况", tag=TAG, secured="token")
@openapi.parameter("semester", str, "query")
@openapi.parameter("year", str, "query")
@requires(*LEADERS)
@validate(query=PeriodQuery)
async def alliance_reports(request: Request, query: PeriodQuery):
    """Every alliance in the caller's scope against its targets."""
    return json(await service.alliances(**_period(request, query)))


@bp.get("/reports/kindergartens")
@openapi.definition(summary="幼儿园目标完成情况", tag=TAG, secured="token")
@openapi.response(200, {"application/json": KindergartenReports}, "范围内各幼儿园的数字与目标")
@openapi.parameter("semester", str, "query")
@openapi.parameter("year", str, "query")
@requires(*DIRECTORS_UP)
@validate(query=PeriodQuery)
async def kindergarten_reports(request: Request, query: PeriodQuery):
    """Every kindergarten in the caller's scope against its targets."""
    return json(await service.kindergartens(**_period(request, query)))


@bp.get("/reports/regions")
@openapi.definition(summary="教育局（区县）目标完成情况", tag=TAG, secured="token")
@openapi.parameter("semester", str, "query")
@openapi.parameter("year", str, "query")
@requires(*LEADERS)
@validate(query=PeriodQuery)
async def region_reports(request: Request, query: PeriodQuery):
    """Every region the caller leads, and their total."""
    return json(await service.regions(**_period(request, query)))


@bp.get("/reports/alerts")
@openapi.definition(summary="进度预警：按当前进度将无法完成目标的结对", tag=TAG, secured="token")
@openapi.response(200, {"application/json": AlertsAnswer}, "进度落后的结对目标")
@openapi.parameter("semester", str, "query")
@requires(*DIRECTORS_UP)
@validate(query=SemesterQuery)
async def alerts(request: Request, query: SemesterQuery):
    """Pairings that, at their pace, will miss a target of the semester."""
    return json(
        await service.alerts(
            principal=request.ctx.principal,
            semester=query.semester or None,
            calendar=current().settings.semester_calendar,
        )
    )


@bp.get("/reports/rankings")
@openapi.definition(summary="通报排名（按联盟或结对）", tag=TAG, secured="token")
@openapi.response(200, {"application/json": RankingAnswer}, "按完成度排名")
@openapi.parameter("semester", str, "query")
@openapi.parameter("year", str, "query")
@openapi.parameter("by", str, "query", description="alliance（联盟，默认）或 pairing（结对）")
@requires(*LEADERS)
@validate(query=RankingQuery)
async def rankings(request: Request, query: RankingQuery):
    """Alliances or pairings ranked by completion score."""
    return json(await service.ranking(by=query.by, **_period(request, query)))


@bp.get("/reports/export.xlsx")
@openapi.definition(summary="导出目标完成情况总表（Excel）", tag=TAG, secured="token")
@openapi.parameter("semester", str, "query")
@openapi.parameter("year", str, "query")
@requires(*LEADERS)
@validate(query=PeriodQuery)
async def export_table(request: Request, query: PeriodQuery):
    """The whole table, one sheet per level."""
    content, filename = await service.export_workbook(**_period(request, query))
    return raw(
        content,
        content_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="targets.xlsx"; '
            f"filename*=UTF-8''{quote(filename)}"
        },
    )


# ---- leaders' summaries -------------------------------------------------------------------


@bp.get("/reports/summaries")
@openapi.definition(summary="工作简报列表（周报与学期总结）", tag=TAG, secured="token")
@openapi.response(200, {"application/json": SummaryList}, "可查看的简报，新的在前")
@openapi.parameter("scope", str, "query", description="范围：region:编号、alliance:编号 或 city")
@openapi.parameter("kind", str, "query", description="weekly（周报）或 semester（学期总结）")
@openapi.parameter("period", str, "query", description="时段，如 2026-W10 或 2026春")
@openapi.parameter("limit", int, "query", description="最多条数（1–100，默认 20）")
@requires(*LEADERS)
@validate(query=SummaryListQuery)
async def summaries(request: Request, query: SummaryListQuery):
    """Summaries the caller may read, newest first."""
    return json(
        await summary_reads.list_summaries(
            principal=request.ctx.principal,
            scope=query.scope,
            kind=query.kind,
            period=query.period,
            limit=query.limit,
        )
    )


@bp.get("/reports/summaries/latest")
@openapi.definition(summary="最新一期工作简报（没有时即时生成上周周报）", tag=TAG, secured="token")
@openapi.response(200, {"application/json": SummaryAnswer}, "简报页面数据")
@openapi.parameter("scope", str, "query", description="范围：region:编号、alliance:编号 或 city")
@requires(*LEADERS)
@validate(query=SummaryScopeQuery)
async def latest_summary(request: Request, query: SummaryScopeQuery):
    """The newest summary of the caller's scope."""
    return json(
        await summary_reads.latest(
            principal=request.ctx.principal,
            scope=query.scope,
            calendar=current().settings.semester_calendar,
        )
    )


@bp.get("/reports/summaries/<summary_id:int>")
@openapi.definition(summary="一期工作简报（页面数据）", tag=TAG, secured="token")
@openapi.response(200, {"application/json": SummaryAnswer}, "简报页面数据")
@requires(*LEADERS)
async def summary(request: Request, summary_id: int):
    """One summary's page data."""
    return json(await summary_reads.one(principal=request.ctx.principal, summary_id=summary_id))


@bp.get("/reports/summaries/<summary_id:int>/chart.png")
@openapi.definition(summary="工作简报图表（PNG）", tag=TAG, secured="token")
@requires(*LEADERS)
async def summary_chart(request: Request, summary_id: int):
    """One summary's chart image."""
    png = await summary_reads.chart(principal=request.ctx.principal, summary_id=summary_id)
    return raw(png, content_type="image/png", headers={"Cache-Control": "private, max-age=300"})
