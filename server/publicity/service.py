"""Publicity: draft a 公众号 post from a finished activity, edit it, and review it (三审).

撰稿 is an organizer (or director) of the host kindergarten, or of the side that ran the
activity (the 帮扶园 of a 送教 at its partner); 审核 a director of that kindergarten, 签发 a
leader whose region or alliance holds it (or an admin). Writer, reviewer and signer are
three different people. Each step, with its comment, is kept on the post and in the audit
log. Publishing itself lives in publish.py.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.activities import service as activities
from server.archive import service as archive
from server.audit.service import record_action
from server.checkin import figures as checkin_figures
from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.common.time import china, now
from server.orgs import service as orgs
from server.publicity import compose, disclosure_figures, images, render, sources
from server.publicity.models import STATUS_LABELS, MassStatus, Post, PostKind, PostStatus, PostStep

WRITERS = ("organizer", "director")
MAX_PHOTOS = 9
COMMENT_MAX = 200
STEP_LABELS = {
    "drafted": "生成草稿",
    "submitted": "提交审核",
    "approved": "园长审核通过",
    "signed": "领导签发",
    "sent_back": "退回修改",
    "published": "发布成功",
    "failed": "发布失败",
    "mass_submitted": "提交群发",
    "mass_sent": "群发成功",
    "mass_failed": "群发未成功",
}
MASS_LABELS = {
    "": "未群发",
    "sending": "正在提交群发",
    "submitted": "已提交微信，等待群发结果",
    "sent": "已群发",
    "failed": "群发未成功",
}
#: Shown while WeChat has the job: with 群发保护 an admin must confirm it first.
MASS_WAITING_NOTE = (
    "微信已接受群发任务，发送完成后会通知结果。若公众号开启了群发保护，"
    "请公众号管理员在 30 分钟内于微信中确认，否则这次群发会失败。"
)
#: Shown in the staff preview where a photo stood whose consent was withdrawn.
WITHDRAWN_NOTE = "（此处照片已撤回公开同意，不再显示；发布前请删除或更换）"


# ---- who may do what --------------------------------------------------------------------


def writes_for(principal: Principal, kindergarten_id: int) -> bool:
    """Whether the caller writes (撰稿) for this kindergarten: its organizer or director."""
    return principal.is_admin or kindergarten_id in principal.scope_ids("kindergarten", WRITERS)


def _reviews_for(principal: Principal, kindergarten_id: int) -> bool:
    return principal.is_admin or kindergarten_id in principal.scope_ids(
        "kindergarten", ["director"]
    )


async def _signs_for(principal: Principal, kindergarten_id: int) -> bool:
    return principal.is_admin or kindergarten_id in await orgs.kindergarten_ids_led(principal)


async def _writing_kindergarten(principal: Principal, facts: dict) -> int | None:
    """Whose post the caller writes: the host's, else the side of the activity she runs.

    A 送教 is hosted at the 被帮扶园 but run by the 帮扶园's organizer; she writes its post
    for her own kindergarten, whose director then reviews it. None: she writes for neither.
    """
    if writes_for(principal, facts["host_id"]):
        return facts["host_id"]
    sides: list[int] = []
    if facts["pairing_id"]:
        sides += list(await orgs.pairing_sides(pairing_id=facts["pairing_id"]))
    if facts["alliance_id"]:
        lead = await orgs.alliance_lead_id(alliance_id=facts["alliance_id"])
        sides += [lead] if lead else []
    return next((kg for kg in sides if writes_for(principal, kg)), None)


async def _writer_ids(post: Post) -> set[int]:
    """People who wrote the post: who drafted it and whoever submitted it for review."""
    steps = await PostStep.filter(post_id=post.id, step__in=["drafted", "submitted"]).values_list(
        "actor_id", flat=True
    )
    return {i for i in (post.created_by_id, *steps) if i}


async def _roles_on(principal: Principal, post: Post) -> set[str]:
    roles = set()
    if writes_for(principal, post.kindergarten_id):
        roles.add("write")
    if _reviews_for(principal, post.kindergarten_id):
        roles.add("review")
    if await _signs_for(principal, post.kindergarten_id):
        roles.add("sign")
    return roles


async def visible_post(principal: Principal, post_id: int) -> tuple[Post, set[str]]:
    """The post and the caller's parts in it; 404 when she has none."""
    post = await Post.get_or_none(id=post_id)
    if post is None:
        raise NotFound("推文")
    roles = await _roles_on(principal, post)
    if not roles:
        raise NotFound("推文")
    return post, roles


