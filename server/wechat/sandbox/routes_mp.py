"""Sandbox endpoints for tokens and the mini-program: login, wxacode, subscribe messages."""

from __future__ import annotations

import asyncio
import re

from sanic import Blueprint, HTTPResponse, Request
from sanic.response import raw
from sanic_ext import openapi

from server.wechat.sandbox.endpoint import Call, add_endpoint, error, ok, wechat_json
from server.wechat.sandbox.identity import (
    new_session_key,
    oa_openid_for,
    openid_for,
    parse_code,
    unionid_for,
)
from server.wechat.sandbox.limits import first_invalid_key
from server.wechat.sandbox.media import render_qr_png
from server.wechat.sandbox.released_app import is_released_page
from server.wechat.sandbox.state import SandboxState

SCENE_RE = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@._~-]{1,32}")
OPENID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MINIPROGRAM_STATES = {"developer", "trial", "formal"}
LANGS = {"zh_CN", "en_US", "zh_HK", "zh_TW"}


def _app_error(state: SandboxState, appid: object, secret: object) -> int:
    apps = state.apps
    if not isinstance(appid, str) or appid not in apps:
        return 40013
    if secret != apps[appid]:
        return 40125
    return 0


async def token(state: SandboxState, call: Call) -> dict:
    """GET /cgi-bin/token: a new token on every call (the previous one keeps 5 minutes)."""
    args = call.body
    if args.get("grant_type") != "client_credential":
        return error(40002)
    if code := _app_error(state, args.get("appid"), args.get("secret")):
        return error(code)
    call.appid = args["appid"]
    value, expires_in = state.tokens.issue(call.appid)
    return {"access_token": value, "expires_in": expires_in}


