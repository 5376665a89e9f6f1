"""Review (三审): submitted by its writer, approved by a director, signed by a leader, or
sent back with a comment.

Writer, reviewer and signer are three different people. 签发 hands the post to publish.py.
"""

from __future__ import annotations

import re

from tortoise.transactions import in_transaction

from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden
from server.orgs import service as orgs
from server.publicity import compose, publish, render
from server.publicity.models import Post, PostStatus
from server.publicity.post_access import visible_post, writer_ids
from server.publicity.post_checks import check_post
from server.publicity.post_display import post_view
from server.publicity.post_steps import record_step, status_of, transition

COMMENT_MAX = 200


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
    if status_of(post) != PostStatus.DRAFTING:
        raise DomainError("not_drafting", "只有撰稿中的推文可以提交审核", status=409)
    comment = _comment(comment, required=False)
    await check_post(post=post)
    async with in_transaction():
        post = await transition(
            post, source=(PostStatus.DRAFTING,), status=PostStatus.REVIEWING, comment=""
        )
        await record_step(post, step="submitted", actor_id=principal.person_id, comment=comment)
    return await post_view(post, roles, principal)


_REVIEWER_BYLINE = re.compile("审核：" + re.escape(compose.REVIEWER_PENDING))


async def approve_post(*, principal: Principal, post_id: int, comment: str | None = None) -> dict:
    """审核 passed by the host's director: a leader is asked to sign it off."""
    post, roles = await visible_post(principal, post_id)
    if "review" not in roles:
        raise Forbidden("只有本园园长可以审核推文")
    if status_of(post) != PostStatus.REVIEWING:
        raise DomainError("not_reviewing", "推文不在待审核状态", status=409)
    if principal.person_id and principal.person_id in await writer_ids(post):
        # 三审 is three people: whoever wrote or submitted the post does not review it.
        raise Forbidden("您是这篇推文的撰稿人，不能审核自己的推文；请由本园另一位园长审核")
    comment = _comment(comment, required=False)
    names = await orgs.person_names(person_ids=[principal.person_id or 0])
    reviewer = names.get(principal.person_id or 0)
    html = _REVIEWER_BYLINE.sub(f"审核：{reviewer}", post.html, count=1) if reviewer else post.html
    async with in_transaction():
        post = await transition(
            post,
            source=(PostStatus.REVIEWING,),
            status=PostStatus.SIGNING,
            reviewed_by_id=principal.person_id,
            html=render.check_body(html),
        )
        await record_step(post, step="approved", actor_id=principal.person_id, comment=comment)
    return await post_view(post, roles, principal)


async def sign_post(*, principal: Principal, post_id: int, comment: str | None = None) -> dict:
    """签发 by a leader over the kindergarten, with her comment: publishing starts."""
    post, roles = await visible_post(principal, post_id)
    if "sign" not in roles:
        raise Forbidden("只有负责该园的领导或管理员可以签发推文")
    if status_of(post) not in (PostStatus.SIGNING, PostStatus.FAILED):
        raise DomainError("not_signing", "推文不在待签发状态", status=409)
    me = principal.person_id
    if me and (me == post.reviewed_by_id or me in await writer_ids(post)):
        raise Forbidden("您参与了这篇推文的撰稿或审核，不能再签发；请由另一位领导签发")
    comment = _comment(comment, required=False)
    await check_post(post=post)
    async with in_transaction():
        post = await transition(
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
    return await post_view(post, roles, principal)


async def send_back(*, principal: Principal, post_id: int, comment: str) -> dict:
    """The reviewer or the signer sends the post back to its author with a comment."""
    post, roles = await visible_post(principal, post_id)
    status = status_of(post)
    allowed = ("review" in roles and status == PostStatus.REVIEWING) or (
        "sign" in roles and status in (PostStatus.SIGNING, PostStatus.FAILED)
    )
    if not allowed:
        if roles == {"write"}:
            raise Forbidden("只有审核人或签发人可以退回推文")
        raise DomainError("not_returnable", "推文当前状态不能由您退回", status=409)
    comment = _comment(comment, required=True)
    async with in_transaction():
        post = await transition(
            post,
            source=(status,),
            status=PostStatus.DRAFTING,
            comment=comment,
            html=post.html.replace(
                f"审核：{await _reviewer_name(post)}", f"审核：{compose.REVIEWER_PENDING}", 1
            ),
        )
        await record_step(post, step="sent_back", actor_id=principal.person_id, comment=comment)
    return await post_view(post, roles, principal)


async def _reviewer_name(post: Post) -> str:
    if not post.reviewed_by_id:
        return compose.REVIEWER_PENDING
    return (await orgs.person_names(person_ids=[post.reviewed_by_id])).get(
        post.reviewed_by_id, compose.REVIEWER_PENDING
    )
