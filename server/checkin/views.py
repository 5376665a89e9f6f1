"""Check-in endpoints: scan, organizer tools, live board, sign-in sheet, my hours."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from pydantic import BeforeValidator
from sanic import Blueprint, Request, json
from sanic.response import raw
from sanic_ext import openapi, validate

from server.activities import access
from server.audit.service import activity_log
from server.checkin import export, hours, organizer, overview, service
from server.checkin.live_events import stream_live
from server.checkin.schemas import (
    AnnulBody,
    AttendanceAnswer,
    CheckinAnswer,
    CheckinBody,
    CheckinView,
    CheckoutAnswer,
    HoursAnswer,
    ManualCheckinBody,
    MyCheckin,
    OverviewAnswer,
)
from server.common.auth import ANY_ACCOUNT, PUBLIC, requires
from server.common.errors import DomainError
from server.common.params import Params
from server.common.rate_limit import client_address
from server.common.runtime import configured_calendar, current
from server.common.semester import semester_of, semester_range
from server.common.time import CHINA, now
from server.metrics import counters
from server.stopping import close_connection_after

bp = Blueprint("checkin", url_prefix="/api/v1")
RUNNERS = ("organizer", "director")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.post("/checkins")
@openapi.definition(body=CheckinBody, summary="扫码签到", tag="签到", secured="token")
@openapi.response(
    200,
    {"application/json": CheckinAnswer},
    "签到成功或已签到（拒绝时为 422，error 与 reason 为原因代码，message 为中文说明）",
)
@requires(ANY_ACCOUNT)
@validate(json=CheckinBody)
async def check_in(request: Request, body: CheckinBody):
    """Check in with a scanned scene; retries with the same nonce get the same answer."""
    await _limit_scans(request)
    result = await service.check_in(
        principal=request.ctx.principal,
        scene=body.scene,
        nonce=body.nonce,
        location=body.location.model_dump() if body.location else None,
        scanned_at=_china_time(body.scanned_at),
        adults=body.adults,
        children=body.children,
    )
    counters.checkin(result=result["status"], reason=result["reason"])
    refused = result["status"] == "refused"
    return json({**result, "error": result["reason"]}, status=422) if refused else json(result)


async def _limit_scans(request: Request) -> None:
    # Offline queues sync through here too. A whole kindergarten behind one router shares
    # an address: that limit is generous, the per-account one tight.
    await current().limiter.hit_all(
        ("checkin_per_address", (client_address(request),)),
        ("checkin_per_account", (request.ctx.principal.account_id,)),
    )


def _china_time(moment: datetime | None) -> datetime | None:
    """A scan time without a zone is China time (the phone's clock)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=CHINA)
    return moment


@bp.get("/activities/<activity_id:int>/attendance")
@openapi.definition(summary="签到情况（名单与统计）", tag="签到", secured="token")
@openapi.response(200, {"application/json": AttendanceAnswer}, "统计、签到名单、待核对与未签到")
@requires(*RUNNERS)
async def attendance(request: Request, activity_id: int):
    """Counts, the checked-in list with flags, and the absent list."""
    return json(
        await organizer.attendance(principal=request.ctx.principal, activity_id=activity_id)
    )


def _seconds(value: object) -> float:
    try:
        return max(1.0, min(float(value), 3600.0))
    except (TypeError, ValueError) as exc:
        raise DomainError("invalid_input", "参数 max_seconds 必须是数字") from exc


class LiveQuery(Params):
    """?t= (the projector's token) and ?max_seconds= (1–3600, for tests and proxies)."""

    t: str | None = None
    max_seconds: Annotated[float, BeforeValidator(_seconds)] | None = None


async def stream_events(request: Request, activity, *, detailed: bool, max_seconds) -> None:
    """Answer with the activity's live board as server-sent events until it ends."""
    response = await request.respond(
        content_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    stopping = request.app.ctx.stopping
    await stream_live(
        send=response.send,
        activity=activity,
        detailed=detailed,
        max_seconds=max_seconds,
        stopping=stopping,
    )
    if stopping.is_set():
        close_connection_after(request)  # its browser reconnects to a running process
    await response.eof()


@bp.get("/activities/<activity_id:int>/live")
@openapi.definition(summary="实时签到看板（SSE）", tag="签到", secured="token")
@openapi.parameter("t", str, "query", description="放映链接中的令牌（投影屏使用）")
@requires(PUBLIC)
@validate(query=LiveQuery)
async def live(request: Request, activity_id: int, query: LiveQuery):
    """Server-sent events: `counts` after every change; organizers also get `checkin`.

    Opened by a manager's login, or by the projector page with its token in ?t=, which
    sees only the counts: the screen is public in the room.
    """
    from server.activities.views import principal_or_projector

    activity = await principal_or_projector(request, activity_id, query.t)
    detailed = not query.t and request.ctx.principal is not None
    await stream_events(request, activity, detailed=detailed, max_seconds=query.max_seconds)


@bp.post("/activities/<activity_id:int>/checkins")
@openapi.definition(body=ManualCheckinBody, summary="补签", tag="签到", secured="token")
@openapi.response(201, {"application/json": CheckinView}, "补签的签到记录")
@requires(*RUNNERS)
@validate(json=ManualCheckinBody)
async def manual_check_in(request: Request, activity_id: int, body: ManualCheckinBody):
    """Record someone present by hand, with a reason (audit-logged)."""
    data = await organizer.manual_check_in(
        principal=request.ctx.principal,
        activity_id=activity_id,
        **body.model_dump(),
    )
    return json(data, status=201)


@bp.post("/checkins/<checkin_id:int>/annul")
@openapi.definition(body=AnnulBody, summary="作废签到", tag="签到", secured="token")
@openapi.response(200, {"application/json": CheckinView}, "已作废的签到记录")
@requires(*RUNNERS)
@validate(json=AnnulBody)
async def annul(request: Request, checkin_id: int, body: AnnulBody):
    """Annul a check-in with a reason (audit-logged)."""
    return json(
        await organizer.annul_check_in(
            principal=request.ctx.principal,
            checkin_id=checkin_id,
            reason=body.reason,
        )
    )


@bp.post("/checkins/<checkin_id:int>/checkout")
@openapi.definition(summary="签退", tag="签到", secured="token")
@openapi.response(200, {"application/json": CheckoutAnswer}, "签到记录、在场分钟数与所计课时")
@requires(ANY_ACCOUNT)
async def checkout(request: Request, checkin_id: int):
    """Record leaving; answers the minutes on site."""
    return json(await organizer.check_out(principal=request.ctx.principal, checkin_id=checkin_id))


@bp.get("/activities/<activity_id:int>/signin-sheet.xlsx")
@openapi.definition(summary="导出签到表", tag="签到", secured="token")
@requires(*RUNNERS)
async def signin_sheet(request: Request, activity_id: int):
    """The sign-in sheet as an Excel workbook."""
    content, filename = await export.signin_sheet(
        principal=request.ctx.principal, activity_id=activity_id
    )
    return raw(
        content,
        content_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="signin.xlsx"; '
            f"filename*=UTF-8''{quote(filename)}"
        },
    )


@bp.get("/activities/<activity_id:int>/audit")
@openapi.definition(summary="活动操作记录", tag="签到", secured="token")
@requires(*RUNNERS)
async def audit(request: Request, activity_id: int):
    """Who did what to the activity's records, newest first."""
    await access.get_managed_activity(principal=request.ctx.principal, activity_id=activity_id)
    return json(await activity_log(activity_id=activity_id))


@bp.get("/me/checkins")
@openapi.definition(summary="我的签到", tag="签到", secured="token")
@openapi.response(200, {"application/json": list[MyCheckin]}, "最近的签到，新的在前")
@requires(ANY_ACCOUNT)
async def my_checkins(request: Request):
    """The caller's check-ins, newest first."""
    return json(await organizer.my_checkins(principal=request.ctx.principal))


@bp.get("/me/overview")
@openapi.definition(summary="我的本学期概况（下一个活动、课时与目标）", tag="签到", secured="token")
@openapi.response(
    200,
    {"application/json": OverviewAnswer},
    "本人课时、所在园的送教课时目标（无目标时为空列表）、下一个应参加的活动（没有时为 null）",
)
@requires(ANY_ACCOUNT)
async def my_overview(request: Request):
    """The caller's next activity, this semester's 课时 and her kindergartens' targets."""
    return json(
        await overview.my_overview(
            principal=request.ctx.principal, calendar=current().settings.semester_calendar
        )
    )


#: The hours of an account that is no person (an admin).
NO_HOURS = {"presenter_hours": 0, "attendee_hours": 0, "total_hours": 0, "entries": []}


class SemesterQuery(Params):
    """?semester=2026秋; this semester when absent."""

    semester: str | None = None


def _semester(value: str | None) -> str:
    """The semester asked for (this one when None), refused when it is no semester."""
    semester = value or semester_of(now(), configured_calendar())
    try:
        semester_range(semester, configured_calendar())
    except ValueError as exc:
        raise DomainError("invalid_semester", str(exc)) from exc
    return semester


@bp.get("/me/hours")
@openapi.definition(summary="我的学时（按学期）", tag="签到", secured="token")
@openapi.response(200, {"application/json": HoursAnswer}, "该学期的主讲、参加课时与明细")
@openapi.parameter("semester", str, "query")
@requires(ANY_ACCOUNT)
@validate(query=SemesterQuery)
async def my_hours(request: Request, query: SemesterQuery):
    """The caller's 课时 in a semester (default: this one)."""
    semester = _semester(query.semester)
    person_id = request.ctx.principal.person_id
    if person_id is None:
        return json({"semester": semester, **NO_HOURS})
    return json(await hours.hours_of(person_id=person_id, semester=semester))
