"""Publicity endpoints: draft a post from an activity, edit, preview, and the 三审 review."""

from __future__ import annotations

from urllib.parse import quote

from pydantic import ValidationError
from sanic import Blueprint, Request, html, json, raw
from sanic_ext import openapi, validate

from server.common.auth import requires
from server.common.errors import DomainError
from server.common.params import Params
from server.common.runtime import current
from server.publicity import briefs, disclosure, listing, mass_send, recap, service
from server.publicity.schemas import (
    CommentBody,
    CreateBody,
    DisclosurePostBody,
    PostAnswer,
    PostList,
    PostPatch,
    RecapBody,
)

bp = Blueprint("publicity", url_prefix="/api/v1")
TAG = "宣传推文"
WRITERS = ("organizer", "director", "admin")
READERS = ("organizer", "director", "leader", "admin")
REVIEWERS = ("director", "admin")
SIGNERS = ("leader", "admin")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # The body is sanitised already; the page still runs no script and loads nothing.
    "Content-Security-Policy": "default-src 'none'; img-src data: https: http:; "
    "style-src 'unsafe-inline'",
}


def _body(model, request: Request):
    try:
        return model.model_validate(request.json or {})
    except ValidationError as exc:
        raise DomainError("invalid_input", "请求内容格式不正确") from exc


@bp.post("/activities/<activity_id:int>/post")
@openapi.definition(
    body=CreateBody, summary="由已结束的活动生成宣传推文草稿", tag=TAG, secured="token"
)
@requires(*WRITERS)
async def create_post(request: Request, activity_id: int):
    """Draft the activity's post (only consented photos); asked again, the same post."""
    body = _body(CreateBody, request)
    data, created = await service.create_post(
        principal=request.ctx.principal, activity_id=activity_id, photo_ids=body.photo_ids
    )
    return json(data, status=201 if created else 200)


async def _recap(request: Request, kind: str, unit_id: int):
    body = _body(RecapBody, request)
    data, created = await recap.create_recap(
        principal=request.ctx.principal, kind=kind, unit_id=unit_id, semester=body.semester
    )
    return json(data, status=201 if created else 200)


@bp.post("/pairings/<pairing_id:int>/recap-post")
@openapi.definition(
    body=RecapBody, summary="生成结对的学期回顾推文（帮扶园撰稿）", tag=TAG, secured="token"
)
@requires(*WRITERS)
async def create_pairing_recap(request: Request, pairing_id: int):
    """Draft the pairing's semester recap; asked again, the same post."""
    return await _recap(request, "pairing", pairing_id)


@bp.post("/alliances/<alliance_id:int>/recap-post")
@openapi.definition(
    body=RecapBody, summary="生成联盟的学期回顾推文（牵头园撰稿）", tag=TAG, secured="token"
)
@requires(*WRITERS)
async def create_alliance_recap(request: Request, alliance_id: int):
    """Draft the alliance's semester recap; asked again, the same post."""
    return await _recap(request, "alliance", alliance_id)


async def _disclosure(request: Request, kind: str, unit_id: int):
    body = _body(DisclosurePostBody, request)
    data, created = await disclosure.create_disclosure(
        principal=request.ctx.principal,
        kind=kind,
        unit_id=unit_id,
        semester=body.semester,
        year=body.year,
    )
    return json(data, status=201 if created else 200)


@bp.post("/pairings/<pairing_id:int>/disclosure-post")
@openapi.definition(
    body=DisclosurePostBody,
    summary="生成结对的捐赠与经费公示推文（帮扶园撰稿）",
    tag=TAG,
    secured="token",
)
@requires(*WRITERS)
async def create_pairing_disclosure(request: Request, pairing_id: int):
    """Draft the pairing's 公示 post from its ledger; asked again while drafting, redrafted."""
    return await _disclosure(request, "pairing", pairing_id)


@bp.post("/alliances/<alliance_id:int>/disclosure-post")
@openapi.definition(
    body=DisclosurePostBody,
    summary="生成联盟的捐赠与经费公示推文（牵头园撰稿）",
    tag=TAG,
    secured="token",
)
@requires(*WRITERS)
async def create_alliance_disclosure(request: Request, alliance_id: int):
    """Draft the alliance's 公示 post from its ledger; asked again while drafting, redrafted."""
    return await _disclosure(request, "alliance", alliance_id)


class StatusQuery(Params):
    """?status= (drafting, reviewing, …): the list's filter; every post when absent."""

    status: str | None = None


class SemesterQuery(Params):
    """?semester=2026秋; this semester when absent."""

    semester: str | None = None


@bp.get("/posts")
@openapi.definition(summary="宣传推文列表", tag=TAG, secured="token")
@openapi.response(200, {"application/json": PostList}, "推文，更新时间新的在前")
@openapi.parameter("status", str, "query", description="drafting/reviewing/signing/…")
@requires(*READERS)
@validate(query=StatusQuery)
async def list_posts(request: Request, query: StatusQuery):
    """Posts of the kindergartens the caller writes, reviews or signs for."""
    return json(await service.list_posts(principal=request.ctx.principal, status=query.status))


@bp.get("/posts/<post_id:int>")
@openapi.definition(summary="宣传推文详情", tag=TAG, secured="token")
@openapi.response(200, {"application/json": PostAnswer}, "正文、照片、流程与可做的操作")
@requires(*READERS)
async def get_post(request: Request, post_id: int):
    """The post, its photos (usable or refused with the reason), steps and allowed actions."""
    return json(await service.get_post(principal=request.ctx.principal, post_id=post_id))


