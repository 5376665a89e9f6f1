"""Activity endpoints: CRUD and life, codes, poster, projector link and rotating code.

`principal_or_projector` is the guard of everything a projector shows (rotating code,
live counts): a projector token in ?t= or a manager's bearer token.
"""

from __future__ import annotations

from pydantic import Field
from sanic import Blueprint, Request, json
from sanic.response import html, raw
from sanic_ext import openapi, validate

from server.activities import poster, projector, service
from server.activities.models import Activity
from server.activities.schemas import (
    ActivityBody,
    ActivityDetail,
    ActivityList,
    ActivityPatch,
    CancelBody,
    RotatingCodeAnswer,
)
from server.common.auth import PUBLIC, requires
from server.common.errors import DomainError
from server.common.miniprogram_pages import CHECKIN
from server.common.params import DateOf, IntArg, Page, Params
from server.common.runtime import current

TAG = "活动"
RUNNERS = ("organizer", "director", "admin")
EVERYONE = ("teacher", "organizer", "director", "leader", "parent", "admin")
#: Shown pages carry the projector token in their address: keep it out of referrers. The
#: page's script and style are files of /console/static; it fetches and streams from here.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
}

bp = Blueprint("activities", url_prefix="/api/v1")
pages = Blueprint("activity_pages")
#: Registered by create_app.
blueprints: list[Blueprint] = [bp, pages]


async def principal_or_projector(request: Request, activity_id: int, token: str | None) -> Activity:
    """The activity, if `token` (?t=) is its projector token or the caller manages it.

    Refusals: no token and no login → 401; a bad or expired token → 401; a token of
    another activity, or a caller who does not manage the activity → 403 (404 if unseen).
    """
    return await projector.authorize_display(
        activity_id=activity_id,
        token=token or None,
        principal=request.ctx.principal,
        jwt_secret=current().settings.jwt_secret,
    )


class ProjectorQuery(Params):
    """?t= (the projector link's token)."""

    t: str | None = None


class ActivityQuery(Page):
    """The list's filters: status, kind, host, pairing, from and to (dates), and the page."""

    status: str | None = None
    kind: str | None = None
    host_id: IntArg() | None = None
    pairing_id: IntArg() | None = None
    day_from: DateOf("from", example="2026-11-25", length=10) | None = Field(None, alias="from")
    day_to: DateOf("to", example="2026-11-25", length=10) | None = Field(None, alias="to")


class StepQuery(ProjectorQuery):
    """?t= and ?step= (a time step, the current one when absent)."""

    step: IntArg(0) | None = None


# ---- activities -----------------------------------------------------------------------------


@bp.post("/activities")
@openapi.definition(body=ActivityBody, summary="新建活动（草稿）", tag=TAG, secured="token")
@requires(*RUNNERS)
@validate(json=ActivityBody)
async def create_activity(request: Request, body: ActivityBody):
    """Create a draft activity."""
    data = await service.create_activity(principal=request.ctx.principal, **body.model_dump())
    return json(data, status=201)


@bp.get("/activities")
@openapi.definition(summary="活动列表", tag=TAG, secured="token")
@openapi.response(200, {"application/json": ActivityList}, "可见的活动，开始时间新的在前")
@openapi.parameter("status", str, "query", description="draft/published/ongoing/finished/cancelled")
@openapi.parameter("kind", str, "query", description="活动类型，如 送教下乡")
@openapi.parameter("host_id", int, "query")
@openapi.parameter("pairing_id", int, "query")
@openapi.parameter("from", str, "query", description="起始日期 YYYY-MM-DD")
@openapi.parameter("to", str, "query", description="截止日期 YYYY-MM-DD（含当天）")
@openapi.parameter("limit", int, "query")
@openapi.parameter("offset", int, "query")
@requires(*EVERYONE)
@validate(query=ActivityQuery)
async def list_activities(request: Request, query: ActivityQuery):
    """Activities within the caller's sight."""
    return json(
        await service.list_activities(principal=request.ctx.principal, **query.model_dump())
    )


@bp.get("/activities/<activity_id:int>")
@openapi.definition(summary="活动详情", tag=TAG, secured="token")
@openapi.response(200, {"application/json": ActivityDetail}, "活动详情；can_manage 为可否管理签到")
@requires(*EVERYONE)
async def get_activity(request: Request, activity_id: int):
    """One activity."""
    return json(
        await service.get_activity(principal=request.ctx.principal, activity_id=activity_id)
    )


@bp.patch("/activities/<activity_id:int>")
@openapi.definition(body=ActivityPatch, summary="修改活动", tag=TAG, secured="token")
@requires(*RUNNERS)
@validate(json=ActivityPatch)
async def update_activity(request: Request, activity_id: int, body: ActivityPatch):
    """Change a draft or published activity."""
    return json(
        await service.update_activity(
            principal=request.ctx.principal,
            activity_id=activity_id,
            changes=body.model_dump(exclude_unset=True),
        )
    )


@bp.post("/activities/<activity_id:int>/publish")
@openapi.definition(summary="发布活动", tag=TAG, secured="token")
@requires(*RUNNERS)
async def publish_activity(request: Request, activity_id: int):
    """Publish a draft."""
    return json(
        await service.publish_activity(principal=request.ctx.principal, activity_id=activity_id)
    )


