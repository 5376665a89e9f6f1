"""Console page: her own 公众号 follow code (关注公众号接收通知), as in the mini-program."""

from __future__ import annotations

from datetime import datetime

from sanic import Blueprint, Request
from sanic.response import raw

from server.accounts.web_login import CONSOLE_ROLES
from server.common.errors import DomainError
from server.common.time import china
from server.followers import link
from server.web.console import NavItem, add_nav, console_page, render

bp = Blueprint("console_follow")
BASE = "/console/me/follow"
add_nav(NavItem("公众号通知", BASE, CONSOLE_ROLES, order=90))


def _code_args(request: Request) -> dict:
    person_id = request.ctx.principal.person_id
    if person_id is None:
        raise DomainError("not_bound", "此账号未绑定人员，无法关联公众号")
    return {"person_id": person_id}


@bp.get("/me/follow")
@console_page()
async def follow(request: Request):
    """Whether her follower is linked, and her follow code to scan with WeChat."""
    code = await link.follow_qrcode(**_code_args(request))
    until = china(datetime.fromisoformat(code["expires_at"])).strftime("%Y-%m-%d")
    return render(request, "web/follow/index.html", linked=code["linked"], until=until)


@bp.get("/me/follow-qrcode.png")
@console_page()
async def follow_qrcode_png(request: Request):
    """Her follow code as a PNG (drawn on our origin: the page's CSP allows only 'self')."""
    png = await link.follow_qrcode_png(**_code_args(request))
    return raw(png, content_type="image/png", headers={"Cache-Control": "private, no-store"})
