"""Sandbox endpoints for 公众号 posts: material, uploadimg, drafts, freepublish and 群发.

Stored images are served back by the sandbox itself at `<prefix>/sandbox/media/<id>`, and the
returned `url` is that absolute http URL built from the request's host (not mmbiz.qpic.cn), so
the admin pages and the demo can show them; published articles likewise get a sandbox URL.
"""

from __future__ import annotations

import secrets
from functools import partial

from sanic import Blueprint, Request

from server.wechat.sandbox import mass
from server.wechat.sandbox.endpoint import Call, add_endpoint, error, ok
from server.wechat.sandbox.events import publish_finished_xml, push_later
from server.wechat.sandbox.media import CONTENT_TYPES, sniff_image_type
from server.wechat.sandbox.state import Media, Publish, SandboxState

_MB = 1024 * 1024
_IMAGE_LIMIT = 10 * _MB
_THUMB_LIMIT = 64 * 1024
_UPLOADIMG_LIMIT = 1 * _MB
#: (field, max chars, errcode) checked on every draft article, in WeChat's order.
_ARTICLE_LIMITS = (("title", 32, 45003), ("author", 16, 45110), ("digest", 128, 45004))


def _base(request: Request) -> str:
    return f"{request.scheme}://{request.host}"


def _media_url(state: SandboxState, request: Request, media_id: str) -> str:
    return state.public_url(_base(request), f"/sandbox/media/{media_id}")


async def add_material(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/material/add_material?type=image|thumb with multipart field `media`."""
    kind = call.body.get("type")
    if kind not in ("image", "thumb"):
        return error(40004)
    upload = call.request.files.get("media") if call.request.files else None
    if upload is None or not upload.body:
        return error(41005)
    image_type = sniff_image_type(upload.body)
    if kind == "thumb":
        if image_type != "jpeg":
            return error(40005)
        if len(upload.body) > _THUMB_LIMIT:
            return error(40006)
    else:
        if image_type is None:
            return error(40005)
        if len(upload.body) > _IMAGE_LIMIT:
            return error(40006)
    media_id = state.new_media_id()
    state.media[media_id] = Media(kind, CONTENT_TYPES[image_type], upload.body)
    return {"media_id": media_id, "url": _media_url(state, call.request, media_id)}


async def uploadimg(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/media/uploadimg: an image for article bodies, jpg/png under 1 MB."""
    upload = call.request.files.get("media") if call.request.files else None
    if upload is None or not upload.body:
        return error(41005)
    image_type = sniff_image_type(upload.body)
    if image_type not in ("jpeg", "png"):
        return error(40005)
    if len(upload.body) >= _UPLOADIMG_LIMIT:
        return error(40009)
    media_id = state.new_media_id()
    state.media[media_id] = Media("uploadimg", CONTENT_TYPES[image_type], upload.body)
    return {"url": _media_url(state, call.request, media_id)}


def _article_error(state: SandboxState, article: object) -> dict | None:
    if not isinstance(article, dict):
        return error(47003, "argument invalid! articles invalid")
    if not isinstance(article.get("title"), str) or not article["title"]:
        return error(45003)
    for field, limit, errcode in _ARTICLE_LIMITS:
        value = article.get(field)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            return error(errcode)
    content = article.get("content")
    if not isinstance(content, str) or not content:
        return error(44004)
    if len(content) >= 20000 or len(content.encode()) >= _MB:
        return error(45002)
    media = state.media.get(article.get("thumb_media_id") or "")
    if media is None or media.kind not in ("image", "thumb"):
        return error(40007)
    return None


async def draft_add(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/draft/add: WeChat's article limits; the thumb must be a material."""
    articles = call.body.get("articles")
    if not isinstance(articles, list) or not articles:
        return error(44003)
    if len(articles) > 8:
        return error(45008)
    for article in articles:
        if (problem := _article_error(state, article)) is not None:
            return problem
    media_id = state.new_media_id()
    state.drafts[media_id] = articles
    return {"media_id": media_id}


async def freepublish_submit(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/freepublish/submit: start publishing a draft."""
    outcome = state.publish_outcome
    if outcome.errcode:
        return error(outcome.errcode)
    draft_id = call.body.get("media_id")
    if not isinstance(draft_id, str) or draft_id not in state.drafts:
        return error(40007)
    publish_id = str(2_247_000_000 + len(state.publishes) + 1)
    article_id = secrets.token_urlsafe(24)
    articles = state.drafts[draft_id]
    publish = Publish(publish_id, draft_id, article_id, outcome.status, articles=articles)
    state.publishes[publish_id] = publish
    if outcome.status in (0, 5, 6):
        # 草稿箱功能说明: "草稿发表后，原草稿将从草稿箱移除" (a failed publish keeps it: "若在发表
        # 过程中出现系统失败，草稿箱中会保留这份草稿的备份"). Its media_id is then refused (40007).
        del state.drafts[draft_id]
        state.articles[article_id] = articles
    if state.event_push is not None:
        url = state.public_url(_base(call.request), f"/sandbox/articles/{article_id}")
        xml = publish_finished_xml(publish, articles=len(articles), article_url=url)
        publish.gets = 1  # as after the push: a later freepublish/get answers the outcome
        push_later(state.event_push, xml)
    return ok(publish_id=publish_id, msg_data_id=int(publish_id) + 1_000_000_000)


async def freepublish_get(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/freepublish/get: "publishing" on the first query, the outcome after."""
    publish = state.publishes.get(str(call.body.get("publish_id")))
    if publish is None:
        return error(47003, "argument invalid! publish_id invalid")
    publish.gets += 1
    status = 1 if publish.gets == 1 else publish.final_status
    answer: dict = {"publish_id": publish.publish_id, "publish_status": status, "fail_idx": []}
    count = len(publish.articles)
    if status in (0, 5, 6):
        url = state.public_url(_base(call.request), f"/sandbox/articles/{publish.article_id}")
        answer["article_id"] = publish.article_id
        answer["article_detail"] = {
            "count": count,
            "item": [{"idx": i, "article_url": f"{url}?idx={i}"} for i in range(1, count + 1)],
        }
    elif status in (2, 3, 4):
        answer["fail_idx"] = list(range(1, count + 1))
    return answer


def register(bp: Blueprint, state: SandboxState) -> None:
    """Add the material, draft and publish endpoints to `bp`."""
    add = partial(add_endpoint, app="oa")  # the 公众号's token only
    add(
        bp,
        state,
        kind="add_material",
        path="/cgi-bin/material/add_material",
        handler=add_material,
        body="multipart",
    )
    add(
        bp,
        state,
        kind="uploadimg",
        path="/cgi-bin/media/uploadimg",
        handler=uploadimg,
        body="multipart",
    )
    add(bp, state, kind="draft_add", path="/cgi-bin/draft/add", handler=draft_add)
    add(
        bp,
        state,
        kind="freepublish_submit",
        path="/cgi-bin/freepublish/submit",
        handler=freepublish_submit,
    )
    add(bp, state, kind="freepublish_get", path="/cgi-bin/freepublish/get", handler=freepublish_get)
    add(
        bp,
        state,
        kind="mass_sendall",
        path="/cgi-bin/message/mass/sendall",
        handler=mass.mass_sendall,
    )
    add(bp, state, kind="mass_get", path="/cgi-bin/message/mass/get", handler=mass.mass_get)