def _status(post: Post) -> PostStatus:
    return PostStatus(post.status)


async def _transition(post: Post, *, source: tuple[PostStatus, ...], **changes) -> Post:
    """Move the post only if nobody moved it meanwhile (two clicks, two reviewers)."""
    done = await Post.filter(id=post.id, status__in=list(source)).update(
        updated_at=now(), **changes
    )
    if not done:
        raise DomainError("conflict", "推文状态已变化，请刷新后再试", status=409)
    return await Post.get(id=post.id)


async def record_step(
    post: Post, *, step: str, actor_id: int | None, comment: str = "", detail: dict | None = None
) -> None:
    """Keep a step on the post and in the audit log."""
    await PostStep.create(post_id=post.id, step=step, actor_id=actor_id, comment=comment)
    await record_action(
        actor_id=actor_id,
        action=f"publicity.{step}",
        target_type="post",
        target_id=post.id,
        activity_id=post.activity_id,
        reason=comment,
        detail=detail,
    )


# ---- photos -----------------------------------------------------------------------------


def _refusal(photo: dict) -> str:
    return f"照片 {photo['id']} 未标记“同意公开”，不能用于推文；请先确认照片中的人员同意公开"


async def _check_images(post: Post, html: str, photos: dict[int, dict] | None = None) -> None:
    """Every body image is a consented photo of the post's activity (or recap's activities)."""
    photos = photos if photos is not None else await sources.photos_of(post)
    for src in render.image_sources(html):
        match = render.LOCAL_IMAGE.match(src)
        photo = photos.get(int(match[1])) if match else None
        if photo is None:
            raise DomainError(
                "foreign_image", "正文图片只能使用本活动档案中已同意公开的照片", status=422
            )
        if not photo["consent"]:
            raise DomainError("photo_not_consented", _refusal(photo), status=422)


async def _check_cover(
    post: Post, cover_file_id: int | None, photos: dict[int, dict] | None = None
) -> None:
    if cover_file_id is None:
        return
    photos = photos if photos is not None else await sources.photos_of(post)
    photo = photos.get(cover_file_id)
    if photo is None:
        raise DomainError("invalid_cover", "封面只能选用本活动档案中的照片", status=422)
    if not photo["consent"]:
        raise DomainError("photo_not_consented", _refusal(photo), status=422)


async def check_post(*, post: Post) -> None:
    """Everything checked again before a step forward: limits, images, consent."""
    render.check_title(post.title)
    render.check_digest(post.digest)
    render.check_body(post.html)
    photos = await sources.photos_of(post)
    await _check_images(post, post.html, photos)
    await _check_cover(post, post.cover_file_id, photos)
    if post.kind == PostKind.DISCLOSURE:
        await disclosure_figures.check_figures(post)


# ---- views ------------------------------------------------------------------------------


async def _step_views(post: Post) -> list[dict]:
    steps = await PostStep.filter(post_id=post.id).order_by("id")
    names = await orgs.person_names(person_ids=[s.actor_id for s in steps if s.actor_id])
    return [
        {
            "step": s.step,
            "label": STEP_LABELS.get(s.step, s.step),
            "actor": names.get(s.actor_id) if s.actor_id else None,
            "comment": s.comment,
            "at": china(s.at).isoformat(),
        }
        for s in steps
    ]


def _actions(post: Post, roles: set[str], *, wrote: bool, reviewed: bool) -> dict[str, bool]:
    status = _status(post)
    return {
        "edit": "write" in roles and status == PostStatus.DRAFTING,
        "submit": "write" in roles and status == PostStatus.DRAFTING,
        "approve": "review" in roles and status == PostStatus.REVIEWING and not wrote,
        "sign": "sign" in roles
        and status in (PostStatus.SIGNING, PostStatus.FAILED)
        and not (wrote or reviewed),
        "send_back": ("review" in roles and status == PostStatus.REVIEWING)
        or ("sign" in roles and status in (PostStatus.SIGNING, PostStatus.FAILED)),
        "mass_send": "sign" in roles
        and status == PostStatus.PUBLISHED
        and post.mass_status in (MassStatus.NONE, MassStatus.FAILED),
    }


