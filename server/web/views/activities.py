"""Console pages: activities – list, create and edit, poster, projector, live board, check-ins,
sign-in sheet, the archive (photos, consent) and the two-side record card."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from sanic import Blueprint, Request, raw, redirect
from sanic.response import file as file_response

from server.activities import notify, poster, projector
from server.activities import service as activities
from server.activities.models import ActivityKind, AudienceMode
from server.activities.rules import AUDIENCE_LABELS
from server.archive import service as archive
from server.checkin import export as checkin_export
from server.checkin import organizer
from server.checkin.stream import stream_live
from server.common.errors import DomainError
from server.common.time import CHINA, china, now
from server.common.uploads import read_multipart
from server.orgs import service as orgs
from server.stopping import close_connection_after
from server.web.console import NavItem, add_nav, back, page, render

bp = Blueprint("console_activities")
RUNNERS = ("organizer", "director")
VIEWERS = ("organizer", "director", "leader")
add_nav(NavItem("活动", "/console/activities", VIEWERS, order=10))
BASE = "/console/activities"


def _when(value: str, label: str) -> datetime:
    try:
        parsed = datetime.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise DomainError("invalid_input", f"请填写{label}，格式如 2026-11-27 14:30") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)


def _local(iso: str | None) -> str:
    """An ISO time as <input type=datetime-local> shows it, in China time."""
    if not iso:
        return ""
    return china(datetime.fromisoformat(iso)).strftime("%Y-%m-%dT%H:%M")


def _shown(iso: str | None) -> str:
    return china(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M") if iso else ""


def _number(value: str | None, label: str, *, default: float = 0) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError as exc:
        raise DomainError("invalid_input", f"{label}须为数字") from exc


def _place_of(kindergarten: dict) -> dict:
    return {
        "id": kindergarten["id"],
        "name": kindergarten["name"],
        "address": kindergarten.get("address") or "",
        "lat": kindergarten.get("lat"),
        "lng": kindergarten.get("lng"),
    }


async def _host_choices(request: Request) -> list[dict]:
    """Where the caller may host: her kindergartens, then the 被帮扶园 of her active pairings.

    Each with its stored address and coordinates, to prefill the venue.
    """
    principal = request.ctx.principal
    if principal.is_admin:
        data = await orgs.list_kindergartens(principal=principal, limit=500, offset=0)
        return [_place_of(k) for k in data["items"]]
    mine = principal.scope_ids("kindergarten", RUNNERS)
    pairings = await orgs.list_pairings(
        principal=principal, active_on=china(now()).date(), limit=500, offset=0
    )
    partners = [p["supported_id"] for p in pairings["items"] if p["supporting_id"] in mine]
    out = []
    for kid in [*sorted(mine), *dict.fromkeys(k for k in partners if k not in mine)]:
        kg = await orgs.get_kindergarten(principal=principal, kindergarten_id=kid)
        place = _place_of(kg)
        if kid not in mine:
            place["name"] = f"{kg['name']}（被帮扶园）"
        out.append(place)
    return out


async def _pairing_choices(request: Request) -> list[dict]:
    """Pairings the caller's kindergartens take part in (admins: all)."""
    principal = request.ctx.principal
    data = await orgs.list_pairings(principal=principal, limit=500, offset=0)
    mine = principal.scope_ids("kindergarten", RUNNERS)
    return [
        {"id": p["id"], "name": f"{p['supporting_name']} → {p['supported_name']}"}
        for p in data["items"]
        if principal.is_admin or {p["supporting_id"], p["supported_id"]} & mine
    ]


#: Presenter rows in the activity form; 送教课时 are the presenters' hours.
PRESENTER_ROWS = 3


async def _presenter_choices(request: Request) -> list[dict]:
    """Staff of the kindergartens the caller runs activities for, to pick presenters from."""
    out = []
    for kg in await _host_choices(request):
        staff = await orgs.list_teachers(
            principal=request.ctx.principal,
            kindergarten_id=kg["id"],
            active=True,
            limit=200,
            offset=0,
        )
        out += [
            {"id": t["person_id"], "name": f"{t['name']}（{kg['name']}）"} for t in staff["items"]
        ]
    return out


