"""Delivery endpoints: the inbox, subscription reports, and the admins' dead letters."""

from __future__ import annotations

from sanic import Blueprint, Request, json
from sanic_ext import openapi, validate

from server.common.auth import ANY_ACCOUNT, requires
from server.common.params import Page, Params, Yes
from server.common.runtime import current
from server.delivery import admin, inbox, subscriptions
from server.delivery.schemas import (
    InboxAnswer,
    InboxItem,
    SubscriptionReportBody,
    SubscriptionsAnswer,
)

bp = Blueprint("delivery", url_prefix="/api/v1")


class InboxQuery(Page):
    """?unread=1 for the unread messages only, and the page."""

    unread: Yes = False


class DeadLetterQuery(Page):
    """?key= (one message key) and the page."""

    key: str | None = None


class KeyQuery(Params):
    """?key= (one message key)."""

    key: str = ""


@bp.get("/inbox")
@openapi.definition(summary="我的消息", tag="消息", secured="token")
@openapi.response(200, {"application/json": InboxAnswer}, "消息（新的在前）、总数与未读数")
@openapi.parameter("unread", bool, "query")
@openapi.parameter("limit", int, "query")
@openapi.parameter("offset", int, "query")
@requires(ANY_ACCOUNT)
@validate(query=InboxQuery)
async def list_inbox(request: Request, query: InboxQuery):
    """The caller's messages, newest first, and how many are unread."""
    return json(
        await inbox.list_inbox(
            principal=request.ctx.principal, unread_only=query.unread, **query.page()
        )
    )


@bp.post("/inbox/<delivery_id:int>/read")
@openapi.definition(summary="标记消息已读", tag="消息", secured="token")
@openapi.response(200, {"application/json": InboxItem}, "已读的消息")
@requires(ANY_ACCOUNT)
async def read_message(request: Request, delivery_id: int):
    """Mark one of the caller's messages read."""
    return json(await inbox.mark_read(principal=request.ctx.principal, delivery_id=delivery_id))


@bp.get("/subscriptions")
@openapi.definition(summary="我的消息订阅", tag="消息", secured="token")
@openapi.response(200, {"application/json": SubscriptionsAnswer}, "每类消息的模板与剩余可发次数")
@requires(ANY_ACCOUNT)
async def my_subscriptions(request: Request):
    """Per message kind: the template to request and the messages still allowed."""
    return json(
        await subscriptions.my_subscriptions(
            principal=request.ctx.principal, settings=current().settings
        )
    )


@bp.post("/subscriptions")
@openapi.definition(
    body=SubscriptionReportBody, summary="上报订阅结果", tag="消息", secured="token"
)
@openapi.response(200, {"application/json": SubscriptionsAnswer}, "上报后的订阅情况")
@requires(ANY_ACCOUNT)
@validate(json=SubscriptionReportBody)
async def report_subscriptions(request: Request, body: SubscriptionReportBody):
    """Record what wx.requestSubscribeMessage answered."""
    return json(
        await subscriptions.report_results(
            principal=request.ctx.principal,
            settings=current().settings,
            results=dict(body.results),
        )
    )


@bp.get("/delivery/dead-letters")
@openapi.definition(summary="发送失败的消息", tag="消息", secured="token")
@openapi.parameter("key", str, "query")
@requires("admin")
@validate(query=DeadLetterQuery)
async def dead_letters(request: Request, query: DeadLetterQuery):
    """Failed messages with their reasons (no contents, no personal data)."""
    return json(await admin.dead_letters(key=query.key, **query.page()))


@bp.post("/delivery/dead-letters/<delivery_id:int>/retry")
@openapi.definition(summary="重发失败的消息", tag="消息", secured="token")
@requires("admin")
async def retry_dead_letter(request: Request, delivery_id: int):
    """Queue a failed message again."""
    return json(await admin.retry_dead_letter(delivery_id=delivery_id), status=202)


@bp.post("/delivery/group-dead-letters/<message_id:int>/retry")
@openapi.definition(summary="重发失败的群消息", tag="消息", secured="token")
@requires("admin")
async def retry_group_dead_letter(request: Request, message_id: int):
    """Queue a failed WeCom group message again."""
    return json(await admin.retry_group_dead_letter(message_id=message_id), status=202)


@bp.get("/delivery/outbox")
@openapi.definition(summary="消息发送状态统计", tag="消息", secured="token")
@openapi.parameter("key", str, "query", required=True)
@requires("admin")
@validate(query=KeyQuery)
async def outbox(request: Request, query: KeyQuery):
    """Status counts of one message key."""
    return json(await admin.outbox(key=query.key))
