"""Notice endpoints: write and publish (senders), read and answer (recipients), roll-ups."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sanic import Blueprint, Request, json
from sanic_ext import openapi, validate

from server.common.auth import ANY_ACCOUNT, requires
from server.common.errors import DomainError
from server.common.params import IntArg, Page
from server.notices import feedback, reading, receipts, reminders, rsvp, service
from server.notices.schemas import (
    CancelBody,
    FeedbackBody,
    MyNotices,
    NoticeAnswer,
    NoticeBody,
    NoticePatch,
    PublishBody,
    ReadAnswer,
    RsvpAnswer,
    RsvpBody,
)

TAG = "通知"
SENDERS = ("organizer", "director", "admin")
WATCHERS = ("organizer", "director", "leader", "admin")
EVERYONE = ("teacher", "organizer", "director", "leader", "parent", "admin")

bp = Blueprint("notices", url_prefix="/api/v1")
B = TypeVar("B", bound=BaseModel)


def _optional_body(request: Request, model: type[B]) -> B:
    """A body that may be left out entirely (e.g. publish now)."""
    try:
        return model.model_validate(request.json or {})
    except ValidationError as exc:
        raise DomainError(
            "invalid_input", "提交的数据不符合要求", details=exc.errors(include_url=False)
        ) from exc


# ---- senders ----------------------------------------------------------------------------------


class SentQuery(Page):
    """?status=&kindergarten_id= and the page."""

    status: str | None = None
    kindergarten_id: IntArg() | None = None


class ReceiptQuery(Page):
    """The names' page, ?only=unread/unconfirmed/unanswered and ?class_id=."""

    only: str | None = None
    class_id: IntArg() | None = None


@bp.post("/notices")
@openapi.definition(body=NoticeBody, summary="新建通知（草稿）", tag=TAG, secured="token")
@requires(*SENDERS)
@validate(json=NoticeBody)
async def create_notice(request: Request, body: NoticeBody):
    """Create a draft notice."""
    data = await service.create_notice(principal=request.ctx.principal, **body.model_dump())
    return json(data, status=201)


@bp.get("/notices")
@openapi.definition(summary="已发通知列表（含阅读、回执统计）", tag=TAG, secured="token")
@openapi.parameter("status", str, "query", description="draft/scheduled/published/cancelled")
@openapi.parameter("kindergarten_id", int, "query")
@openapi.parameter("limit", int, "query")
@openapi.parameter("offset", int, "query")
@requires(*WATCHERS)
@validate(query=SentQuery)
async def list_sent(request: Request, query: SentQuery):
    """Notices of the kindergartens the caller sends for or leads."""
    return json(await reading.list_sent(principal=request.ctx.principal, **query.model_dump()))


@bp.patch("/notices/<notice_id:int>")
@openapi.definition(body=NoticePatch, summary="修改通知", tag=TAG, secured="token")
@requires(*SENDERS)
@validate(json=NoticePatch)
async def update_notice(request: Request, notice_id: int, body: NoticePatch):
    """Change a notice; readers of a published one are told."""
    return json(
        await service.update_notice(
            principal=request.ctx.principal,
            notice_id=notice_id,
            changes=body.model_dump(exclude_unset=True),
        )
    )


@bp.post("/notices/<notice_id:int>/publish")
@openapi.definition(body=PublishBody, summary="发布通知（立即或定时）", tag=TAG, secured="token")
@requires(*SENDERS)
async def publish_notice(request: Request, notice_id: int):
    """Publish now, or at publish_at."""
    body = _optional_body(request, PublishBody)
    return json(
        await service.publish_notice(
            principal=request.ctx.principal, notice_id=notice_id, publish_at=body.publish_at
        )
    )


@bp.post("/notices/<notice_id:int>/cancel")
@openapi.definition(body=CancelBody, summary="取消通知", tag=TAG, secured="token")
@requires(*SENDERS)
async def cancel_notice(request: Request, notice_id: int):
    """Withdraw a notice; recipients of a published one are told."""
    body = _optional_body(request, CancelBody)
    return json(
        await service.cancel_notice(
            principal=request.ctx.principal, notice_id=notice_id, reason=body.reason
        )
    )


@bp.post("/notices/<notice_id:int>/announce")
@openapi.definition(summary="重新发送发送失败的通知", tag=TAG, secured="token")
@requires(*SENDERS)
async def announce_again(request: Request, notice_id: int):
    """Send a publication again that the system gave up on after its retries."""
    return json(await service.retry_announce(principal=request.ctx.principal, notice_id=notice_id))


@bp.post("/notices/<notice_id:int>/remind")
@openapi.definition(summary="提醒未读或未回复的人", tag=TAG, secured="token")
@requires(*SENDERS)
async def remind(request: Request, notice_id: int):
    """Remind those who have not read or answered (not twice within 10 minutes)."""
    return json(await reminders.remind_now(principal=request.ctx.principal, notice_id=notice_id))


