"""Drafting (撰稿): a post drafted from a finished activity, read, listed and edited."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.activities import service as activities
from server.archive import service as archive
from server.checkin import figures as checkin_figures
from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.orgs import service as orgs
from server.publicity import compose, render
from server.publicity.models import Post, PostStatus
from server.publicity.post_access import (
    WRITERS,
    roles_on,
    visible_post,
    writing_kindergarten,
)
from server.publicity.post_checks import check_cover, check_images, refusal
from server.publicity.post_display import post_summary, post_view
from server.publicity.post_steps import record_step, status_of, transition

MAX_PHOTOS = 9


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
            raise DomainError("photo_not_consented", refusal(photo), status=422)
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
    kindergarten_id = await writing_kindergarten(principal, facts)
    if kindergarten_id is None:
        raise NotFound("活动")
    existing = await Post.get_or_none(activity_id=activity_id)
    if existing is not None:
        roles = await roles_on(principal, existing)
        if not roles:
            # The other side already writes it; to her it is as if unknown.
            raise NotFound("活动")
        return await post_view(existing, roles, principal), False
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
        roles = await roles_on(principal, existing)
        if not roles:
            raise NotFound("活动") from None
        return await post_view(existing, roles, principal), False
    return await post_view(post, await roles_on(principal, post), principal), True


async def get_post(*, principal: Principal, post_id: int) -> dict:
    """One post with its body, photos, steps and what the caller may do."""
    post, roles = await visible_post(principal, post_id)
    return await post_view(post, roles, principal)


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
    if status_of(post) != PostStatus.DRAFTING:
        raise DomainError("not_editable", "推文已提交审核，退回后才能修改", status=409)
    clean: dict = {}
    if changes.get("title") is not None:
        clean["title"] = render.check_title(changes["title"])
    if changes.get("digest") is not None:
        clean["digest"] = render.check_digest(changes["digest"])
    if changes.get("html") is not None:
        clean["html"] = render.check_body(changes["html"])
        await check_images(post, clean["html"])
    if "cover_file_id" in changes:
        await check_cover(post, changes["cover_file_id"])
        clean["cover_file_id"] = changes["cover_file_id"]
    if clean:
        post = await transition(post, source=(PostStatus.DRAFTING,), **clean)
    return await post_view(post, roles, principal)
