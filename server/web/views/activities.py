"""Console pages: activities – the list, create and edit, one activity's page and its life
(publish, finish, cancel). The activity's other pages live beside it: activity_live (poster,
projector, live board), activity_checkins (补签, 作废, 签退, sign-in sheet) and
activity_archive (photos, consent, the two-side record card)."""

from __future__ import annotations

from sanic import Blueprint, Request

from server.activities import notify
from server.activities import service as activities
from server.checkin import organizer
from server.common.errors import DomainError
from server.common.params import Params
from server.web.console import NavItem, add_nav, back, console_page, render
from server.web.forms import form, query, shown
from server.web.views.activity_form import (
    BASE,
    RUNNERS,
    ActivityForm,
    NewActivityForm,
    edit_form_again,
    host_choices,
    local,
    new_form_again,
    show_form,
)

bp = Blueprint("console_activities")
VIEWERS = ("organizer", "director", "leader")
add_nav(NavItem("活动", BASE, VIEWERS, order=10))
#: What the organizer is told after each status change (activities.<action>_activity).
STATUS_MESSAGES = {
    "publish": "已发布，受邀教师将收到通知",
    "finish": "活动已结束",
    "cancel": "活动已取消",
}


class StatusQuery(Params):
    """?status= (draft, published, …): the list's filter."""

    status: str | None = None


class ReasonForm(Params):
    """Why an activity is cancelled."""

    reason: str = ""


# ---- list, create, edit ----------------------------------------------------------------------


@bp.get("/activities")
@console_page(*VIEWERS)
@query(StatusQuery)
async def activity_list(request: Request, query: StatusQuery):
    """Activities within the caller's sight, newest first."""
    data = await activities.list_activities(
        principal=request.ctx.principal, status=query.status, limit=100, offset=0
    )
    for item in data["items"]:
        item["when"] = shown(item["starts_at"])
    return render(
        request,
        "web/activities/list.html",
        items=data["items"],
        total=data["total"],
        chosen=query.status or "",
        may_create=request.ctx.principal.has(*RUNNERS),
    )


@bp.get("/activities/new")
@console_page(*RUNNERS)
async def new_activity(request: Request):
    """The form for a new activity."""
    hosts = await host_choices(request)
    # The venue starts as the first host's stored place; console.js follows the host choice.
    first = hosts[0] if hosts else {}
    venue = {k: first.get(k) for k in ("address", "lat", "lng")}
    activity = {"host_id": first.get("id"), **venue}
    return await show_form(
        request, activity=activity, presenters=[], action=f"{BASE}/new", hosts=hosts
    )


@bp.post("/activities/new")
@console_page(*RUNNERS)
@form(NewActivityForm, again=new_form_again)
async def create_activity(request: Request, body: NewActivityForm):
    """Create a draft activity from the form."""
    created = await activities.create_activity(
        principal=request.ctx.principal,
        host_id=body.host_id,
        invitee_ids=body.invitee_ids,
        **body.fields(),
    )
    return back(f"{BASE}/{created['id']}", "活动已创建（草稿），确认无误后请发布")


@bp.get("/activities/<activity_id:int>/edit")
@console_page(*RUNNERS)
async def edit_activity(request: Request, activity_id: int):
    """The form of an activity's details."""
    data = await activities.get_activity(principal=request.ctx.principal, activity_id=activity_id)
    shown_data = {**data, "starts_at": local(data["starts_at"]), "ends_at": local(data["ends_at"])}
    return await show_form(
        request,
        activity=shown_data,
        presenters=data["presenters"],
        action=f"{BASE}/{activity_id}/edit",
    )


@bp.post("/activities/<activity_id:int>/edit")
@console_page(*RUNNERS)
@form(ActivityForm, again=edit_form_again)
async def save_activity(request: Request, activity_id: int, body: ActivityForm):
    """Save the edited details."""
    await activities.update_activity(
        principal=request.ctx.principal, activity_id=activity_id, changes=body.changes()
    )
    return back(f"{BASE}/{activity_id}", "已保存")


# ---- one activity ------------------------------------------------------------------------------


async def _attendance(request: Request, activity_id: int) -> dict | None:
    """The attendance for its runners; None for others (a runner of another kindergarten)."""
    principal = request.ctx.principal
    if not principal.has(*RUNNERS):
        return None
    try:
        attendance = await organizer.attendance(principal=principal, activity_id=activity_id)
    except DomainError:
        return None
    for row in attendance.get("checkins", []):
        row["when"] = shown(row.get("scanned_at"))
        row["left"] = shown(row.get("checkout_at"))[-5:]
    return attendance


@bp.get("/activities/<activity_id:int>")
@console_page(*VIEWERS)
async def activity_page(request: Request, activity_id: int):
    """One activity: details, actions and (for its runners) the attendance."""
    data = await activities.get_activity(principal=request.ctx.principal, activity_id=activity_id)
    data["when"] = f"{shown(data['starts_at'])} – {shown(data['ends_at'])}"
    data["window"] = f"{shown(data['checkin_opens_at'])} – {shown(data['checkin_closes_at'])}"
    attendance = await _attendance(request, activity_id)
    # Only its runners can act on a message that did not go out (issue 16: no silent failure).
    failure = await notify.event_failure(activity_id=activity_id) if attendance else None
    return render(
        request,
        "web/activities/detail.html",
        activity=data,
        attendance=attendance,
        notify_failure=failure,
    )


@bp.post("/activities/<activity_id:int>/<action:publish|finish|cancel>")
@console_page(*RUNNERS)
@form(ReasonForm)
async def change_status(request: Request, activity_id: int, action: str, body: ReasonForm):
    """Publish, finish or cancel an activity."""
    change = getattr(activities, f"{action}_activity")
    reason = {"reason": body.reason} if action == "cancel" else {}
    await change(principal=request.ctx.principal, activity_id=activity_id, **reason)
    return back(f"{BASE}/{activity_id}", STATUS_MESSAGES[action])
