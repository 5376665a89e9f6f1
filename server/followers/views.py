"""The caller's own 公众号 follow code: scanned with WeChat, it links her follower to her."""

from __future__ import annotations

from sanic import Blueprint, Request, json
from sanic.response import raw
from sanic_ext import openapi

from server.common.auth import ANY_ACCOUNT, requires
from server.common.errors import DomainError
from server.followers import link

bp = Blueprint("followers", url_prefix="/api/v1")
TAG = "公众号"


def _person_id(request: Request) -> int:
    person_id = request.ctx.principal.person_id
    if person_id is None:
        raise DomainError("not_bound", "请先使用邀请码绑定身份，再关注公众号接收通知")
    return person_id


def _code_args(request: Request) -> dict:
    return {"person_id": _person_id(request)}


@bp.get("/me/follow-qrcode")
@openapi.definition(summary="我的公众号关注二维码", tag=TAG, secured="token")
@openapi.response(
    200,
    {"application/json": {"linked": bool, "url": str, "expires_at": str, "image_path": str}},
    "是否已关联公众号，以及关注二维码",
)
@requires(ANY_ACCOUNT)
async def follow_qrcode(request: Request):
    """Whether her follower is linked, and her follow code (made once, kept while valid)."""
    code = await link.follow_qrcode(**_code_args(request))
    return json(
        {**code, "image_path": "/api/v1/me/follow-qrcode.png"},
        headers={"Cache-Control": "no-store"},
    )


@bp.get("/me/follow-qrcode.png")
@openapi.definition(summary="我的公众号关注二维码图片", tag=TAG, secured="token")
@openapi.response(200, {"image/png": bytes}, "二维码图片")
@requires(ANY_ACCOUNT)
async def follow_qrcode_png(request: Request):
    """Her follow code as a PNG (long-press to recognise it in WeChat)."""
    png = await link.follow_qrcode_png(**_code_args(request))
    return raw(png, content_type="image/png", headers={"Cache-Control": "private, no-store"})
