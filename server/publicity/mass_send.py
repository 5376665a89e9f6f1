"""群发: push a published post into every follower's chat, once, where the quota allows.

WeChat's documentation decides the shape (docs/decisions.md, "发表 and 群发"):
- 发表 (freepublish) puts the article on the account and gives its permanent link, but
  "【发布】接口，不会推送给用户"; and "草稿发表后，原草稿将从草稿箱移除". So the published
  post's draft cannot be sent: sendall answers 40007 for it.
- 群发 (message/mass/sendall) takes an mpnews media_id "通过 “草稿箱 / 新建草稿” 接口获得", so a
  群发 makes its own draft of the same article (images and cover are already uploaded) and
  sends that; "草稿一经群发，即从草稿箱移除".
- sendall only accepts a job ("仅会给出群发任务是否提交成功的提示"): the post is then 已提交
  (SUBMITTED, with WeChat's msg_id); it is 已群发 or 群发未成功 when MASSSENDJOBFINISH arrives
  ("在群发任务结束时，会向开发者在公众平台填写的开发者URL（callback URL）推送事件").

WeChat rations 群发 (a verified 订阅号 once a day, a 服务号 four times a month), so it stays a
separate, optional step of the 签发 leader. The clientmsgid is fixed per post and attempt:
WeChat refuses a repeat (45065, naming the first job) even if we ask twice; a new attempt
starts only after WeChat reported the previous job failed.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden
from server.common.runtime import current
from server.common.time import now
from server.jobs import failures
from server.publicity.drafting import get_post
from server.publicity.models import MassStatus, Post, PostStatus
from server.publicity.post_access import visible_post
from server.publicity.post_steps import record_step
from server.publicity.publish import draft_article, wechat_for_posts, wechat_reason
from server.wechat.errors import (
    InvalidMedia,
    MassAlreadySent,
    MassQuotaUsedUp,
    RateLimited,
    SystemBusy,
    Unauthorized,
    WeChatError,
    WeChatUnavailable,
)

log = logging.getLogger(__name__)

MASS_POLL_JOB = "publicity.poll_mass_sends"

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
#: MASSSENDJOBFINISH's Status "err(num)", as WeChat's documentation lists them.
MASS_FAILURES = {
    10001: "涉嫌广告",
    20001: "涉嫌政治",
    20004: "涉嫌社会",
    20002: "涉嫌色情",
    20006: "涉嫌违法犯罪",
    20008: "涉嫌欺诈",
    20013: "涉嫌版权",
    22000: "涉嫌互推（互相宣传）",
    21000: "涉嫌其他",
    30001: "原创校验出现系统错误，且设置了被判为转载就不群发",
    30002: "原创校验判定为不能群发",
    30003: "原创校验判定为转载文，且设置了被判为转载就不群发",
}
PROTECTION = {
    40001: "公众号管理员拒绝了这次群发（群发保护）。需要推送时请与管理员确认后重新群发。",
    40002: "公众号开启了群发保护，管理员未在 30 分钟内确认，这次群发已失败。"
    "请先告知公众号管理员留意微信中的确认提醒，再重新群发。",
}
_ERR = re.compile(r"err\((\d{1,6})\)")
#: 群发保护 gives the admin 30 minutes; past this, a job without its event is asked about.
UNREPORTED_AFTER = timedelta(minutes=40)
UNREPORTED_FAILURE = (
    "微信报告群发失败，但未送来原因（未收到群发结果通知）。若公众号开启了群发保护，"
    "可能是管理员未在 30 分钟内确认。请与公众号管理员确认后重新群发。"
)


def clientmsgid_of(post: Post) -> str:
    """The clientmsgid of a post's current 群发 attempt (WeChat dedupes on it for 24 hours)."""
    suffix = f"-{post.mass_attempt}" if post.mass_attempt else ""
    return f"songjiao-post-{post.id}{suffix}"


def failure_message(status: str) -> str:
    """A MASSSENDJOBFINISH Status that is not "send success", said in Chinese."""
    match = _ERR.fullmatch(status)
    code = int(match[1]) if match else None
    if code in PROTECTION:
        return f"{PROTECTION[code]}（{status}）"
    if code in MASS_FAILURES:
        return (
            f"微信审核未通过群发：{MASS_FAILURES[code]}（{status}）。推文未推送给关注者；"
            "请联系公众号管理员查看公众号后台的通知。"
        )
    if code is not None:
        return f"微信未能群发这篇推文（{status}）。请稍后重新群发；多次失败请联系公众号管理员。"
    return "微信群发失败（send fail，未说明原因）。请稍后重新群发；多次失败请联系公众号管理员。"


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


async def _mass_draft(post: Post, wechat) -> str:
    """The 群发's own draft (draft/add once per attempt; the media_id is kept)."""
    if post.mass_media_id:
        return post.mass_media_id
    article = await draft_article(post, wechat, current().settings.data_dir)
    post.mass_media_id = await wechat.add_draft(articles=[article])
    await Post.filter(id=post.id).update(mass_media_id=post.mass_media_id)
    return post.mass_media_id


async def _submit(post: Post) -> str:
    """Draft and sendall; WeChat's msg_id of the job (the earlier one's for a repeat)."""
    wechat = wechat_for_posts()
    for fresh in (False, True):
        media_id = await _mass_draft(post, wechat)
        try:
            return await wechat.mass_send_all(media_id=media_id, clientmsgid=clientmsgid_of(post))
        except MassAlreadySent as exc:
            # An earlier call went out (the process died before storing it): the same job.
            return str(exc.answer.get("msg_id") or "")
        except InvalidMedia:
            if fresh:
                raise
            # Our draft left the 草稿箱 (sent or published from the 公众号 console): make another.
            post.mass_media_id = ""
    raise AssertionError("unreachable")


async def _refused(post: Post, principal: Principal, exc: WeChatError | DomainError) -> None:
    if isinstance(exc, DomainError):
        code, message, status = exc.code, f"{exc.message}；推文未群发。", exc.status
        wechat_code = ""
    else:
        code, message, status = _refusal(exc)
        wechat_code = str(exc.errcode or "")
    await Post.filter(id=post.id).update(
        mass_status=MassStatus.FAILED,
        mass_message=message[:300],
        mass_status_code=wechat_code,
        updated_at=now(),
    )
    await record_step(
        post,
        step="mass_failed",
        actor_id=principal.person_id,
        comment=message[:200],
        detail={"errcode": wechat_code or code},
    )
    raise DomainError(code, message, status=status) from exc


async def mass_send(*, principal: Principal, post_id: int) -> dict:
    """Submit a published post's 群发; asked again once submitted or sent, changes nothing."""
    post, roles = await visible_post(principal, post_id)
    if "sign" not in roles:
        raise Forbidden("只有签发推文的领导可以群发")
    if PostStatus(post.status) != PostStatus.PUBLISHED:
        raise DomainError("not_published", "推文发布成功后才能群发", status=409)
    if post.mass_status in (MassStatus.SUBMITTED, MassStatus.SENT):
        return await get_post(principal=principal, post_id=post_id)
    if not await _claim(post):
        raise DomainError("mass_sending", "推文正在群发，请稍后刷新查看结果", status=409)
    try:
        msg_id = await _submit(post)
    except WeChatError as exc:
        log.info("post %s 群发 refused: errcode %s", post.id, exc.errcode)
        await _refused(post, principal, exc)
    except DomainError as exc:  # a photo's consent was withdrawn since publishing
        await _refused(post, principal, exc)
    await Post.filter(id=post.id, mass_status=MassStatus.SENDING).update(
        mass_status=MassStatus.SUBMITTED,
        mass_msg_id=msg_id[:64],
        mass_submitted_at=now(),
        mass_status_code="",
        updated_at=now(),
    )
    await record_step(post, step="mass_submitted", actor_id=principal.person_id)
    return await get_post(principal=principal, post_id=post_id)


def _allowed_url(url: str) -> str:
    """The 群发 article URL when it points at WeChat's articles (or the sandbox's), else ""."""
    base = current().settings.wechat_api_base.rstrip("/")
    prefixes = ("https://mp.weixin.qq.com/", "http://mp.weixin.qq.com/", f"{base}/sandbox/")
    return url[:500] if url.startswith(prefixes) else ""


async def record_mass_outcome(
    *,
    msg_id: str,
    status: str,
    total: int | None,
    sent: int | None,
    errors: int | None,
    article_url: str = "",
) -> bool:
    """MASSSENDJOBFINISH: settle the post whose job it names; False when none is waiting.

    Whether the job went out is asked of WeChat (message/mass/get, with our own token): the
    event may come from anyone who knows the callback token, as PUBLISHJOBFINISH may. The
    event's counts, Status and article URL are kept as WeChat's report of a confirmed job.
    """
    post = await Post.get_or_none(mass_msg_id=msg_id, mass_status=MassStatus.SUBMITTED)
    if post is None or not msg_id:
        return False
    report = {"total": total, "sent": sent, "errors": errors, "article_url": article_url}
    return await _settle(post, status=status, **report)


