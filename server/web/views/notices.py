"""Console pages: notices – compose with the audience picker, schedule, receipts by class,
remind non-readers, the RSVP list and feedback."""

from __future__ import annotations

from datetime import datetime

from sanic import Blueprint, Request

from server.activities import service as activities
from server.common.errors import DomainError
from server.common.time import CHINA, china
from server.notices import feedback, reading, receipts, reminders
from server.notices import service as notices
from server.notices.models import ACK_LABELS, AckMode
from server.orgs import service as orgs
from server.web.console import NavItem, add_nav, back, page, render

bp = Blueprint("console_notices")
SENDERS = ("organizer", "director")
WATCHERS = ("organizer", "director", "leader")
add_nav(NavItem("通知", "/console/notices", WATCHERS, order=20))
BASE = "/console/notices"


def _shown(iso: str | None) -> str:
    return china(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M") if iso else ""


def _when(value: str | None, label: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise DomainError("invalid_input", f"{label}格式不正确，如 2026-11-27 14:30") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)


def _ints(values: list[str] | None) -> list[int]:
    try:
        return [int(v) for v in values or []]
    except ValueError as exc:
        raise DomainError("invalid_input", "收件人选择有误，请刷新页面后重试") from exc


async def _kindergartens(request: Request) -> list[dict]:
    principal = request.ctx.principal
    if principal.is_admin:
        data = await orgs.list_kindergartens(principal=principal, limit=500, offset=0)
        return [{"id": k["id"], "name": k["name"]} for k in data["items"]]
    ids = principal.scope_ids("kindergarten", SENDERS)
    names = await orgs.kindergarten_names(kindergarten_ids=ids)
    return [{"id": i, "name": names.get(i, "")} for i in sorted(ids)]


async def _picker(request: Request, kindergarten_id: int) -> dict:
    """What the audience picker offers: the whole kindergarten, grades, classes, staff."""
    classes = await orgs.classes_of_kindergarten(kindergarten_id=kindergarten_id)
    staff = await orgs.list_teachers(
        principal=request.ctx.principal,
        kindergarten_id=kindergarten_id,
        active=True,
        limit=200,
        offset=0,
    )
    return {
        "grades": orgs.grade_names(),
        "classes": sorted(
            ({"id": cid, "name": name, "grade": grade} for cid, (name, grade) in classes.items()),
            key=lambda c: (c["grade"], c["name"]),
        ),
        "teachers": [{"id": t["person_id"], "name": t["name"]} for t in staff["items"]],
    }


async def _activity_choices(request: Request) -> list[dict]:
    """Her own activities not yet finished or cancelled, to link a notice to (RSVP, 满意度)."""
    rows = await activities.managed_open_activities(principal=request.ctx.principal)
    return [
        {"id": a["id"], "name": f"{_shown(a['starts_at'])} {a['title']}（{a['host_name']}）"}
        for a in rows
    ]


def _activity_id(form) -> int | None:
    try:
        return int(form.get("activity_id")) if form.get("activity_id") else None
    except ValueError as exc:
        raise DomainError("invalid_activity", "关联的活动不存在或您无权查看") from exc


@bp.get("/notices")
@page(*WATCHERS)
async def notice_list(request: Request):
    """Notices sent for the caller's kindergartens, with read and answer totals."""
    data = await reading.list_sent(principal=request.ctx.principal, limit=100, offset=0)
    for item in data["items"]:
        item["when"] = _shown(item.get("published_at") or item.get("publish_at"))
    return render(
        request,
        "web/notices/list.html",
        items=data["items"],
        may_send=request.ctx.principal.has(*SENDERS),
    )


@bp.get("/notices/new")
@page(*SENDERS)
async def compose(request: Request):
    """Compose a notice: kindergarten, audience, text, answer mode, schedule."""
    return await _compose(request)


async def _compose(request: Request, error: str = "", status: int = 200, values=None):
    kindergartens = await _kindergartens(request)
    if not kindergartens:
        raise DomainError("forbidden", "您没有可以发送通知的幼儿园")
    try:
        chosen = int(request.args.get("kindergarten_id") or (values or {}).get("kindergarten_id"))
    except (TypeError, ValueError):
        chosen = kindergartens[0]["id"]
    if chosen not in {k["id"] for k in kindergartens}:
        chosen = kindergartens[0]["id"]
    return render(
        request,
        "web/notices/compose.html",
        status=status,
        kindergartens=kindergartens,
        kindergarten_id=chosen,
        picker=await _picker(request, chosen),
        modes=[(m.value, ACK_LABELS[m]) for m in AckMode],
        activities=await _activity_choices(request),
        values=values or {},
        error=error,
    )


@bp.post("/notices/new")
@page(*SENDERS)
async def create(request: Request):
    """Create the notice, then publish it now, at the chosen time, or keep the draft."""
    form = request.form
    audience = {
        "kindergarten": bool(form.get("whole")),
        "grades": form.getlist("grades") or [],
        "class_ids": _ints(form.getlist("class_ids")),
        "teacher_ids": _ints(form.getlist("teacher_ids")),
    }
    try:
        kindergarten_id = int(form.get("kindergarten_id") or 0)
        capacity = int(form.get("capacity")) if form.get("capacity") else None
        created = await notices.create_notice(
            principal=request.ctx.principal,
            kindergarten_id=kindergarten_id,
            title=(form.get("title") or "").strip(),
            body=(form.get("body") or "").strip(),
            audience=audience,
            ack_mode=form.get("ack_mode") or "read",
            deadline=_when(form.get("deadline"), "截止时间"),
            capacity=capacity,
            activity_id=_activity_id(form),
        )
    except (DomainError, ValueError) as exc:
        message = exc.message if isinstance(exc, DomainError) else "名额须为数字"
        values = {k: form.get(k) for k in form}
        values.update(audience=audience)
        return await _compose(request, error=message, status=400, values=values)
    send = form.get("send") or "draft"
    if send == "draft":
        return back(f"{BASE}/{created['id']}", "草稿已保存")
    publish_at = _when(form.get("publish_at"), "定时发送时间") if send == "schedule" else None
    if send == "schedule" and publish_at is None:
        return back(f"{BASE}/{created['id']}", "草稿已保存；定时发送请填写发送时间")
    try:
        await notices.publish_notice(
            principal=request.ctx.principal, notice_id=created["id"], publish_at=publish_at
        )
    except DomainError as exc:
        return back(f"{BASE}/{created['id']}", f"草稿已保存，但未能发送：{exc.message}")
    return back(f"{BASE}/{created['id']}", "已定时发送" if publish_at else "已发送")


@bp.get("/notices/<notice_id:int>")
@page(*WATCHERS)
async def notice_page(request: Request, notice_id: int):
    """A notice with its receipts by class, the people list, RSVP and feedback."""
    principal = request.ctx.principal
    only = request.args.get("only") or None
    data = await reading.get_notice(principal=principal, notice_id=notice_id)
    rollup = await receipts.rollup(principal=principal, notice_id=notice_id, limit=200, only=only)
    summary = await feedback.summary(principal=principal, notice_id=notice_id)
    data["when"] = _shown(data.get("published_at") or data.get("publish_at"))
    data["deadline_shown"] = _shown(data.get("deadline"))
    return render(
        request,
        "web/notices/detail.html",
        notice=data,
        rollup=rollup,
        feedback=summary,
        only=only or "",
    )


@bp.post("/notices/<notice_id:int>/publish")
@page(*SENDERS)
async def publish(request: Request, notice_id: int):
    """Publish a draft now, or at a time."""
    publish_at = _when(request.form.get("publish_at"), "定时发送时间")
    await notices.publish_notice(
        principal=request.ctx.principal, notice_id=notice_id, publish_at=publish_at
    )
    return back(f"{BASE}/{notice_id}", "已定时发送" if publish_at else "已发送")


@bp.post("/notices/<notice_id:int>/announce")
@page(*SENDERS)
async def announce_again(request: Request, notice_id: int):
    """Send again a publication the system gave up on."""
    sent = await notices.retry_announce(principal=request.ctx.principal, notice_id=notice_id)
    return back(f"{BASE}/{notice_id}", sent["publish_error"] or "已重新发送")


@bp.post("/notices/<notice_id:int>/remind")
@page(*SENDERS)
async def remind(request: Request, notice_id: int):
    """Remind those who have not read (or confirmed, or answered)."""
    result = await reminders.remind_now(principal=request.ctx.principal, notice_id=notice_id)
    return back(f"{BASE}/{notice_id}", result["message"])


@bp.post("/notices/<notice_id:int>/cancel")
@page(*SENDERS)
async def cancel(request: Request, notice_id: int):
    """Withdraw a notice."""
    await notices.cancel_notice(
        principal=request.ctx.principal,
        notice_id=notice_id,
        reason=request.form.get("reason", ""),
    )
    return back(f"{BASE}/{notice_id}", "通知已取消")