def post_summary(post: Post) -> dict:
    """A post as lists show it."""
    status = _status(post)
    return {
        "id": post.id,
        "kind": PostKind(post.kind).value,
        "activity_id": post.activity_id,
        "pairing_id": post.pairing_id,
        "alliance_id": post.alliance_id,
        "semester": post.semester or None,
        "kindergarten_id": post.kindergarten_id,
        "title": post.title,
        "digest": post.digest,
        "status": status.value,
        "status_label": STATUS_LABELS[status],
        "article_url": post.article_url or None,
        "updated_at": china(post.updated_at).isoformat() if post.updated_at else None,
    }


def _mass_view(post: Post) -> dict:
    """The 群发 of a post as WeChat reported it: submitted, sent with counts, or why it failed."""
    waiting = post.mass_status == MassStatus.SUBMITTED
    return {
        "status": post.mass_status or "none",
        "label": MASS_LABELS[post.mass_status],
        "message": post.mass_message or (MASS_WAITING_NOTE if waiting else None),
        "wechat_status": post.mass_status_code or None,
        "msg_id": post.mass_msg_id or None,
        "submitted_at": china(post.mass_submitted_at).isoformat()
        if post.mass_submitted_at
        else None,
        "sent_at": china(post.mass_sent_at).isoformat() if post.mass_sent_at else None,
        "total_count": post.mass_total_count,
        "sent_count": post.mass_sent_count,
        "error_count": post.mass_error_count,
        "article_url": post.mass_article_url or None,
    }


async def _post_view(post: Post, roles: set[str], principal: Principal) -> dict:
    photos = (await sources.photos_of(post)).values()
    me = principal.person_id
    wrote = bool(me) and me in await _writer_ids(post)
    reviewed = bool(me) and me == post.reviewed_by_id
    return {
        **post_summary(post),
        "html": post.html,
        "author_name": post.author_name,
        "cover_file_id": post.cover_file_id,
        "comment": post.comment,
        "fail_code": post.fail_code or None,
        "fail_message": post.fail_message or None,
        "published_at": china(post.published_at).isoformat() if post.published_at else None,
        "photos": [
            {
                "id": p["id"],
                "caption": p["caption"],
                "src": render.local_src(p["id"]),
                "usable": p["consent"],
                "reason": None if p["consent"] else _refusal(p),
            }
            for p in photos
        ],
        "mass": _mass_view(post),
        "steps": await _step_views(post),
        "can": _actions(post, roles, wrote=wrote, reviewed=reviewed),
        "preview_url": f"/api/v1/posts/{post.id}/preview",
    }


# ---- drafting ---------------------------------------------------------------------------


def _chosen_photos(record: dict, photo_ids: list[int] | None) -> list[dict]:
    """Photos for the body: every consented one, or those asked for (non-consented refused)."""
    by_id = {p["id"]: p for p in record["photos"]}
    if photo_ids is None:
        return [p for p in record["photos"] if p["consent"]][:MAX_PHOTOS]
    chosen = []
    for file_id in dict.fromkeys(photo_ids):
        photo = by_id.get(file_id)
        if photo is None:
            raise DomainError("invalid_photo", f"照片 {file_id} 不属于本活动的档案", status=422)
        if not photo["consent"]:
            raise DomainError("photo_not_consented", _refusal(photo), status=422)
        chosen.append(photo)
    if len(chosen) > MAX_PHOTOS:
        raise DomainError("too_many_photos", f"一篇推文最多选用 {MAX_PHOTOS} 张照片", status=422)
    return chosen


