"""Console pages of an activity's check-ins: 补签, 作废, 签退 and the sign-in sheet."""

from __future__ import annotations

from urllib.parse import quote

from sanic import Blueprint, Request, raw

from server.checkin import export as checkin_export
from server.checkin import organizer
from server.common.params import Flag, FormInt, Params
from server.web.console import back, console_page
from server.web.forms import form
from server.web.views.activity_form import BASE, RUNNERS

bp = Blueprint("console_activity_checkins")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ManualCheckinForm(Params):
    """补签: who, why, and whether she came late."""

    # Absent, she is nobody (0): the service refuses in its own words.
    person_id: FormInt("补签人员", bad="请选择补签人员") = 0
    reason: str = ""
    late: Flag = False


class ReasonForm(Params):
    """Why a check-in is annulled."""

    reason: str = ""


@bp.post("/activities/<activity_id:int>/checkins")
@console_page(*RUNNERS)
@form(ManualCheckinForm)
async def manual_checkin(request: Request, activity_id: int, body: ManualCheckinForm):
    """补签: record someone present, with a reason."""
    await organizer.manual_check_in(
        principal=request.ctx.principal,
        activity_id=activity_id,
        **body.model_dump(),
    )
    return back(f"{BASE}/{activity_id}", "已补签")


@bp.post("/activities/<activity_id:int>/checkins/<checkin_id:int>/annul")
@console_page(*RUNNERS)
@form(ReasonForm)
async def annul_checkin(request: Request, activity_id: int, checkin_id: int, body: ReasonForm):
    """Annul a check-in, with a reason."""
    await organizer.annul_check_in(
        principal=request.ctx.principal,
        checkin_id=checkin_id,
        reason=body.reason,
        # The page's activity: a check-in of another activity is not on this page.
        activity_id=activity_id,
    )
    return back(f"{BASE}/{activity_id}", "签到已作废")


@bp.post("/activities/<activity_id:int>/checkins/<checkin_id:int>/checkout")
@console_page(*RUNNERS)
async def checkout_checkin(request: Request, activity_id: int, checkin_id: int):
    """签退 someone who is leaving; her 课时 follow the time on site."""
    done = await organizer.check_out(
        principal=request.ctx.principal,
        checkin_id=checkin_id,
        # The page's activity: a check-in of another activity is not on this page.
        activity_id=activity_id,
    )
    return back(f"{BASE}/{activity_id}", done["message"])


@bp.get("/activities/<activity_id:int>/signin-sheet.xlsx")
@console_page(*RUNNERS)
async def signin_sheet(request: Request, activity_id: int):
    """The sign-in sheet (.xlsx)."""
    data, filename = await checkin_export.signin_sheet(
        principal=request.ctx.principal, activity_id=activity_id
    )
    return raw(
        data,
        content_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )
