"""群发: send a published post to every follower of the 公众号, once, where the quota allows.

Publishing (freepublish) puts the article on the account without notifying anyone; 群发
pushes it into followers' chats, which WeChat rations (a verified 订阅号 once a day, a 服务号
four times a month). So it is a separate, optional step of the 签发 leader. A fixed
clientmsgid per post makes WeChat refuse a second send (45065) even if we ask twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from tortoise.expressions import Q

from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden
from server.common.time import now
from server.publicity.models import MassStatus, Post, PostStatus
from server.publicity.publish import wechat_for_posts
from server.publicity.service import get_post, record_step, visible_post
from server.wechat.errors import (
    MassAlreadySent,
    MassQuotaUsedUp,
    RateLimited,
    SystemBusy,
    Unauthorized,
    WeChatError,
    WeChatUnavailable,
)

log = logging.getLogger(__name__)

#: A send left 群发中 this long (the process died mid-call) may be tried again: the
#: clientmsgid keeps WeChat from sending it twice.
STUCK_AFTER = timedelta(minutes=2)
QUOTA_ADVICE = (
    "公众号的群发次数已用完（认证订阅号每天 1 次，服务号每月 4 次）。"
    "推文已发布在公众号上，读者可在公众号主页看到；需要推送时请改日再群发。"
)
UNAUTHORISED_ADVICE = (
    "公众号未获得群发接口权限（48001）：群发需要已认证的公众号，请联系公众号管理员开通后再试。"
)


def clientmsgid_of(post: Post) -> str:
    """The one clientmsgid of a post's 群发 (WeChat dedupes on it for 24 hours)."""
    return f"songjiao-post-{post.id}"


def _refusal(exc: WeChatError) -> tuple[str, str, int]:
    """(code, Chinese message, HTTP status) for a 群发 WeChat did not take."""
    if isinstance(exc, MassQuotaUsedUp):
        return "mass_quota_used_up", QUOTA_ADVICE, 409
    if isinstance(exc, Unauthorized):
        return "mass_not_authorised", UNAUTHORISED_ADVICE, 409
    if isinstance(exc, WeChatUnavailable | SystemBusy | RateLimited):
        return "wechat_unavailable", f"{exc.message}；推文未群发，请稍后再试。", 503
    return "mass_send_failed", f"群发失败（错误码 {exc.errcode}）：{exc.message}", 502


async def _claim(post: Post) -> bool:
    """Mark the post 群发中 unless someone else is sending it right now."""
    stuck = Q(mass_status=MassStatus.SENDING, updated_at__lt=now() - STUCK_AFTER)
    free = Q(mass_status__in=[MassStatus.NONE, MassStatus.FAILED])
    return bool(
        await Post.filter(Q(id=post.id), Q(free | stuck)).update(
            mass_status=MassStatus.SENDING, mass_message="", updated_at=now()
        )
    )


async def mass_send(*, principal: Principal, post_id: int) -> dict:
    """群发 a published post to all followers; asked again after it went out, changes nothing."""
    post, roles = await visible_post(principal, post_id)
    if "sign" not in roles:
        raise Forbidden("只有签发推文的领导可以群发")
    if PostStatus(post.status) != PostStatus.PUBLISHED or not post.draft_media_id:
        raise DomainError("not_published", "推文发布成功后才能群发", status=409)
    if post.mass_status == MassStatus.SENT:
        return await get_post(principal=principal, post_id=post_id)
    if not await _claim(post):
        raise DomainError("mass_sending", "推文正在群发，请稍后刷新查看结果", status=409)
    try:
        msg_id = await wechat_for_posts().mass_send_all(
            media_id=post.draft_media_id, clientmsgid=clientmsgid_of(post)
        )
    except MassAlreadySent:
        msg_id = ""  # an earlier attempt went out; WeChat refused to send it twice
    except WeChatError as exc:
        code, message, status = _refusal(exc)
        await Post.filter(id=post.id).update(
            mass_status=MassStatus.FAILED, mass_message=message[:300], updated_at=now()
        )
        await record_step(
            post,
            step="mass_failed",
            actor_id=principal.person_id,
            comment=message[:200],
            detail={"errcode": exc.errcode},
        )
        log.info("post %s 群发 refused: errcode %s", post.id, exc.errcode)
        raise DomainError(code, message, status=status) from exc
    await Post.filter(id=post.id).update(
        mass_status=MassStatus.SENT, mass_msg_id=msg_id, mass_sent_at=now(), updated_at=now()
    )
    await record_step(post, step="mass_sent", actor_id=principal.person_id)
    return await get_post(principal=principal, post_id=post_id)
