"""Sandbox endpoint of the WeCom (企业微信) group robot webhook."""

from __future__ import annotations

from sanic import Blueprint

from server.wechat.sandbox.endpoint import Call, add_endpoint, error, ok
from server.wechat.sandbox.state import SandboxState

#: msgtype -> max bytes of its `content`, for the types that carry text.
_CONTENT_LIMITS = {"text": 2048, "markdown": 4096, "markdown_v2": 4096}
#: msgtype -> fields that must be present in its object.
_REQUIRED = {"image": ("base64", "md5"), "news": ("articles",), "file": ("media_id",)}


def _message_error(body: dict) -> dict | None:
    msgtype = body.get("msgtype")
    if msgtype not in _CONTENT_LIMITS and msgtype not in _REQUIRED:
        return error(40008)
    message = body.get(msgtype)
    if not isinstance(message, dict):
        return error(40058, f"{msgtype} invalid Request Parameter")
    if msgtype in _CONTENT_LIMITS:
        content = message.get("content")
        limit = _CONTENT_LIMITS[msgtype]
        if not isinstance(content, str) or not content:
            return error(40058, f"{msgtype}.content invalid Request Parameter")
        if len(content.encode()) > limit:
            return error(40058, f"{msgtype}.content exceed max length {limit}")
        return None
    missing = [field for field in _REQUIRED[msgtype] if not message.get(field)]
    if missing:
        return error(40058, f"{msgtype}.{missing[0]} invalid Request Parameter")
    if msgtype == "news" and not (
        isinstance(message["articles"], list) and 1 <= len(message["articles"]) <= 8
    ):
        return error(40058, "news.articles invalid Request Parameter")
    return None


async def webhook_send(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/webhook/send?key=KEY: size limits, then 20 messages a minute per key."""
    key = call.request.args.get("key")
    if not key:
        return error(93000)
    if (problem := _message_error(call.body)) is not None:
        return problem
    if not state.webhook_allowed(key):
        return error(45009, "api freq out of limit")
    return ok()


def register(bp: Blueprint, state: SandboxState) -> None:
    """Add the WeCom robot endpoint to `bp`."""
    add_endpoint(
        bp,
        state,
        kind="wecom_send",
        path="/cgi-bin/webhook/send",
        handler=webhook_send,
        auth=False,
    )
