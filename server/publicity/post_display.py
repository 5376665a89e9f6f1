"""A post as the caller sees it: its summary in lists, or in full with photos, steps, 群发
and what she may do next."""

from __future__ import annotations

from server.common.auth import Principal
from server.common.time import china
from server.publicity import render, sources
from server.publicity.models import STATUS_LABELS, MassStatus, Post, PostKind, PostStatus
from server.publicity.post_access import writer_ids
from server.publicity.post_checks import refusal
from server.publicity.post_steps import status_of, step_views

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


def _actions(post: Post, roles: set[str], *, wrote: bool, reviewed: bool) -> dict[str, bool]:
    status = status_of(post)
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
    status = status_of(post)
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


async def post_view(post: Post, roles: set[str], principal: Principal) -> dict:
    """The whole post for the caller: body, photos (usable or why not), steps, 群发, actions."""
    photos = (await sources.photos_of(post)).values()
    me = principal.person_id
    wrote = bool(me) and me in await writer_ids(post)
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
                "reason": None if p["consent"] else refusal(p),
            }
            for p in photos
        ],
        "mass": _mass_view(post),
        "steps": await step_views(post),
        "can": _actions(post, roles, wrote=wrote, reviewed=reviewed),
        "preview_url": f"/api/v1/posts/{post.id}/preview",
    }
