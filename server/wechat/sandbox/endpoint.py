"""The common path of every sandboxed WeChat call: record, inject faults, check the token."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal

from sanic import Blueprint, HTTPResponse, Request
from sanic.response import json as json_response
from sanic_ext import openapi

from server.wechat.sandbox.media import sniff_image_type
from server.wechat.sandbox.state import SandboxState

#: WeChat's own errmsg strings (English, as WeChat writes them).
ERRMSG = {
    -1: "system error",
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid media size",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40013: "invalid appid",
    40014: "invalid access_token",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40029: "invalid code",
    40037: "invalid template_id",
    40058: "invalid Request Parameter",
    40059: "invalid msg id",
    40097: "invalid args",
    40125: "invalid appsecret",
    40163: "code been used",
    40169: "invalid length for scene, or the data is not json string",
    40226: "code blocked",
    41001: "access_token missing",
    41005: "media data missing",
    41008: "missing code",
    41030: "invalid page",
    42001: "access_token expired",
    43101: "user refuse to accept the msg",
    44003: "empty news data",
    45028: "has no masssend quota",
    45065: "clientmsgid exist",
    44004: "empty content",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit",
    45110: "author size out of limit",
    47001: "data format error",
    47003: "argument invalid!",
    48001: "api unauthorized",
    93000: "invalid webhook url",
}

#: Long strings (article bodies) are cut in the outbox so it stays small.
_OUTBOX_STR_LIMIT = 4096

BodyKind = Literal["json", "query", "multipart"]
#: Whose token an endpoint takes: the mini-program's, the 公众号's, or either.
AppScope = Literal["mp", "oa"] | None


def error(errcode: int, errmsg: str | None = None) -> dict:
    """A WeChat error answer."""
    return {"errcode": errcode, "errmsg": errmsg or ERRMSG.get(errcode, "system error")}


def ok(**fields: object) -> dict:
    """A WeChat success answer with extra fields."""
    return {"errcode": 0, "errmsg": "ok", **fields}


def wechat_json(payload: dict, status: int = 200) -> HTTPResponse:
    """JSON in UTF-8 without escapes, as WeChat answers."""
    return json_response(payload, status=status, dumps=partial(json.dumps, ensure_ascii=False))


@dataclass
class Call:
    """One received call as a handler sees it."""

    request: Request
    body: dict  #: JSON body, or query arguments for GET endpoints
    duplicate: bool = False  #: set by handlers: answered, but not a new delivery
    appid: str | None = None  #: the app the call authenticated as (token or appid/secret)
    answer_delay: float = 0.0  #: a fault's: the call is done, its answer waits this long


Handler = Callable[[SandboxState, Call], Awaitable[dict | HTTPResponse]]


def add_endpoint(
    bp: Blueprint,
    state: SandboxState,
    *,
    kind: str,
    path: str,
    handler: Handler,
    method: str = "POST",
    body: BodyKind = "json",
    auth: bool = True,
    app: AppScope = None,
) -> None:
    """Route `path` to `handler` behind recording, faults and the access_token check."""
    # `app`: whose token the endpoint takes, the mini-program's ("mp"), the 公众号's ("oa")
    # or either (None); another app's valid token gets 48001, as WeChat answers.

    async def route(request: Request) -> HTTPResponse:
        parsed, summary = _read(request, body)
        entry = state.record(kind, summary)
        call = Call(request=request, body=parsed or {})
        result = await _answer(
            state, kind, call, handler, malformed=parsed is None, auth=auth, app=app
        )
        entry["appid"] = call.appid
        if isinstance(result, HTTPResponse):
            state.complete(entry, errcode=0, errmsg="ok", delivered=True)
            return result
        errcode = int(result.get("errcode", 0))
        if "msgid" in result:
            entry["msgid"] = result["msgid"]  # what WeChat's job-finished events name
        delivered = errcode == 0 and not call.duplicate
        state.complete(
            entry, errcode=errcode, errmsg=result.get("errmsg", "ok"), delivered=delivered
        )
        if call.answer_delay:
            # Recorded (and delivered) first: a caller gone meanwhile leaves it sent.
            await asyncio.sleep(call.answer_delay)
        return wechat_json(result)

    # WeChat's paths are not our API: keep them out of the api's OpenAPI docs.
    bp.add_route(openapi.exclude()(route), path, methods=[method], name=kind)


async def _answer(
    state: SandboxState,
    kind: str,
    call: Call,
    handler: Handler,
    *,
    malformed: bool,
    auth: bool,
    app: AppScope,
) -> dict | HTTPResponse:
    """Faults first (as if WeChat failed), then body and token checks, then the handler."""
    delay, fault, call.answer_delay = state.faults.pick(kind)
    if delay:
        await asyncio.sleep(delay)
    if fault is not None:
        call.duplicate = True  # a faulted call is answered but never delivered
        return error(fault, "api freq out of limit" if kind == "wecom_send" else None)
    if malformed:
        return error(47001)
    if auth:
        token = call.request.args.get("access_token")
        if code := state.tokens.check(token):
            return error(code)
        call.appid = state.tokens.owner(token)
        if not state.app_allowed(token, app):
            return error(48001)
    return await handler(state, call)


def _read(request: Request, body: BodyKind) -> tuple[dict | None, dict]:
    """The parsed input (None when malformed) and its outbox summary without secrets."""
    args = {key: request.args.get(key) for key in request.args if key != "access_token"}
    if body == "query":
        return args, _redact(args)
    if body == "multipart":
        summary = dict(args)
        upload = request.files.get("media") if request.files else None
        if upload is not None:
            summary["media"] = {
                "filename": upload.name,
                "size": len(upload.body),
                "type": sniff_image_type(upload.body) or "unknown",
            }
        return args, summary
    try:
        parsed = json.loads(request.body or b"{}")
    except ValueError:
        return None, {**args, "raw_size": len(request.body)}
    if not isinstance(parsed, dict):
        return None, {**args, "raw_size": len(request.body)}
    return parsed, _redact({**args, **_trim(parsed)})


def _redact(fields: dict) -> dict:
    return {key: "***" if key == "secret" else value for key, value in fields.items()}


def _trim(value: object) -> object:
    if isinstance(value, str) and len(value) > _OUTBOX_STR_LIMIT:
        return value[:_OUTBOX_STR_LIMIT] + f"…（共 {len(value)} 字，已截断）"
    if isinstance(value, dict):
        return {key: _trim(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trim(item) for item in value]
    return value
