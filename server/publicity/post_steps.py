"""A post's steps: moving its status safely, keeping each step, and listing them for display.

Each step, with its comment, is kept on the post and in the audit log.
"""

from __future__ import annotations

from server.audit.service import record_action
from server.common.errors import DomainError
from server.common.time import china, now
from server.orgs import service as orgs
from server.publicity.models import Post, PostStatus, PostStep

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


def status_of(post: Post) -> PostStatus:
    """The post's status as the enum."""
    return PostStatus(post.status)


async def transition(post: Post, *, source: tuple[PostStatus, ...], **changes) -> Post:
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


async def step_views(post: Post) -> list[dict]:
    """The post's steps, oldest first, with who took each and when (China time)."""
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
