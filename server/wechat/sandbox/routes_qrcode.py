"""Sandbox 公众号 parametric QR codes: qrcode/create, showqrcode, and a scan pushed as WeChat does.

WeChat's documentation, 生成带参数的二维码 (createQRCode):
  "临时二维码，是有过期时间的，最长可以设置为在二维码生成后的30天（即2592000秒）后过期，但能够
  生成较多数量。临时二维码主要用于账号绑定等不要求二维码永久保存的业务场景。
  永久二维码，是无过期时间的，但数量较少（目前为最多10万个）。"
  "action_name: 二维码类型，QR_SCENE为临时的整型参数值，QR_STR_SCENE为临时的字符串参数值，
  QR_LIMIT_SCENE为永久的整型参数值，QR_LIMIT_STR_SCENE为永久的字符串参数值"
  "scene_id: 场景值ID，临时二维码时为32位非0整型，永久二维码时最大值为100000（目前参数只支持
  1--100000）"; "scene_str: 场景值ID（字符串形式的ID），字符串类型，长度限制为1到64"
  "expire_seconds: 该二维码有效时间，以秒为单位。最大不超过2592000（即30天），此字段如果不填，
  则默认有效期为60秒。"  Answer: ticket, expire_seconds, url ("二维码图片解析后的地址，开发者可
  根据该地址自行生成需要的二维码图片").
  "获取二维码ticket后，开发者可用ticket换取二维码图片。请注意，本接口无须登录态即可调用。
  HTTP GET请求（请使用https协议）https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=TICKET
  提醒：TICKET记得进行UrlEncode"
And the events it causes (接收事件推送, 扫描带参数二维码事件):
  "如果用户还未关注公众号，则用户可以关注公众号，关注后微信会将带场景值关注事件推送给开发者。"
  — Event subscribe, "EventKey: 事件KEY值，qrscene_为前缀，后面为二维码的参数值", Ticket;
  "如果用户已经关注公众号，在用户扫描后会自动进入会话，微信也会将带场景值扫描事件推送给开发者。"
  — Event SCAN, EventKey the scene value, Ticket.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from xml.sax.saxutils import escape

import aiohttp
from sanic import Blueprint, HTTPResponse, Request
from sanic.response import raw
from sanic_ext import openapi

from server.wechat.sandbox.endpoint import Call, add_endpoint, error, wechat_json
from server.wechat.sandbox.events import ACCOUNT_ID, signed_request
from server.wechat.sandbox.media import render_qr_png
from server.wechat.sandbox.routes_mp import OPENID_RE
from server.wechat.sandbox.state import EventPush, SandboxState

TEMPORARY = {"QR_SCENE", "QR_STR_SCENE"}
PERMANENT = {"QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"}
MAX_EXPIRE_S = 2_592_000
DEFAULT_EXPIRE_S = 60
MAX_PERMANENT = 100_000
SCENE_STR_MAX = 64
IMAGE_WIDTH = 430


@dataclass
class QrTicket:
    """One parametric QR code the sandbox issued."""

    ticket: str
    scene: str  #: scene_str, or scene_id as text: what the events carry
    url: str  #: what the QR image decodes to
    expires_at: float | None  #: sandbox time; None for a permanent code


def _scene_of(action: str, scene: object) -> str | None:
    """The scene value of a create request, None when WeChat would refuse it."""
    if not isinstance(scene, dict):
        return None
    if action.endswith("STR_SCENE"):
        value = scene.get("scene_str")
        ok = isinstance(value, str) and 1 <= len(value) <= SCENE_STR_MAX
        return value if ok else None
    value = scene.get("scene_id")
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    limit = MAX_PERMANENT if action in PERMANENT else 2**32 - 1
    return str(value) if 1 <= value <= limit else None


async def qrcode_create(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/qrcode/create: a ticket and the url its image decodes to."""
    body = call.body
    action = body.get("action_name")
    if action not in TEMPORARY | PERMANENT:
        return error(40097, "invalid args: action_name")
    info = body.get("action_info")
    scene = _scene_of(action, info.get("scene") if isinstance(info, dict) else None)
    if scene is None:
        return error(40097, "invalid args: scene")
    if action in PERMANENT:
        known = next(
            (q for q in state.qrcodes.values() if q.expires_at is None and q.scene == scene), None
        )
        if known is not None:  # the same permanent scene is the same code
            return {"ticket": known.ticket, "url": known.url}
        permanent = sum(1 for q in state.qrcodes.values() if q.expires_at is None)
        if permanent >= MAX_PERMANENT:
            return error(45009, "reach max permanent qrcode limit")
        expires_at, expire_seconds = None, None
    else:
        seconds = body.get("expire_seconds", DEFAULT_EXPIRE_S)
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1:
            return error(40097, "invalid args: expire_seconds")
        # "最大不超过2592000": a longer request gets the longest (the sandbox caps, not refuses).
        expire_seconds = min(seconds, MAX_EXPIRE_S)
        expires_at = state.now() + expire_seconds
    ticket = secrets.token_urlsafe(45)
    url = f"http://weixin.qq.com/q/{secrets.token_urlsafe(16)}"
    state.qrcodes[ticket] = QrTicket(ticket=ticket, scene=scene, url=url, expires_at=expires_at)
    answer: dict = {"ticket": ticket, "url": url}
    if expire_seconds is not None:
        answer["expire_seconds"] = expire_seconds
    return answer