def _presenters(form) -> list[dict]:
    out = []
    for i in range(1, PRESENTER_ROWS + 1):
        person = form.get(f"presenter_{i}")
        if not person:
            continue
        try:
            out.append(
                {
                    "person_id": int(person),
                    "hours": _number(form.get(f"presenter_{i}_hours"), "主讲课时", default=1),
                    "topic": (form.get(f"presenter_{i}_topic") or "").strip(),
                    "class_name": (form.get(f"presenter_{i}_class_name") or "").strip(),
                    "subject_area": form.get(f"presenter_{i}_subject_area") or "",
                }
            )
        except ValueError as exc:
            raise DomainError("invalid_input", "请选择主讲人") from exc
    return out


def _invitees(form) -> list[int]:
    """The people ticked in the invitation list (按名单邀请, or invited besides the audience)."""
    try:
        return [int(v) for v in form.getlist("invitee_ids") or []]
    except ValueError as exc:
        raise DomainError("invalid_input", "邀请名单有误，请刷新页面后重试") from exc


def _presenter_rows(presenters: list[dict]) -> list[dict]:
    rows = [dict(p) for p in presenters[:PRESENTER_ROWS]]
    return rows + [{} for _ in range(PRESENTER_ROWS - len(rows))]


def _pairing_id(form) -> int | None:
    try:
        return int(form.get("pairing_id")) if form.get("pairing_id") else None
    except ValueError as exc:
        raise DomainError("invalid_input", "请选择结对") from exc


def _coordinate(form, name: str, label: str) -> float | None:
    value = (form.get(name) or "").strip()
    return _number(value, label) if value else None


def _form_fields(form) -> dict:
    return {
        "lat": _coordinate(form, "lat", "纬度"),
        "lng": _coordinate(form, "lng", "经度"),
        "radius_m": int(_number(form.get("radius_m"), "签到范围", default=500)),
        "pairing_id": _pairing_id(form),
        "title": (form.get("title") or "").strip(),
        "kind": form.get("kind") or "",
        "starts_at": _when(form.get("starts_at"), "开始时间"),
        "ends_at": _when(form.get("ends_at"), "结束时间"),
        "address": (form.get("address") or "").strip(),
        "audience_mode": form.get("audience_mode") or None,
        "attendee_hours": _number(form.get("attendee_hours"), "课时"),
        "plan": (form.get("plan") or "").strip(),
        "presenters": _presenters(form),
    }


def _echo(form) -> dict:
    """The submitted form, one value per field, to show it again with an error."""
    return {key: form.get(key) for key in form}


def _echo_presenters(form) -> list[dict]:
    return [
        {
            "person_id": form.get(f"presenter_{i}"),
            "hours": form.get(f"presenter_{i}_hours"),
            "topic": form.get(f"presenter_{i}_topic"),
            "class_name": form.get(f"presenter_{i}_class_name"),
            "subject_area": form.get(f"presenter_{i}_subject_area"),
        }
        for i in range(1, PRESENTER_ROWS + 1)
        if form.get(f"presenter_{i}")
    ]


def _form_context(**extra) -> dict:
    return {
        "kinds": [k.value for k in ActivityKind],
        "modes": [(m.value, AUDIENCE_LABELS[m]) for m in AudienceMode],
        "invited": [],
        **extra,
    }


# ---- list, create, edit ----------------------------------------------------------------------


@bp.get("/activities")
@page(*VIEWERS)
async def activity_list(request: Request):
    """Activities within the caller's sight, newest first."""
    status = request.args.get("status") or None
    data = await activities.list_activities(
        principal=request.ctx.principal, status=status, limit=100, offset=0
    )
    for item in data["items"]:
        item["when"] = _shown(item["starts_at"])
    return render(
        request,
        "web/activities/list.html",
        items=data["items"],
        total=data["total"],
        chosen=status or "",
        may_create=request.ctx.principal.has(*RUNNERS),
    )


@bp.get("/activities/new")
@page(*RUNNERS)
async def new_activity(request: Request):
    """The form for a new activity."""
    hosts = await _host_choices(request)
    # The venue starts as the first host's stored place; console.js follows the host choice.
    first = hosts[0] if hosts else {}
    venue = {k: first.get(k) for k in ("address", "lat", "lng")}
    return render(
        request,
        "web/activities/form.html",
        **_form_context(
            hosts=hosts,
            pairings=await _pairing_choices(request),
            people=await _presenter_choices(request),
            activity={"host_id": first.get("id"), **venue},
            presenters=_presenter_rows([]),
            action=f"{BASE}/new",
            error="",
        ),
    )


