"""Console pages: notices – compose with the audience picker, schedule, receipts by class,
remind non-readers, the RSVP list and feedback."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator
from sanic import Blueprint, Request

from server.activities import service as activities
from server.common.errors import DomainError
from server.common.params import Digits, Flag, FormIds, FormInt, FormWhen, Params, Text
from server.notices import feedback, reading, receipts, reminders
from server.notices import service as notices
from server.notices.service import ACK_LABELS, AckMode
from server.orgs import service as orgs
from server.web.console import NavItem, add_nav, back, console_page, render
from server.web.forms import echo, form, query, shown

bp = Blueprint("console_notices")
SENDERS = ("organizer", "director")
WATCHERS = ("organizer", "director", "leader")
add_nav(NavItem("通知", "/console/notices", WATCHERS, order=20))
BASE = "/console/notices"


#: A notice's recipients, ticked in the audience picker.
RECIPIENTS = "收件人选择有误，请刷新页面后重试"


def _when(label: str) -> Any:
    return FormWhen(label, bad=f"{label}格式不正确，如 2026-11-27 14:30")


class NoticeForm(Params):
    """The compose form: kindergarten, audience, text, answer mode, schedule, link."""

    # A malformed number here was always told as the capacity's (one message for both).
    kindergarten_id: FormInt("名额") = 0
    title: Text = ""
    body: Text = ""
    whole: Flag = False
    grades: list[str] = []
    class_ids: FormIds(RECIPIENTS) = []
    teacher_ids: FormIds(RECIPIENTS) = []
    ack_mode: str = "read"
    deadline: _when("截止时间") | None = None
    capacity: FormInt("名额") | None = None
    activity_id: FormInt("活动", bad="关联的活动不存在或您无权查看") | None = None
    send: str = "draft"
    publish_at: _when("定时发送时间") | None = None

    @model_validator(mode="before")
    @classmethod
    def _schedule_only(cls, data: dict) -> dict:
        # The sending time counts only when scheduling.
        if data.get("send") != "schedule":
            data.pop("publish_at", None)
        return data

    def audience(self) -> dict:
        """The audience as the notice service reads it."""
        return {
            "kindergarten": self.whole,
            "grades": self.grades,
            "class_ids": self.class_ids,
            "teacher_ids": self.teacher_ids,
        }

    def notice(self) -> dict:
        """Keyword arguments of notices.create_and_publish."""
        fields = self.model_dump(exclude={"whole", "grades", "class_ids", "teacher_ids"})
        return {**fields, "audience": self.audience()}


class PublishForm(Params):
    """A draft's sending time (now when blank)."""

    publish_at: _when("定时发送时间") | None = None


class ReasonForm(Params):
    """Why a notice is withdrawn."""

    reason: str = ""


class ComposeQuery(Params):
    """?kindergarten_id= (the sender's first kindergarten when absent or not hers)."""

    kindergarten_id: Digits = None


class ReceiptsQuery(Params):
    """?only=unread/unconfirmed/unanswered: the people list's filter."""

    only: str | None = None


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
        {"id": a["id"], "name": f"{shown(a['starts_at'])} {a['title']}（{a['host_name']}）"}
        for a in rows
    ]


@bp.get("/notices")
@console_page(*WATCHERS)
async def notice_list(request: Request):
    """Notices sent for the caller's kindergartens, with read and answer totals."""
    data = await reading.list_sent(principal=request.ctx.principal, limit=100, offset=0)
    for item in data["items"]:
        item["when"] = shown(item.get("published_at") or item.get("publish_at"))
    return render(
        request,
        "web/notices/list.html",
        items=data["items"],
        may_send=request.ctx.principal.has(*SENDERS),
    )


@bp.get("/notices/new")
@console_page(*SENDERS)
@query(ComposeQuery)
async def compose(request: Request, query: ComposeQuery):
    """Compose a notice: kindergarten, audience, text, answer mode, schedule."""
    return await _compose(request, chosen=query.kindergarten_id)