@bp.patch("/posts/<post_id:int>")
@openapi.definition(
    body=PostPatch, summary="修改推文（标题、摘要、正文、封面）", tag=TAG, secured="token"
)
@requires(*WRITERS)
@validate(json=PostPatch)
async def update_post(request: Request, post_id: int, body: PostPatch):
    """Edit while 撰稿中; the body is sanitised and checked against WeChat's limits again."""
    return json(
        await service.update_post(
            principal=request.ctx.principal,
            post_id=post_id,
            changes=body.model_dump(exclude_unset=True),
        )
    )


@bp.get("/posts/<post_id:int>/preview")
@openapi.definition(summary="推文手机预览页（HTML）", tag=TAG, secured="token")
@requires(*READERS)
async def preview_post(request: Request, post_id: int):
    """The post as a phone shows it."""
    page = await service.preview_page(
        principal=request.ctx.principal,
        post_id=post_id,
        data_dir=current().settings.data_dir,
    )
    return html(page, headers=PAGE_HEADERS)


def _pdf(content: bytes, filename: str, fallback: str):
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return raw(
        content,
        content_type="application/pdf",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@bp.get("/posts/<post_id:int>/brief.pdf")
@openapi.definition(summary="推文简报（PDF）", tag=TAG, secured="token")
@requires(*READERS)
async def post_brief(request: Request, post_id: int):
    """One post as a printable 简报."""
    content, filename = await briefs.post_brief(
        principal=request.ctx.principal,
        post_id=post_id,
        data_dir=current().settings.data_dir,
    )
    return _pdf(content, filename, f"brief-post-{post_id}.pdf")


@bp.get("/pairings/<pairing_id:int>/brief.pdf")
@openapi.definition(summary="结对学期工作简报（PDF）", tag=TAG, secured="token")
@openapi.parameter("semester", str, "query", description="如 2026秋，默认本学期")
@requires(*READERS)
@validate(query=SemesterQuery)
async def pairing_brief(request: Request, pairing_id: int, query: SemesterQuery):
    """A pairing's semester: targets and its published posts, as a printable 简报."""
    content, filename = await briefs.pairing_brief(
        principal=request.ctx.principal,
        pairing_id=pairing_id,
        semester=query.semester,
        data_dir=current().settings.data_dir,
    )
    return _pdf(content, filename, f"brief-pairing-{pairing_id}.pdf")


@bp.get("/pairings/<pairing_id:int>/posts")
@openapi.definition(summary="结对已发布的推文", tag=TAG, secured="token")
@requires("teacher", *READERS)
async def pairing_posts(request: Request, pairing_id: int):
    """The pairing's published posts with their article links, newest first."""
    return json(await listing.pairing_posts(principal=request.ctx.principal, pairing_id=pairing_id))


@bp.post("/posts/<post_id:int>/submit")
@openapi.definition(body=CommentBody, summary="提交园长审核（撰稿）", tag=TAG, secured="token")
@requires(*WRITERS)
async def submit_post(request: Request, post_id: int):
    """撰稿 done: to the director for 审核, with an optional note."""
    body = _body(CommentBody, request)
    return json(
        await service.submit_post(
            principal=request.ctx.principal, post_id=post_id, comment=body.comment
        )
    )


@bp.post("/posts/<post_id:int>/approve")
@openapi.definition(body=CommentBody, summary="园长审核通过（审核）", tag=TAG, secured="token")
@openapi.response(200, {"application/json": PostAnswer}, "审核通过后的推文")
@requires(*REVIEWERS)
async def approve_post(request: Request, post_id: int):
    """审核 passed: to a leader for 签发."""
    body = _body(CommentBody, request)
    return json(
        await service.approve_post(
            principal=request.ctx.principal, post_id=post_id, comment=body.comment
        )
    )


@bp.post("/posts/<post_id:int>/sign")
@openapi.definition(
    body=CommentBody, summary="领导签发并发布到公众号（签发）", tag=TAG, secured="token"
)
@openapi.response(200, {"application/json": PostAnswer}, "签发后的推文（发布在后台进行）")
@requires(*SIGNERS)
async def sign_post(request: Request, post_id: int):
    """签发 with an optional comment: publishing starts in the background."""
    body = _body(CommentBody, request)
    return json(
        await service.sign_post(
            principal=request.ctx.principal, post_id=post_id, comment=body.comment
        )
    )


@bp.post("/posts/<post_id:int>/send-back")
@openapi.definition(body=CommentBody, summary="退回修改（需填写意见）", tag=TAG, secured="token")
@openapi.response(200, {"application/json": PostAnswer}, "退回后的推文")
@requires("director", "leader", "admin")
async def send_back(request: Request, post_id: int):
    """The reviewer or signer returns the post to its author with a comment."""
    body = _body(CommentBody, request)
    return json(
        await service.send_back(
            principal=request.ctx.principal, post_id=post_id, comment=body.comment or ""
        )
    )


@bp.post("/posts/<post_id:int>/mass-send")
@openapi.definition(summary="群发已发布的推文（签发）", tag=TAG, secured="token")
@requires("leader", "admin")
async def mass_send_post(request: Request, post_id: int):
    """Push a published post to every follower, once, where the 群发 quota allows."""
    return json(await mass_send.mass_send(principal=request.ctx.principal, post_id=post_id))