@bp.post("/activities/new")
@page(*RUNNERS)
async def create_activity(request: Request):
    """Create a draft activity from the form."""
    form = request.form
    try:
        fields = _form_fields(form)
        host_id = int(form.get("host_id") or 0)
        invitees = _invitees(form)
        if fields["audience_mode"] == AudienceMode.INVITED.value and not invitees:
            # Nobody could check in: the console has no later step to add them.
            raise DomainError("no_invitees", "按名单邀请时，请在邀请名单中至少勾选一人")
        created = await activities.create_activity(
            principal=request.ctx.principal, host_id=host_id, invitee_ids=invitees, **fields
        )
    except (DomainError, ValueError) as exc:
        message = exc.message if isinstance(exc, DomainError) else "请选择主办幼儿园"
        hosts = await _host_choices(request)
        return render(
            request,
            "web/activities/form.html",
            status=400,
            **_form_context(
                hosts=hosts,
                pairings=await _pairing_choices(request),
                people=await _presenter_choices(request),
                activity=_echo(form),
                presenters=_presenter_rows(_echo_presenters(form)),
                invited=form.getlist("invitee_ids") or [],
                action=f"{BASE}/new",
                error=message,
            ),
        )
    return back(f"{BASE}/{created['id']}", "活动已创建（草稿），确认无误后请发布")


@bp.get("/activities/<activity_id:int>/edit")
@page(*RUNNERS)
async def edit_activity(request: Request, activity_id: int):
    """The form of an activity's details."""
    data = await activities.get_activity(principal=request.ctx.principal, activity_id=activity_id)
    shown = {**data, "starts_at": _local(data["starts_at"]), "ends_at": _local(data["ends_at"])}
    return render(
        request,
        "web/activities/form.html",
        **_form_context(
            hosts=[],
            pairings=await _pairing_choices(request),
            people=await _presenter_choices(request),
            activity=shown,
            presenters=_presenter_rows(data["presenters"]),
            action=f"{BASE}/{activity_id}/edit",
            error="",
        ),
    )


@bp.post("/activities/<activity_id:int>/edit")
@page(*RUNNERS)
async def save_activity(request: Request, activity_id: int):
    """Save the edited details."""
    try:
        changes = _form_fields(request.form)
        if not changes["audience_mode"]:
            changes.pop("audience_mode")
        await activities.update_activity(
            principal=request.ctx.principal, activity_id=activity_id, changes=changes
        )
    except DomainError as exc:
        return render(
            request,
            "web/activities/form.html",
            status=exc.status,
            **_form_context(
                hosts=[],
                pairings=await _pairing_choices(request),
                people=await _presenter_choices(request),
                activity={"id": activity_id, **_echo(request.form)},
                presenters=_presenter_rows(_echo_presenters(request.form)),
                action=f"{BASE}/{activity_id}/edit",
                error=exc.message,
            ),
        )
    return back(f"{BASE}/{activity_id}", "已保存")


@bp.get("/activities/<activity_id:int>")
@page(*VIEWERS)
async def activity_page(request: Request, activity_id: int):
    """One activity: details, actions and (for its runners) the attendance."""
    principal = request.ctx.principal
    data = await activities.get_activity(principal=principal, activity_id=activity_id)
    data["when"] = f"{_shown(data['starts_at'])} – {_shown(data['ends_at'])}"
    data["window"] = f"{_shown(data['checkin_opens_at'])} – {_shown(data['checkin_closes_at'])}"
    attendance = None
    if principal.has(*RUNNERS):
        try:
            attendance = await organizer.attendance(principal=principal, activity_id=activity_id)
        except DomainError:
            attendance = None  # a runner of another kindergarten: details only
    # Only its runners can act on a message that did not go out (issue 16: no silent failure).
    notify_failure = await notify.event_failure(activity_id=activity_id) if attendance else None
    for row in (attendance or {}).get("checkins", []):
        row["when"] = _shown(row.get("scanned_at"))
        row["left"] = _shown(row.get("checkout_at"))[-5:]
    return render(
        request,
        "web/activities/detail.html",
        activity=data,
        attendance=attendance,
        notify_failure=notify_failure,
    )