async def _settle(post: Post, *, status: str, **report) -> bool:
    """Apply what message/mass/get says of the post's job; False while it is still sending."""
    try:
        wechat_status = await wechat_for_posts().get_mass_status(msg_id=post.mass_msg_id)
    except WeChatError as exc:
        log.warning("post %s: message/mass/get failed (%s)", post.id, exc.errcode)
        return False
    return await _apply(post, wechat_status=wechat_status, status=status, **report)


async def _apply(post: Post, *, wechat_status: str, status: str, **report) -> bool:
    """Record message/mass/get's msg_status on the post; False while it is still sending."""
    if wechat_status == "SEND_SUCCESS":
        # The outcome and its step in one transaction: a reader never sees one without the
        # other (a test on a busy machine saw "sent" with the last step still "submitted").
        async with in_transaction():
            done = await Post.filter(id=post.id, mass_status=MassStatus.SUBMITTED).update(
                mass_status=MassStatus.SENT,
                mass_status_code=status[:32],
                mass_total_count=report.get("total"),
                mass_sent_count=report.get("sent"),
                mass_error_count=report.get("errors"),
                mass_article_url=_allowed_url(report.get("article_url") or ""),
                mass_sent_at=now(),
                mass_message="",
                updated_at=now(),
            )
            if done:
                await record_step(post, step="mass_sent", actor_id=None)
        return bool(done)
    if wechat_status == "SEND_FAIL":
        reported = status or "send fail"
        message = failure_message(status) if status else UNREPORTED_FAILURE
    elif wechat_status == "DELETE":
        reported, message = "deleted", "群发的消息已在公众号后台被删除。需要时请重新群发。"
    else:
        return False  # still SENDING: the event was early or forged
    async with in_transaction():
        done = await Post.filter(id=post.id, mass_status=MassStatus.SUBMITTED).update(
            mass_status=MassStatus.FAILED,
            mass_status_code=reported[:32],
            mass_message=message[:300],
            # The next try is a new job: a new clientmsgid and a new draft.
            mass_attempt=post.mass_attempt + 1,
            mass_media_id="",
            updated_at=now(),
        )
        if done:
            detail = {"status": reported}
            await record_step(
                post, step="mass_failed", actor_id=None, comment=message[:200], detail=detail
            )
    return bool(done)


async def _poll_failed(post: Post, *, item: str, reason: str) -> None:
    """Count a failed ask about the post's 群发; at the cap, say so on the post."""
    if not await failures.record_failure(
        job=MASS_POLL_JOB, item=item, reason=f"群发结果查询：{reason}"
    ):
        return
    # Still 已提交: WeChat may have sent it, and marking it failed would invite a second
    # 群发 to every follower. The callback (MASSSENDJOBFINISH) can still settle it.
    message = (
        f"无法查询群发结果：系统已自动重试 {failures.MAX_ATTEMPTS} 次仍未成功（{reason}）。"
        "群发可能已推送，请在公众号后台核对；系统不再自动查询，收到微信的群发结果通知后会自动更新。"
    )
    await Post.filter(id=post.id, mass_status=MassStatus.SUBMITTED).update(
        mass_message=message[:300], updated_at=now()
    )


async def poll_mass_sends() -> dict:
    """Settle 群发 jobs whose MASSSENDJOBFINISH never came, by message/mass/get.

    Asked only after 群发保护's 30 minutes have passed, so the event (which brings the
    counts and the article URL) normally comes first; a job settled here has no counts.
    Each post is asked on its own; one that keeps failing is given up after
    failures.MAX_ATTEMPTS polls, its reason shown on the post.
    """
    due = now() - UNREPORTED_AFTER
    posts = await Post.filter(mass_status=MassStatus.SUBMITTED, mass_submitted_at__lt=due).order_by(
        "id"
    )
    items = {post.id: f"mass:{post.id}:{post.mass_msg_id}" for post in posts[:100]}
    dead = await failures.given_up(job=MASS_POLL_JOB, items=list(items.values()))
    checked = settled = 0
    for post in posts[:100]:
        item = items[post.id]
        if not post.mass_msg_id or item in dead:
            continue
        checked += 1
        try:
            wechat_status = await wechat_for_posts().get_mass_status(msg_id=post.mass_msg_id)
            if await _apply(post, wechat_status=wechat_status, status=""):
                settled += 1
        except Exception as exc:
            log.warning("post %s: 群发 poll failed: %s", post.id, type(exc).__name__)
            is_wechat = isinstance(exc, WeChatError)
            reason = wechat_reason(exc) if is_wechat else failures.reason_of(exc)
            await _poll_failed(post, item=item, reason=reason)
        else:
            await failures.clear_failure(job=MASS_POLL_JOB, item=item)
    return {"checked": checked, "settled": settled}