async def create_post(
    *, principal: Principal, activity_id: int, photo_ids: list[int] | None = None
) -> tuple[dict, bool]:
    """Draft the post of a finished activity; asked again, answers the existing post.

    Returns the post and whether it was created now.
    """
    facts = await activities.publicity_facts(activity_id=activity_id)
    kindergarten_id = await _writing_kindergarten(principal, facts)
    if kindergarten_id is None:
        raise NotFound("活动")
    existing = await Post.get_or_none(activity_id=activity_id)
    if existing is not None:
        roles = await _roles_on(principal, existing)
        if not roles:
            # The other side already writes it; to her it is as if unknown.
            raise NotFound("活动")
        return await _post_view(existing, roles, principal), False
    if facts["status"] != "finished":
        raise DomainError("not_finished", "活动结束后才能生成宣传推文", status=409)
    record = {
        **await archive.publicity_record(activity_id=activity_id),
        "figures": await checkin_figures.activity_figures(activity_id=activity_id),
    }
    photos = _chosen_photos(record, photo_ids)
    uploaders = [p["uploaded_by_id"] for p in photos if p["uploaded_by_id"]]
    ids = [principal.person_id, *uploaders] if principal.person_id else uploaders
    names = await orgs.person_names(person_ids=ids)
    author = names.get(principal.person_id, "") if principal.person_id else ""
    photographers = list(dict.fromkeys(names[i] for i in uploaders if i in names))
    byline = {
        "author": author or facts["host_name"],
        "photographer": "、".join(photographers) or author or facts["host_name"],
        "reviewer": compose.REVIEWER_PENDING,
    }
    context = compose.body_context(facts=facts, record=record, photos=photos, byline=byline)
    html = render.check_body(render.render_body(context))
    try:
        async with in_transaction():
            post = await Post.create(
                activity_id=activity_id,
                kindergarten_id=kindergarten_id,
                pairing_id=facts["pairing_id"],
                alliance_id=facts["alliance_id"],
                title=render.check_title(compose.title_of(facts)),
                digest=render.check_digest(compose.digest_of(context["lead"])),
                html=html,
                author_name=render.clip(facts["host_name"], render.AUTHOR_MAX),
                cover_file_id=photos[0]["id"] if photos else None,
                created_by_id=principal.person_id,
            )
            await record_step(post, step="drafted", actor_id=principal.person_id)
    except IntegrityError:
        # Two clicks at once: the other request drafted it; answer that post.
        existing = await Post.get(activity_id=activity_id)
        roles = await _roles_on(principal, existing)
        if not roles:
            raise NotFound("活动") from None
        return await _post_view(existing, roles, principal), False
    return await _post_view(post, await _roles_on(principal, post), principal), True


async def get_post(*, principal: Principal, post_id: int) -> dict:
    """One post with its body, photos, steps and what the caller may do."""
    post, roles = await visible_post(principal, post_id)
    return await _post_view(post, roles, principal)


async def list_posts(*, principal: Principal, status: str | None = None) -> dict:
    """Posts of the kindergartens the caller writes, reviews or signs for, newest first."""
    query = Post.all()
    if not principal.is_admin:
        kgs = principal.scope_ids("kindergarten", WRITERS) | await orgs.kindergarten_ids_led(
            principal
        )
        query = query.filter(kindergarten_id__in=list(kgs))
    if status:
        try:
            query = query.filter(status=PostStatus(status))
        except ValueError as exc:
            raise DomainError("invalid_status", "status 取值不正确") from exc
    rows = await query.order_by("-updated_at", "-id").limit(200)
    return {"items": [post_summary(p) for p in rows]}


async def update_post(*, principal: Principal, post_id: int, changes: dict) -> dict:
    """The author edits title, digest, body or cover; everything is checked again."""
    post, roles = await visible_post(principal, post_id)
    if "write" not in roles:
        raise Forbidden("只有本园的组织者或园长可以修改推文")
    if _status(post) != PostStatus.DRAFTING:
        raise DomainError("not_editable", "推文已提交审核，退回后才能修改", status=409)
    clean: dict = {}
    if changes.get("title") is not None:
        clean["title"] = render.check_title(changes["title"])
    if changes.get("digest") is not None:
        clean["digest"] = render.check_digest(changes["digest"])
    if changes.get("html") is not None:
        clean["html"] = render.check_body(changes["html"])
        await _check_images(post, clean["html"])
    if "cover_file_id" in changes:
        await _check_cover(post, changes["cover_file_id"])
        clean["cover_file_id"] = changes["cover_file_id"]
    if clean:
        post = await _transition(post, source=(PostStatus.DRAFTING,), **clean)
    return await _post_view(post, roles, principal)


# ---- review -----------------------------------------------------------------------------


def _comment(comment: str | None, *, required: bool) -> str:
    comment = (comment or "").strip()
    if required and not comment:
        raise DomainError("comment_required", "退回时请填写修改意见")
    if len(comment) > COMMENT_MAX:
        raise DomainError("comment_too_long", f"意见不能超过 {COMMENT_MAX} 个字")
    return comment


async def submit_post(*, principal: Principal, post_id: int, comment: str | None = None) -> dict:
    """撰稿 done: the director is asked to review (with the writer's note, if any)."""
    post, roles = await visible_post(principal, post_id)
    if "write" not in roles:
        raise Forbidden("只有本园的组织者或园长可以提交推文")
    if _status(post) != PostStatus.DRAFTING:
        raise DomainError("not_drafting", "只有撰稿中的推文可以提交审核", status=409)
    comment = _comment(comment, required=False)
    await check_post(post=post)
    async with in_transaction():
        post = await _transition(
            post, source=(PostStatus.DRAFTING,), status=PostStatus.REVIEWING, comment=""
        )
        await record_step(post, step="submitted", actor_id=principal.person_id, comment=comment)
    return await _post_view(post, roles, principal)


_REVIEWER_BYLINE = re.compile("审核：" + re.escape(compose.REVIEWER_PENDING))


async def approve_post(*, principal: Principal, post_id: int, comment: str | None = None) -> dict:
    """审核 passed by the host's director: a leader is asked to sign it off."""
    post, roles = await visible_post(principal, post_id)
    if "review" not in roles:
        raise Forbidden("只有本园园长可以审核推文")
    if _status(post) != PostStatus.REVIEWING:
        raise DomainError("not_reviewing", "推文不在待审核状态", status=409)
    if principal.person_id and principal.person_id in await _writer_ids(post):
        # 三审 is three people: whoever wrote or submitted the post does not review it.
        raise Forbidden("您是这篇推文的撰稿人，不能审核自己的推文；请由本园另一位园长审核")
    comment = _comment(comment, required=False)
    names = await orgs.person_names(person_ids=[principal.person_id or 0])
    reviewer = names.get(principal.person_id or 0)
    html = _REVIEWER_BYLINE.sub(f"审核：{reviewer}", post.html, count=1) if reviewer else post.html
    async with in_transaction():
        post = await _transition(
            post,
            source=(PostStatus.REVIEWING,),
            status=PostStatus.SIGNING,
            reviewed_by_id=principal.person_id,
            html=render.check_body(html),
        )
        await record_step(post, step="approved", actor_id=principal.person_id, comment=comment)
    return await _post_view(post, roles, principal)


async def sign_post(*, principal: Principal, post_id: int, comment: str | None = None) -> dict:
    """签发 by a leader over the kindergarten, with her comment: publishing starts."""
    from server.publicity import publish

    post, roles = await visible_post(principal, post_id)
    if "sign" not in roles:
        raise Forbidden("只有负责该园的领导或管理员可以签发推文")
    if _status(post) not in (PostStatus.SIGNING, PostStatus.FAILED):
        raise DomainError("not_signing", "推文不在待签发状态", status=409)
    me = principal.person_id
    if me and (me == post.reviewed_by_id or me in await _writer_ids(post)):
        raise Forbidden("您参与了这篇推文的撰稿或审核，不能再签发；请由另一位领导签发")
    comment = _comment(comment, required=False)
    await check_post(post=post)
    async with in_transaction():
        post = await _transition(
            post,
            source=(PostStatus.SIGNING, PostStatus.FAILED),
            status=PostStatus.PUBLISHING,
            signed_by_id=principal.person_id,
            fail_code="",
            fail_message="",
            # A new 签发 after a failure starts a new draft and publish job at WeChat, with
            # a new cover (title or cover photo may have changed since).
            draft_media_id="",
            thumb_media_id="",
            publish_id=None,
        )
        await record_step(post, step="signed", actor_id=principal.person_id, comment=comment)
    await publish.publish_soon(post_id=post.id)
    return await _post_view(post, roles, principal)