@bp.get("/notices/<notice_id:int>/receipts")
@openapi.definition(summary="阅读与回执统计（按班级、幼儿园汇总）", tag=TAG, secured="token")
@openapi.parameter("limit", int, "query", description="名单每页人数（≤200）")
@openapi.parameter("offset", int, "query")
@openapi.parameter("only", str, "query", description="unread / unconfirmed / unanswered")
@openapi.parameter("class_id", int, "query")
@requires(*WATCHERS)
@validate(query=ReceiptQuery)
async def receipts_rollup(request: Request, notice_id: int, query: ReceiptQuery):
    """Read, confirmed and RSVP roll-ups; names (one page) only for the kindergarten's senders."""
    return json(
        await receipts.rollup(
            principal=request.ctx.principal, notice_id=notice_id, **query.model_dump()
        )
    )


# ---- everyone who may see a notice ---------------------------------------------------------------


@bp.get("/me/notices")
@openapi.definition(summary="我收到的通知（未读在前）", tag=TAG, secured="token")
@openapi.response(200, {"application/json": MyNotices}, "收到的通知、总数与未读数")
@openapi.parameter("limit", int, "query")
@openapi.parameter("offset", int, "query")
@requires(ANY_ACCOUNT)
@validate(query=Page)
async def my_notices(request: Request, query: Page):
    """Notices the caller received, unread first."""
    return json(await reading.list_mine(principal=request.ctx.principal, **query.page()))


@bp.get("/notices/<notice_id:int>")
@openapi.definition(summary="通知详情", tag=TAG, secured="token")
@openapi.response(
    200,
    {"application/json": NoticeAnswer},
    "通知内容；收件人另有 me（本人回执）与 totals（只有统计，不含名单）",
)
@requires(*EVERYONE)
async def get_notice(request: Request, notice_id: int):
    """One notice: the sender's view or the recipient's view."""
    return json(await reading.get_notice(principal=request.ctx.principal, notice_id=notice_id))


@bp.post("/notices/<notice_id:int>/read")
@openapi.definition(summary="标记已读（在小程序中打开通知）", tag=TAG, secured="token")
@openapi.response(200, {"application/json": ReadAnswer}, "阅读时间")
@requires(*EVERYONE)
async def mark_read(request: Request, notice_id: int):
    """The caller opened the notice."""
    return json(await receipts.mark_read(principal=request.ctx.principal, notice_id=notice_id))


@bp.post("/notices/<notice_id:int>/confirm")
@openapi.definition(summary="确认收到", tag=TAG, secured="token")
@requires(*EVERYONE)
async def confirm(request: Request, notice_id: int):
    """The caller confirms she received the notice."""
    return json(await receipts.confirm(principal=request.ctx.principal, notice_id=notice_id))


@bp.post("/notices/<notice_id:int>/rsvp")
@openapi.definition(body=RsvpBody, summary="报名回执：参加或不参加", tag=TAG, secured="token")
@openapi.response(200, {"application/json": RsvpAnswer}, "本家庭的回执、说明与名额统计")
@requires(*EVERYONE)
@validate(json=RsvpBody)
async def answer_rsvp(request: Request, notice_id: int, body: RsvpBody):
    """The caller's family answers; over capacity it joins the waitlist."""
    return json(
        await rsvp.answer(
            principal=request.ctx.principal,
            notice_id=notice_id,
            answer=body.answer,
            adults=body.adults,
            children=body.children,
        )
    )


@bp.delete("/notices/<notice_id:int>/rsvp")
@openapi.definition(summary="取消报名", tag=TAG, secured="token")
@openapi.response(200, {"application/json": RsvpAnswer}, "取消后的回执、说明与名额统计")
@requires(*EVERYONE)
async def cancel_rsvp(request: Request, notice_id: int):
    """The caller's family withdraws its answer; the waitlist moves up."""
    return json(await rsvp.cancel(principal=request.ctx.principal, notice_id=notice_id))


@bp.post("/notices/<notice_id:int>/feedback")
@openapi.definition(body=FeedbackBody, summary="活动评价（1–5 星）", tag=TAG, secured="token")
@requires(*EVERYONE)
@validate(json=FeedbackBody)
async def give_feedback(request: Request, notice_id: int, body: FeedbackBody):
    """The caller's family rates the open day it attended."""
    return json(
        await feedback.submit(
            principal=request.ctx.principal,
            notice_id=notice_id,
            stars=body.stars,
            comment=body.comment,
        )
    )


@bp.get("/notices/<notice_id:int>/feedback")
@openapi.definition(summary="活动评价汇总（家长满意度）", tag=TAG, secured="token")
@requires(*EVERYONE)
async def feedback_summary(request: Request, notice_id: int):
    """Average and count; comments without names for staff and leaders."""
    return json(await feedback.summary(principal=request.ctx.principal, notice_id=notice_id))