async def stable_token(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/stable_token: the current token, or a new one with force_refresh."""
    body = call.body
    if body.get("grant_type") != "client_credential":
        return error(40002)
    if code := _app_error(state, body.get("appid"), body.get("secret")):
        return error(code)
    call.appid = body["appid"]
    forced = body.get("force_refresh") is True
    issued = state.tokens.stable(call.appid, force_refresh=forced)
    if issued is None:
        # "强制刷新模式每天限用 20 次" (getStableAccessToken, 注意事项); the documentation names
        # no code of its own for it: WeChat's daily-quota one, "reach max api daily quota limit".
        return error(45009)
    value, expires_in = issued
    return {"access_token": value, "expires_in": expires_in}


async def jscode2session(state: SandboxState, call: Call) -> dict:
    """GET /sns/jscode2session: the code's NAME decides the openid (mini-program only)."""
    args = call.body
    if code := _app_error(state, args.get("appid"), args.get("secret")):
        return error(code)
    call.appid = args["appid"]
    if call.appid != state.appid:
        return error(40013)  # a 公众号 has no wx.login
    if args.get("grant_type") != "authorization_code":
        return error(40002)
    js_code = args.get("js_code")
    if not js_code:
        return error(41008)
    login = parse_code(js_code)
    if login is None or login.name.startswith(("invalid", "expired")):
        return error(40029)
    if login.name.startswith("blocked"):
        # "40226 | code blocked | 高风险等级用户，小程序登录拦截" (code2Session, 错误码); a
        # `blocked…` login name (or a fault with errcode 40226) plays such a user.
        return error(40226, "code blocked")
    if login.single_use:
        if js_code in state.used_codes:
            return error(40163)
        state.used_codes.add(js_code)
    # The same WeChat user has a 公众号 openid too; remember whose it is for user/info.
    state.oa_names[oa_openid_for(login.name)] = login.name
    session = {"session_key": new_session_key(), "openid": openid_for(login.name)}
    # "unionid: 用户在开放平台的唯一标识符，若当前小程序已绑定到微信开放平台帐号下会返回"
    # (code2Session): only while the sandbox plays an app bound to an open-platform account.
    if state.unionid_bound:
        session["unionid"] = unionid_for(login.name)
    return session


async def wxacode(state: SandboxState, call: Call) -> dict | HTTPResponse:
    """POST /wxa/getwxacodeunlimit: a PNG whose QR code decodes to the scene."""
    body = call.body
    scene = body.get("scene")
    if not isinstance(scene, str) or not SCENE_RE.fullmatch(scene):
        return error(40169)
    page = body.get("page")
    if page is not None and (not isinstance(page, str) or page.startswith("/") or "?" in page):
        return error(41030)
    # "check_path ... 默认 true ... 检查 page 是否存在，为 true 时 page 必须是已经发布的小程序存在的
    # 页面（否则报错）；为 false 时允许小程序未发布或者 page 不存在" (wxacode.getUnlimited).
    if page is not None and body.get("check_path", True) is not False:
        if not is_released_page(page):
            return error(41030)
    if body.get("env_version", "release") not in ("release", "trial", "develop"):
        return error(40097, "invalid args: env_version")
    width = body.get("width", 430)
    if not isinstance(width, int) or isinstance(width, bool):
        return error(40097, "invalid args: width")
    width = min(max(width, 280), 1280)  # WeChat clamps rather than refuses
    png = await asyncio.to_thread(render_qr_png, scene, width)
    return raw(png, content_type="image/png")


async def subscribe_send(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/message/subscribe/send: data limits, then one granted subscription."""
    body = call.body
    touser = body.get("touser")
    if not isinstance(touser, str) or not OPENID_RE.fullmatch(touser):
        return error(40003)
    template_id = body.get("template_id")
    if not isinstance(template_id, str) or not template_id:
        return error(40037)
    if body.get("miniprogram_state", "formal") not in _MINIPROGRAM_STATES:
        return error(47003, "argument invalid! miniprogram_state invalid")
    if body.get("lang", "zh_CN") not in LANGS:
        return error(47003, "argument invalid! lang invalid")
    data = body.get("data")
    if not isinstance(data, dict) or not data:
        return error(47003, "argument invalid! data is empty")
    if (bad := first_invalid_key(data)) is not None:
        return error(47003, f"argument invalid! data.{bad}.value invalid")
    page = body.get("page")
    # "page: 点击模板卡片后的跳转页面，仅限本小程序内的页面。支持带参数,（示例index?foo=bar）。
    # 该字段不填则模板无跳转" and "41030: page 路径不正确，需要保证在现网版本小程序中存在，
    # 与 app.json 保持一致" (subscribeMessage.send). Checked before the subscription is spent.
    if page not in (None, "") and not (isinstance(page, str) and is_released_page(page)):
        return error(41030)
    if not state.take_subscription(touser, template_id):
        return error(43101)
    return ok(msgid=state.next_msgid())


def _register_controls(bp: Blueprint, state: SandboxState) -> None:
    async def open_platform(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        bound = body.get("bound")
        if not isinstance(bound, bool):
            return wechat_json({"error": "bad_request", "message": "bound 须为 true 或 false"}, 400)
        state.unionid_bound = bound
        return wechat_json({"ok": True, "bound": bound})

    # Whether the mini-program plays one bound to a 微信开放平台 account (unionid in logins);
    # back to the configured default on reset.
    bp.add_route(
        openapi.exclude()(open_platform),
        "/sandbox/open_platform",
        methods=["POST"],
        name="sandbox_open_platform",
    )


def register(bp: Blueprint, state: SandboxState) -> None:
    """Add the token and mini-program endpoints (and their controls) to `bp`."""
    _register_controls(bp, state)
    add_endpoint(
        bp,
        state,
        kind="token",
        path="/cgi-bin/token",
        handler=token,
        method="GET",
        body="query",
        auth=False,
    )
    add_endpoint(
        bp,
        state,
        kind="stable_token",
        path="/cgi-bin/stable_token",
        handler=stable_token,
        auth=False,
    )
    add_endpoint(
        bp,
        state,
        kind="jscode2session",
        path="/sns/jscode2session",
        handler=jscode2session,
        method="GET",
        body="query",
        auth=False,
    )
    add_endpoint(
        bp, state, kind="wxacode", path="/wxa/getwxacodeunlimit", handler=wxacode, app="mp"
    )
    add_endpoint(
        bp,
        state,
        kind="subscribe_send",
        path="/cgi-bin/message/subscribe/send",
        handler=subscribe_send,
        app="mp",
    )