async def send_back(*, principal: Principal, post_id: int, comment: str) -> dict:
    """The reviewer or the signer sends the post back to its author with a comment."""
    post, roles = await visible_post(principal, post_id)
    status = _status(post)
    allowed = ("review" in roles and status == PostStatus.REVIEWING) or (
        "sign" in roles and status in (PostStatus.SIGNING, PostStatus.FAILED)
    )
    if not allowed:
        if roles == {"write"}:
            raise Forbidden("只有审核人或签发人可以退回推文")
        raise DomainError("not_returnable", "推文当前状态不能由您退回", status=409)
    comment = _comment(comment, required=True)
    async with in_transaction():
        post = await _transition(
            post,
            source=(status,),
            status=PostStatus.DRAFTING,
            comment=comment,
            html=post.html.replace(
                f"审核：{await _reviewer_name(post)}", f"审核：{compose.REVIEWER_PENDING}", 1
            ),
        )
        await record_step(post, step="sent_back", actor_id=principal.person_id, comment=comment)
    return await _post_view(post, roles, principal)


async def _reviewer_name(post: Post) -> str:
    if not post.reviewed_by_id:
        return compose.REVIEWER_PENDING
    return (await orgs.person_names(person_ids=[post.reviewed_by_id])).get(
        post.reviewed_by_id, compose.REVIEWER_PENDING
    )


# ---- preview ----------------------------------------------------------------------------


async def preview_page(*, principal: Principal, post_id: int, data_dir: Path) -> str:
    """An HTML page showing the post as on a phone (images inlined, no login needed for them)."""
    post, _ = await visible_post(principal, post_id)
    body = post.html
    photos = await sources.photos_of(post)
    # Consent is judged now, not when the draft was made: a withdrawn photo is not shown.
    withdrawn = {i for i, p in photos.items() if not p["consent"]}
    body = render.replace_images(body, withdrawn, WITHDRAWN_NOTE)
    for src in dict.fromkeys(render.image_sources(body)):
        match = render.LOCAL_IMAGE.match(src)
        if not match:
            continue
        try:
            _, data = await sources.photo_bytes(post, int(match[1]), data_dir, photos=photos)
        except DomainError:
            continue
        uri = await asyncio.to_thread(images.preview_data_uri, data)
        body = body.replace(f'src="{src}"', f'src="{uri}"')
    consented = {i: p for i, p in photos.items() if i not in withdrawn}
    cover = await cover_bytes(post=post, data_dir=data_dir, photos=consented)
    names = await orgs.kindergarten_names(kindergarten_ids={post.kindergarten_id})
    status = _status(post)
    return render.render_preview(
        {
            "title": post.title,
            "digest": post.digest,
            "author": post.author_name,
            "account": names.get(post.kindergarten_id, ""),
            "date": compose.date_text(post.published_at or now()),
            "cover": await asyncio.to_thread(images.preview_data_uri, cover, width=375),
            "body": body,
            "status_label": STATUS_LABELS[status],
        }
    )


async def cover_bytes(
    *, post: Post, data_dir: Path, photos: dict[int, dict] | None = None
) -> bytes:
    """The cover thumb: the chosen photo cropped, else a title card (≤ 64 KB JPG)."""
    if post.cover_file_id is not None:
        try:
            _, data = await sources.photo_bytes(post, post.cover_file_id, data_dir, photos=photos)
            return await asyncio.to_thread(images.cover_from_photo, data)
        except DomainError:
            pass
    names = await orgs.kindergarten_names(kindergarten_ids={post.kindergarten_id})
    return await asyncio.to_thread(
        images.title_card, kindergarten=names.get(post.kindergarten_id, ""), title=post.title
    )


# ---- publishing outcome (the 公众号 callback) ---------------------------------------------


async def on_mass_send_finished(
    *,
    msg_id: str,
    status: str,
    total: int | None,
    sent: int | None,
    errors: int | None,
    article_url: str = "",
) -> bool:
    """MASSSENDJOBFINISH: record the 群发 outcome on the post of this job (False: none)."""
    from server.publicity import mass_send

    return await mass_send.record_mass_outcome(
        msg_id=msg_id, status=status, total=total, sent=sent, errors=errors, article_url=article_url
    )


async def on_publish_finished(*, publish_id: str) -> bool:
    """PUBLISHJOBFINISH: settle the post waiting for this job by freepublish/get (False: none)."""
    from server.publicity import publish

    return await publish.confirm_outcome(publish_id=publish_id)