@bp.post("/activities/<activity_id:int>/<action:publish|finish|cancel>")
@page(*RUNNERS)
async def change_status(request: Request, activity_id: int, action: str):
    """Publish, finish or cancel an activity."""
    principal = request.ctx.principal
    if action == "publish":
        await activities.publish_activity(principal=principal, activity_id=activity_id)
        message = "已发布，受邀教师将收到通知"
    elif action == "finish":
        await activities.finish_activity(principal=principal, activity_id=activity_id)
        message = "活动已结束"
    else:
        await activities.cancel_activity(
            principal=principal, activity_id=activity_id, reason=request.form.get("reason", "")
        )
        message = "活动已取消"
    return back(f"{BASE}/{activity_id}", message)


# ---- poster, projector, live board -----------------------------------------------------------


@bp.get("/activities/<activity_id:int>/poster.png")
@page(*RUNNERS)
async def poster_png(request: Request, activity_id: int):
    """The printable poster with the activity's check-in code."""
    png = await poster.activity_poster(
        principal=request.ctx.principal,
        activity_id=activity_id,
        settings=request.app.ctx.settings,
        wechat=request.app.ctx.wechat,
    )
    name = quote(f"签到海报-{activity_id}.png")
    return raw(
        png,
        content_type="image/png",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@bp.post("/activities/<activity_id:int>/projector")
@page(*RUNNERS)
async def open_projector(request: Request, activity_id: int):
    """A fresh projector link; the browser goes on to the projector page."""
    link = await projector.projector_link(
        principal=request.ctx.principal,
        activity_id=activity_id,
        settings=request.app.ctx.settings,
    )
    return redirect(link["url"], status=303)


@bp.get("/activities/<activity_id:int>/live")
@page(*RUNNERS)
async def live_page(request: Request, activity_id: int):
    """The live board: counts and arrivals as they happen."""
    principal = request.ctx.principal
    data = await activities.get_activity(principal=principal, activity_id=activity_id)
    attendance = await organizer.attendance(principal=principal, activity_id=activity_id)
    return render(request, "web/activities/live.html", activity=data, attendance=attendance)


@bp.get("/activities/<activity_id:int>/live/stream")
@page(*RUNNERS)
async def live_stream(request: Request, activity_id: int):
    """The live board's server-sent events (counts, and who arrived)."""
    activity = await projector.authorize_display(
        activity_id=activity_id,
        token=None,
        principal=request.ctx.principal,
        jwt_secret=request.app.ctx.settings.jwt_secret,
    )
    await organizer.attendance(principal=request.ctx.principal, activity_id=activity_id)
    response = await request.respond(
        content_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    await stream_live(
        send=response.send,
        redis=request.app.ctx.redis,
        activity=activity,
        detailed=True,
        max_seconds=3600,
        stopping=request.app.ctx.stopping,
    )
    if request.app.ctx.stopping.is_set():
        close_connection_after(request)  # its browser reconnects to a running process
    await response.eof()


# ---- check-ins -------------------------------------------------------------------------------


@bp.post("/activities/<activity_id:int>/checkins")
@page(*RUNNERS)
async def manual_checkin(request: Request, activity_id: int):
    """补签: record someone present, with a reason."""
    try:
        person_id = int(request.form.get("person_id") or 0)
    except ValueError as exc:
        raise DomainError("invalid_input", "请选择补签人员") from exc
    await organizer.manual_check_in(
        principal=request.ctx.principal,
        activity_id=activity_id,
        person_id=person_id,
        reason=request.form.get("reason", ""),
        redis=request.app.ctx.redis,
        late=bool(request.form.get("late")),
    )
    return back(f"{BASE}/{activity_id}", "已补签")


@bp.post("/activities/<activity_id:int>/checkins/<checkin_id:int>/annul")
@page(*RUNNERS)
async def annul_checkin(request: Request, activity_id: int, checkin_id: int):
    """Annul a check-in, with a reason."""
    await organizer.annul_check_in(
        principal=request.ctx.principal,
        checkin_id=checkin_id,
        reason=request.form.get("reason", ""),
        redis=request.app.ctx.redis,
        # The page's activity: a check-in of another activity is not on this page.
        activity_id=activity_id,
    )
    return back(f"{BASE}/{activity_id}", "签到已作废")


@bp.post("/activities/<activity_id:int>/checkins/<checkin_id:int>/checkout")
@page(*RUNNERS)
async def checkout_checkin(request: Request, activity_id: int, checkin_id: int):
    """签退 someone who is leaving; her 课时 follow the time on site."""
    done = await organizer.check_out(
        principal=request.ctx.principal,
        checkin_id=checkin_id,
        redis=request.app.ctx.redis,
        # The page's activity: a check-in of another activity is not on this page.
        activity_id=activity_id,
    )
    return back(f"{BASE}/{activity_id}", done["message"])


@bp.get("/activities/<activity_id:int>/signin-sheet.xlsx")
@page(*RUNNERS)
async def signin_sheet(request: Request, activity_id: int):
    """The sign-in sheet (.xlsx)."""
    data, filename = await checkin_export.signin_sheet(
        principal=request.ctx.principal, activity_id=activity_id
    )
    return raw(
        data,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


# ---- archive and record card -----------------------------------------------------------------


@bp.get("/activities/<activity_id:int>/archive")
@page(*VIEWERS)
async def archive_page(request: Request, activity_id: int):
    """Photos and attachments, consent, the record and both sides' confirmation."""
    card = await archive.get_record_card(principal=request.ctx.principal, activity_id=activity_id)
    return render(
        request,
        "web/activities/archive.html",
        card=card,
        labels=archive.TEXT_LABELS,
        may_edit=request.ctx.principal.has(*RUNNERS),
    )


@bp.post("/activities/<activity_id:int>/archive/files")
@page(*RUNNERS)
async def upload(request: Request, activity_id: int):
    """Upload a photo or an attachment."""
    read_multipart(request)
    upload = (request.files or {}).get("file")
    if upload is None or not upload.body:
        raise DomainError("invalid_input", "请选择要上传的文件")
    settings = request.app.ctx.settings
    await archive.upload_file(
        principal=request.ctx.principal,
        activity_id=activity_id,
        kind=request.form.get("kind") or "photo",
        data=upload.body,
        filename=upload.name,
        caption=request.form.get("caption") or "",
        consent=bool(request.form.get("consent")),
        data_dir=settings.data_dir,
        max_bytes=settings.max_upload_mb * 1024 * 1024,
    )
    return back(f"{BASE}/{activity_id}/archive", "已上传")


@bp.post("/activities/<activity_id:int>/archive/files/<file_id:int>/consent")
@page(*RUNNERS)
async def set_consent(request: Request, activity_id: int, file_id: int):
    """Mark a photo as consented for publishing, or take the consent back."""
    consent = request.form.get("consent") == "1"
    await archive.update_file(principal=request.ctx.principal, file_id=file_id, consent=consent)
    return back(f"{BASE}/{activity_id}/archive", "已同意公开" if consent else "已撤回公开同意")


@bp.get("/archive/files/<file_id:int>")
@page(*VIEWERS)
async def archive_file(request: Request, file_id: int):
    """A photo or attachment the caller may see."""
    path, name, content_type = await archive.file_for_download(
        principal=request.ctx.principal, file_id=file_id, data_dir=request.app.ctx.settings.data_dir
    )
    return await file_response(
        path, mime_type=content_type, headers={"Content-Disposition": "inline"}
    )


@bp.post("/activities/<activity_id:int>/archive/record")
@page(*RUNNERS)
async def save_record(request: Request, activity_id: int):
    """Save the record's texts (plan, measures, summary, reflection)."""
    changes = {key: request.form.get(key, "") for key in archive.TEXT_LABELS}
    await archive.update_record(
        principal=request.ctx.principal, activity_id=activity_id, changes=changes
    )
    return back(f"{BASE}/{activity_id}/archive", "记录已保存")


@bp.post("/activities/<activity_id:int>/archive/confirm")
@page(*RUNNERS)
async def confirm_card(request: Request, activity_id: int):
    """Confirm the record card for the caller's side."""
    await archive.confirm_record_card(
        principal=request.ctx.principal,
        activity_id=activity_id,
        side=request.form.get("side") or None,
    )
    return back(f"{BASE}/{activity_id}/archive", "已确认帮扶记录卡")