@bp.post("/activities/<activity_id:int>/cancel")
@openapi.definition(body=CancelBody, summary="取消活动", tag=TAG, secured="token")
@requires(*RUNNERS)
@validate(json=CancelBody)
async def cancel_activity(request: Request, activity_id: int, body: CancelBody):
    """Cancel an activity, with the reason everyone will hear."""
    return json(
        await service.cancel_activity(
            principal=request.ctx.principal, activity_id=activity_id, reason=body.reason
        )
    )


@bp.post("/activities/<activity_id:int>/finish")
@openapi.definition(summary="结束活动（计入主讲课时）", tag=TAG, secured="token")
@requires(*RUNNERS)
async def finish_activity(request: Request, activity_id: int):
    """Finish an activity that has started."""
    return json(
        await service.finish_activity(principal=request.ctx.principal, activity_id=activity_id)
    )


# ---- codes and poster --------------------------------------------------------------------------


@bp.get("/activities/<activity_id:int>/code")
@openapi.definition(summary="活动签到码（静态）", tag=TAG, secured="token")
@requires(*RUNNERS)
async def get_code(request: Request, activity_id: int):
    """The static scene printed on the poster, and the mini-program page it opens."""
    return json(
        await service.activity_code(
            principal=request.ctx.principal,
            activity_id=activity_id,
            page=CHECKIN.path,
        )
    )


@bp.get("/activities/<activity_id:int>/poster.png")
@openapi.definition(summary="签到海报（A4，PNG）", tag=TAG, secured="token")
@openapi.response(200, {"image/png": bytes}, "海报图片")
@requires(*RUNNERS)
async def get_poster(request: Request, activity_id: int):
    """The printable poster with the mini-program code."""
    png = await poster.activity_poster(
        principal=request.ctx.principal,
        activity_id=activity_id,
        settings=current().settings,
        wechat=current().wechat,
    )
    headers = {
        "Cache-Control": "private, no-cache",
        "Content-Disposition": f'inline; filename="activity-{activity_id}-poster.png"',
    }
    return raw(png, content_type="image/png", headers=headers)


# ---- projector ---------------------------------------------------------------------------------


@bp.post("/activities/<activity_id:int>/projector-link")
@openapi.definition(summary="生成签到放映链接", tag=TAG, secured="token")
@requires(*RUNNERS)
async def create_projector_link(request: Request, activity_id: int):
    """A link that shows the rotating code without logging in."""
    data = await projector.projector_link(
        principal=request.ctx.principal,
        activity_id=activity_id,
        settings=current().settings,
    )
    return json(data, status=201)


@bp.get("/activities/<activity_id:int>/rotating-code")
@openapi.definition(
    summary="当前动态签到码（放映链接凭证 t 或组织者登录）", tag=TAG, secured="token"
)
@openapi.parameter("t", str, "query", description="放映链接凭证")
@openapi.response(200, {"application/json": RotatingCodeAnswer}, "当前时间步的签到码及其剩余秒数")
@requires(PUBLIC)  # guarded by principal_or_projector: the token, or a manager's login
@validate(query=ProjectorQuery)
async def get_rotating_code(request: Request, activity_id: int, query: ProjectorQuery):
    """The scene of the current step, its lifetime and its image's address."""
    activity = await principal_or_projector(request, activity_id, query.t)
    data = projector.rotating_code(activity=activity, token=query.t)
    return json(data, headers={"Cache-Control": "no-store"})


@bp.get("/activities/<activity_id:int>/rotating-code.png")
@openapi.definition(summary="动态签到码图片", tag=TAG, secured="token")
@openapi.parameter("t", str, "query", description="放映链接凭证")
@openapi.parameter("step", int, "query", description="时间步（默认当前）")
@openapi.response(200, {"image/png": bytes}, "签到码图片")
@requires(PUBLIC)  # guarded by principal_or_projector: the token, or a manager's login
@validate(query=StepQuery)
async def get_rotating_code_png(request: Request, activity_id: int, query: StepQuery):
    """The code image of one step."""
    activity = await principal_or_projector(request, activity_id, query.t)
    png = await projector.rotating_code_png(
        activity=activity,
        step=query.step,
    )
    max_age = activity.rotate_seconds * 2
    return raw(
        png, content_type="image/png", headers={"Cache-Control": f"private, max-age={max_age}"}
    )


async def _projector_html(request: Request, activity_id: int, token: str | None) -> str:
    """The projector page for a token of this activity (never a login: the room sees it)."""
    if not token:
        raise DomainError("token_invalid", "缺少放映链接凭证")
    activity = await projector.authorize_display(
        activity_id=activity_id,
        token=token,
        principal=None,
        jwt_secret=current().settings.jwt_secret,
    )
    return await projector.projector_page(activity=activity, token=token)


@pages.get("/activities/<activity_id:int>/projector")
@openapi.exclude()
@requires(PUBLIC)  # the projector token in ?t= is checked below
@validate(query=ProjectorQuery)
async def projector_page(request: Request, activity_id: int, query: ProjectorQuery):
    """The full-screen projector page (HTML); a refusal is a page too."""
    try:
        page = await _projector_html(request, activity_id, query.t)
    except DomainError as exc:
        page, status = projector.error_page(message=exc.message), exc.status
        return html(page, status=status, headers=PAGE_HEADERS)
    return html(page, headers=PAGE_HEADERS)