def _live(state: SandboxState, ticket: object) -> QrTicket | None:
    found = state.qrcodes.get(ticket) if isinstance(ticket, str) else None
    if found is None or (found.expires_at is not None and found.expires_at <= state.now()):
        return None
    return found


async def showqrcode(state: SandboxState, call: Call) -> dict | HTTPResponse:
    """GET /cgi-bin/showqrcode?ticket=: the QR image of a live ticket (no access_token)."""
    found = _live(state, call.body.get("ticket"))
    if found is None:
        return error(40097, "invalid args: ticket")
    png = await asyncio.to_thread(render_qr_png, found.url, IMAGE_WIDTH)
    return raw(png, content_type="image/png")


def scan_event_xml(*, openid: str, qr: QrTicket, following: bool) -> str:
    """The event WeChat pushes when `openid` scans `qr`: SCAN, or subscribe with qrscene_."""
    event, key = ("SCAN", qr.scene) if following else ("subscribe", f"qrscene_{qr.scene}")
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>"
        f"<FromUserName>{escape(openid)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType>event</MsgType>"
        f"<Event>{event}</Event><EventKey>{escape(key)}</EventKey>"
        f"<Ticket>{escape(qr.ticket)}</Ticket></xml>"
    )


async def push_now(push: EventPush, xml: str) -> tuple[int, str]:
    """POST an event to the callback at once; the callback's status and reply body."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        url, body = signed_request(push, xml)
        async with http.post(url, data=body) as answer:
            return answer.status, await answer.text()


def _register_controls(bp: Blueprint, state: SandboxState) -> None:
    async def scan(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        openid, follows = body.get("openid"), body.get("follows")
        if not isinstance(openid, str) or not OPENID_RE.fullmatch(openid):
            return wechat_json({"error": "bad_request", "message": "需要扫码人的 openid"}, 400)
        if follows is not None and not isinstance(follows, bool):
            return wechat_json({"error": "bad_request", "message": "follows 须为布尔值"}, 400)
        ticket = body.get("ticket")
        if "url" in body:  # what a phone reads from the image: the url the ticket came with
            found = [q.ticket for q in state.qrcodes.values() if q.url == body["url"]]
            ticket = found[0] if found else None
        qr = _live(state, ticket)
        if qr is None:
            return wechat_json({"error": "not_found", "message": "二维码不存在或已过期"}, 404)
        push = state.event_push
        if push is None:
            return wechat_json({"error": "conflict", "message": "事件推送未开启"}, 409)
        following = openid in state.oa_followers if follows is None else follows
        state.oa_followers.add(openid)
        status, reply = await push_now(
            push, scan_event_xml(openid=openid, qr=qr, following=following)
        )
        event = "SCAN" if following else "subscribe"
        return wechat_json({"event": event, "status": status, "reply": reply})

    # A user scanning a code with WeChat (named by its ticket, or by the url its image
    # decodes to): the follow (or SCAN) event goes to the callback fixed at start, as WeChat
    # sends it; `follows` overrides whether the sandbox thinks she follows already.
    bp.add_route(
        openapi.exclude()(scan), "/sandbox/qrcode/scan", methods=["POST"], name="sandbox_qr_scan"
    )


def register(bp: Blueprint, state: SandboxState) -> None:
    """Add qrcode/create, showqrcode and the scan control to `bp`."""
    _register_controls(bp, state)
    add_endpoint(
        bp,
        state,
        kind="qrcode_create",
        path="/cgi-bin/qrcode/create",
        handler=qrcode_create,
        app="oa",
    )
    add_endpoint(
        bp,
        state,
        kind="showqrcode",
        path="/cgi-bin/showqrcode",
        handler=showqrcode,
        method="GET",
        body="query",
        auth=False,
    )
