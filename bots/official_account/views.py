"""The 公众号 callback: GET is WeChat's URL verification, POST brings messages and events."""

from __future__ import annotations

import logging

from sanic import Blueprint, Request, json
from sanic.response import HTTPResponse, text
from sanic_ext import openapi
from wechatpy.replies import create_reply

from bots.official_account import replay, router
from bots.official_account.crypto import (
    MAX_BODY,
    Envelope,
    Malformed,
    Refused,
    echo,
    open_body,
    read_message,
)
from bots.official_account.handlers import BotContext
from server.common.auth import PUBLIC, requires
from server.common.runtime import current

log = logging.getLogger("songjiao.bots.oa")

bp = Blueprint("official_account")
PATH = "/wechat/callback"


def _refused() -> HTTPResponse:
    return json({"error": "forbidden", "message": "签名校验失败"}, status=403)


def _malformed() -> HTTPResponse:
    return json({"error": "bad_request", "message": "消息格式不正确"}, status=400)


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks, size = [], 0
    while (chunk := await request.stream.read()) is not None:
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@bp.get(PATH)
@openapi.exclude()
@requires(PUBLIC)
async def verify(request: Request) -> HTTPResponse:
    """WeChat's server verification: echo echostr when the signature holds."""
    try:
        echostr = echo(token=current().settings.wechat_token, args=request.args)
    except Refused:
        return _refused()
    return text(echostr)


@bp.post(PATH, stream=True)
@openapi.exclude()
@requires(PUBLIC)
async def receive(request: Request) -> HTTPResponse:
    """A message or event, in plaintext or safe mode; the reply, or "success"."""
    runtime = current()
    body = await _read_body(request, MAX_BODY)
    try:
        if body is None:
            raise Malformed("size")
        xml, envelope = open_body(settings=runtime.settings, args=request.args, body=body)
        message = read_message(xml)
    except Refused as exc:
        log.warning("公众号 callback refused: %s", exc)
        return _refused()
    except Malformed as exc:
        log.warning("公众号 callback malformed: %s", exc)
        return _malformed()
    if not await replay.first_use(runtime.redis, envelope):
        # Not processed again; "success" as for WeChat's own retries of a handled message.
        log.warning("公众号 callback replayed: timestamp and nonce already used")
        return text("success")
    bot = BotContext(
        settings=runtime.settings, redis=runtime.redis, wechat=runtime.official_account
    )
    reply = await router.answer(message, bot)
    return _respond(reply, message, envelope)


def _respond(reply: str | None, message, envelope: Envelope) -> HTTPResponse:
    if not reply:
        return text("success")
    xml = create_reply(reply, message, render=True)
    return text(envelope.seal(xml), content_type="application/xml; charset=utf-8")