async def _compose(
    request: Request, error: str = "", status: int = 200, values=None, chosen: int | None = None
):
    kindergartens = await _kindergartens(request)
    if not kindergartens:
        raise DomainError("forbidden", "您没有可以发送通知的幼儿园")
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


def _audience_echo(request: Request) -> dict:
    """The ticked audience, to tick it again (ids that are not numbers are dropped)."""
    data = request.form or {}

    def ids(name: str) -> list[int]:
        return [int(v) for v in data.getlist(name) or [] if v.isdigit()]

    return {
        "kindergarten": bool(data.get("whole")),
        "grades": data.getlist("grades") or [],
        "class_ids": ids("class_ids"),
        "teacher_ids": ids("teacher_ids"),
    }


async def _compose_again(request: Request, exc: DomainError) -> Any:
    values = {**echo(request), "audience": _audience_echo(request)}
    chosen = str(values.get("kindergarten_id") or "")
    return await _compose(
        request,
        error=exc.message,
        status=400,
        values=values,
        chosen=int(chosen) if chosen.isdigit() else None,
    )


@bp.post("/notices/new")
@console_page(*SENDERS)
@form(NoticeForm, again=_compose_again)
async def create(request: Request, body: NoticeForm):
    """Create the notice, then publish it now, at the chosen time, or keep the draft."""
    created, message = await notices.create_and_publish(
        principal=request.ctx.principal, **body.notice()
    )
    return back(f"{BASE}/{created['id']}", message)


@bp.get("/notices/<notice_id:int>")
@console_page(*WATCHERS)
@query(ReceiptsQuery)
async def notice_page(request: Request, notice_id: int, query: ReceiptsQuery):
    """A notice with its receipts by class, the people list, RSVP and feedback."""
    principal, only = request.ctx.principal, query.only
    data = await reading.get_notice(principal=principal, notice_id=notice_id)
    rollup = await receipts.rollup(principal=principal, notice_id=notice_id, limit=200, only=only)
    summary = await feedback.summary(principal=principal, notice_id=notice_id)
    data["when"] = shown(data.get("published_at") or data.get("publish_at"))
    data["deadline_shown"] = shown(data.get("deadline"))
    return render(
        request,
        "web/notices/detail.html",
        notice=data,
        rollup=rollup,
        feedback=summary,
        only=only or "",
    )


@bp.post("/notices/<notice_id:int>/publish")
@console_page(*SENDERS)
@form(PublishForm)
async def publish(request: Request, notice_id: int, body: PublishForm):
    """Publish a draft now, or at a time."""
    await notices.publish_notice(
        principal=request.ctx.principal, notice_id=notice_id, publish_at=body.publish_at
    )
    return back(f"{BASE}/{notice_id}", "已定时发送" if body.publish_at else "已发送")


@bp.post("/notices/<notice_id:int>/announce")
@console_page(*SENDERS)
async def announce_again(request: Request, notice_id: int):
    """Send again a publication the system gave up on."""
    sent = await notices.retry_announce(principal=request.ctx.principal, notice_id=notice_id)
    return back(f"{BASE}/{notice_id}", sent["publish_error"] or "已重新发送")


@bp.post("/notices/<notice_id:int>/remind")
@console_page(*SENDERS)
async def remind(request: Request, notice_id: int):
    """Remind those who have not read (or confirmed, or answered)."""
    result = await reminders.remind_now(principal=request.ctx.principal, notice_id=notice_id)
    return back(f"{BASE}/{notice_id}", result["message"])


@bp.post("/notices/<notice_id:int>/cancel")
@console_page(*SENDERS)
@form(ReasonForm)
async def cancel(request: Request, notice_id: int, body: ReasonForm):
    """Withdraw a notice."""
    await notices.cancel_notice(
        principal=request.ctx.principal, notice_id=notice_id, reason=body.reason
    )
    return back(f"{BASE}/{notice_id}", "通知已取消")
