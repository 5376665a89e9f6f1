"""Sandbox endpoints of the official account: template and customer messages, menu."""

from __future__ import annotations

from functools import partial

from sanic import Blueprint

from server.wechat.sandbox.endpoint import Call, add_endpoint, error, ok
from server.wechat.sandbox.identity import oa_unionid_of
from server.wechat.sandbox.released_app import is_released_page
from server.wechat.sandbox.routes_mp import LANGS, OPENID_RE
from server.wechat.sandbox.state import SandboxState

#: How long template/send drops a repeated (openid, client_msg_id).
CLIENT_MSG_ID_WINDOW_S = 600
_CUSTOM_TYPES = {
    "text",
    "image",
    "voice",
    "video",
    "music",
    "news",
    "mpnews",
    "mpnewsarticle",
    "msgmenu",
    "wxcard",
    "miniprogrampage",
}
_BUTTON_TYPES = {
    "click",
    "view",
    "miniprogram",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
    "media_id",
    "article_id",
    "article_view_limited",
}
#: Event buttons carry a `key` (≤ 128 bytes) that WeChat sends back in the click event.
_KEYED_TYPES = {
    "click",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
}


def _target_error(body: dict) -> dict | None:
    touser = body.get("touser")
    if not isinstance(touser, str) or not OPENID_RE.fullmatch(touser):
        return error(40003)
    return None


async def template_send(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/message/template/send: released pages only; client_msg_id for 10 minutes."""
    body = call.body
    if (problem := _target_error(body)) is not None:
        return problem
    template_id = body.get("template_id")
    if not isinstance(template_id, str) or not template_id:
        return error(40037)
    data = body.get("data")
    if not isinstance(data, dict):
        return error(47003, "argument invalid! data invalid")
    for key, item in data.items():
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            return error(47003, f"argument invalid! data.{key}.value invalid")
    miniprogram = body.get("miniprogram")
    if miniprogram is not None and not (
        isinstance(miniprogram, dict) and isinstance(miniprogram.get("appid"), str)
    ):
        return error(47003, "argument invalid! miniprogram.appid invalid")
    pagepath = miniprogram.get("pagepath") if miniprogram else None
    # "pagepath: 所需跳转到小程序的具体页面路径，支持带参数,（示例index?foo=bar），要求该小程序
    # 已发布" (发送模板消息): a page the released app.json lacks is refused as subscribe/send does.
    if pagepath not in (None, "") and not (
        isinstance(pagepath, str) and is_released_page(pagepath)
    ):
        return error(41030)
    client_msg_id = body.get("client_msg_id")
    # "client_msg_id: 防重入id。对于同一个openid + client_msg_id, 只发送一条消息, 10分钟有效, 超过
    # 10分钟不保证效果" (发送模板消息). Keyed by both; past ten minutes a repeat is sent again,
    # the case a client must survive. The window runs from the first send, not the repeats.
    key = (body["touser"], client_msg_id) if isinstance(client_msg_id, str) else None
    if key is not None and client_msg_id:
        seen = state.template_msgids.get(key)
        if seen is not None and state.now() - seen[1] < CLIENT_MSG_ID_WINDOW_S:
            call.duplicate = True
            return ok(msgid=seen[0])
    msgid = state.next_msgid()
    if key is not None and client_msg_id:
        state.template_msgids[key] = (msgid, state.now())
    return ok(msgid=msgid)


async def custom_send(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/message/custom/send: a customer-service message."""
    body = call.body
    if (problem := _target_error(body)) is not None:
        return problem
    msgtype = body.get("msgtype")
    if msgtype not in _CUSTOM_TYPES:
        return error(40008)
    content = body.get(msgtype)
    if not isinstance(content, dict):
        return error(47003, f"argument invalid! {msgtype} invalid")
    if msgtype == "text" and not (isinstance(content.get("content"), str) and content["content"]):
        return error(44004)
    return ok()


async def user_info(state: SandboxState, call: Call) -> dict:
    """GET /cgi-bin/user/info: a follower's subscription and unionid (no nickname since 2021)."""
    args = call.body
    openid = args.get("openid")
    if not isinstance(openid, str) or not OPENID_RE.fullmatch(openid):
        return error(40003)
    lang = args.get("lang") or "zh_CN"
    if lang not in LANGS:
        return error(40058)
    info = {
        "subscribe": 1,
        "openid": openid,
        "language": lang,
        "subscribe_time": int(state.now()),
        "remark": "",
        "groupid": 0,
        "tagid_list": [],
        "subscribe_scene": "ADD_SCENE_QR_CODE",
        "qr_scene": 0,
        "qr_scene_str": "",
    }
    # 获取用户基本信息: "unionid: 只有在用户将公众号绑定到微信开放平台帐号后，才会出现该字段。"
    # The sandbox's one open-platform switch (POST /sandbox/open_platform) binds both apps.
    if state.unionid_bound:
        info["unionid"] = oa_unionid_of(openid, state.oa_names)
    return info


def _button_error(button: object, *, sub: bool) -> int:
    """The errcode of a menu button, 0 when fine."""
    if not isinstance(button, dict):
        return 40024 if sub else 40017
    name = button.get("name")
    name_limit, name_code = (60, 40025) if sub else (16, 40018)
    if not isinstance(name, str) or not name or len(name.encode()) > name_limit:
        return name_code
    if not sub and "sub_button" in button:
        subs = button["sub_button"]
        if not isinstance(subs, list) or not 1 <= len(subs) <= 5:
            return 40023
        return next((c for c in (_button_error(s, sub=True) for s in subs) if c), 0)
    kind = button.get("type")
    if kind not in _BUTTON_TYPES:
        return 40024 if sub else 40017
    if kind in _KEYED_TYPES and not _sized(button.get("key"), 128):
        return 40026 if sub else 40019
    if kind in ("view", "miniprogram") and not _sized(button.get("url"), 1024):
        return 40027 if sub else 40020
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        return 40097
    return 0


def _sized(value: object, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value.encode()) <= limit


async def menu_create(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/menu/create: WeChat's button counts, name sizes and types."""
    buttons = call.body.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return error(40016)
    for button in buttons:
        if code := _button_error(button, sub=False):
            return error(code)
    state.menu = buttons
    return ok()


def register(bp: Blueprint, state: SandboxState) -> None:
    """Add the official-account message and menu endpoints to `bp`."""
    add = partial(add_endpoint, app="oa")  # the 公众号's token only
    add(
        bp,
        state,
        kind="template_send",
        path="/cgi-bin/message/template/send",
        handler=template_send,
    )
    add(bp, state, kind="custom_send", path="/cgi-bin/message/custom/send", handler=custom_send)
    add(bp, state, kind="menu_create", path="/cgi-bin/menu/create", handler=menu_create)
    add(
        bp,
        state,
        kind="user_info",
        path="/cgi-bin/user/info",
        handler=user_info,
        method="GET",
        body="query",
    )
