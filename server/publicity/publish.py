"""Publishing a signed post: body images, cover thumb, draft/add, freepublish/submit, outcome.

The job may run twice (or in two workers at once): a Redis lock lets one run, and every
step's result is stored on the post before the next, so a rerun continues where the last
one stopped. The outcome is always read from freepublish/get: asked when the
PUBLISHJOBFINISH callback names the job and, as a fallback, by the cron.
"""

from __future__ import annotations

import asyncio
import logging

from server.audit.service import record_action
from server.common.errors import DomainError
from server.common.runtime import current
from server.common.time import now
from server.jobs import failures
from server.jobs.broker import enqueue
from server.publicity import images, render, sources
from server.publicity.models import Post, PostStatus, PostStep
from server.publicity.post_checks import check_post
from server.publicity.post_cover import cover_bytes
from server.wechat.errors import (
    InvalidCredential,
    RateLimited,
    SystemBusy,
    WeChatError,
    WeChatUnavailable,
)

log = logging.getLogger(__name__)

PUBLISH_JOB = "publicity.publish_post"
POLL_JOB = "publicity.poll_publishes"
LOCK_TTL_S = 300
#: WeChat's transient answers: the post stays 发布中 and the cron tries again.
TRANSIENT = (WeChatUnavailable, SystemBusy, RateLimited, InvalidCredential)

#: publish_status of freepublish/get and PUBLISHJOBFINISH: what happened, what to do.
STATUS_MESSAGES = {
    2: "原创声明校验失败（状态 2）：文章与已发表的原创内容重复。"
    "请退回撰稿，删除或注明转载内容后重新提交。",
    3: "微信发布失败（状态 3，常规失败）：请稍后由领导重新签发；多次失败请联系公众号管理员。",
    4: "平台审核不通过（状态 4）：文章内容未通过微信审核。"
    "请退回撰稿，修改可能违规的文字或照片后重新提交。",
    5: "文章发布后已被删除（状态 5）：请在公众号后台确认是否误删；需要时由领导重新签发。",
    6: "文章发布后被微信封禁（状态 6）：请查看公众号后台的违规通知，退回撰稿修改后重新提交。",
}  # fmt: skip
ERROR_ADVICE = {
    48001: "公众号未获得发布接口权限（48001）：请确认公众号已完成微信认证并开通“发表”能力，"
    "或请管理员在公众号后台授权后，由领导重新签发。",
    45002: "正文超出微信长度限制（45002）：请退回撰稿删减文字或照片后重新提交。",
    45003: "标题超出微信长度限制（45003）：请退回撰稿把标题改到 32 字以内。",
    45004: "摘要超出微信长度限制（45004）：请退回撰稿把摘要改到 128 字以内。",
}


def wechat_for_posts():
    runtime = current()
    client = getattr(runtime, "official_account", None)
    return client or runtime.wechat


def _advice(exc: WeChatError) -> str:
    if exc.errcode in ERROR_ADVICE:
        return ERROR_ADVICE[exc.errcode]
    return (
        f"发布失败（错误码 {exc.errcode}）：{exc.message}。"
        "请稍后由领导重新签发；多次失败请联系管理员。"
    )


async def publish_soon(*, post_id: int) -> None:
    """Queue the publish job; never fails the caller (the cron picks the post up)."""
    try:
        await enqueue(current().broker, PUBLISH_JOB, post_id=post_id)
    except Exception as exc:
        log.warning("post %s not queued, the cron will publish it: %s", post_id, type(exc).__name__)


async def _fail(post: Post, *, code: str, message: str) -> None:
    done = await Post.filter(id=post.id, status=PostStatus.PUBLISHING).update(
        status=PostStatus.FAILED, fail_code=code[:32], fail_message=message[:300], updated_at=now()
    )
    if done:
        await PostStep.create(post_id=post.id, step="failed", comment=message[:200])
        await record_action(
            actor_id=None,
            action="publicity.failed",
            target_type="post",
            target_id=post.id,
            activity_id=post.activity_id,
            reason=code,
        )


async def _succeed(post: Post, *, url: str) -> None:
    done = await Post.filter(id=post.id, status=PostStatus.PUBLISHING).update(
        status=PostStatus.PUBLISHED,
        article_url=url[:500],
        published_at=now(),
        fail_code="",
        fail_message="",
        updated_at=now(),
    )
    if done:
        await PostStep.create(post_id=post.id, step="published")
        await record_action(
            actor_id=None,
            action="publicity.published",
            target_type="post",
            target_id=post.id,
            activity_id=post.activity_id,
            detail={"article_url": url[:500]},
        )


async def _upload_body_images(post: Post, wechat, data_dir) -> str:
    """The body with every archive photo replaced by its uploadimg URL (kept per file)."""
    html, urls = post.html, dict(post.image_urls or {})
    photos = await sources.photos_of(post)
    for src in dict.fromkeys(render.image_sources(html)):
        match = render.LOCAL_IMAGE.match(src)
        if not match:
            continue
        file_id = match[1]
        if file_id not in urls:
            _, data = await sources.photo_bytes(post, int(file_id), data_dir, photos=photos)
            content, filename = await asyncio.to_thread(images.body_image, data)
            urls[file_id] = await wechat.upload_image(filename=filename, content=content)
            await Post.filter(id=post.id).update(image_urls=urls)
        html = html.replace(f'src="{src}"', f'src="{urls[file_id]}"')
    return html


async def draft_article(post: Post, wechat, data_dir) -> dict:
    """The post as draft/add's article: body images and cover uploaded once, kept on the post.

    Raises DomainError when a photo's consent was withdrawn (or a photo deleted) meanwhile.
    """
    await check_post(post=post)
    content = await _upload_body_images(post, wechat, data_dir)
    if not post.thumb_media_id:
        thumb = await cover_bytes(post=post, data_dir=data_dir)
        material = await wechat.add_material(kind="thumb", filename="cover.jpg", content=thumb)
        post.thumb_media_id = material["media_id"]
        await Post.filter(id=post.id).update(thumb_media_id=post.thumb_media_id)
    return {
        "title": post.title,
        "author": post.author_name,
        "digest": post.digest,
        "content": render.check_body(content),
        "thumb_media_id": post.thumb_media_id,
        "need_open_comment": 0,
        "only_fans_can_comment": 0,
    }


async def _draft(post: Post, wechat, data_dir) -> str:
    """draft/add once per 签发; the media_id is kept."""
    if post.draft_media_id:
        return post.draft_media_id
    # Consent may have been withdrawn, or a photo deleted, since 签发.
    article = await draft_article(post, wechat, data_dir)
    media_id = await wechat.add_draft(articles=[article])
    await Post.filter(id=post.id).update(draft_media_id=media_id)
    return media_id


async def publish_post(*, post_id: int) -> dict:
    """Upload, draft and submit a signed post; safe to run twice."""
    runtime = current()
    lock = runtime.redis.lock(f"publicity:publish:{post_id}", timeout=LOCK_TTL_S)
    if not await lock.acquire(blocking=False):
        return {"post_id": post_id, "skipped": "running"}
    try:
        post = await Post.get_or_none(id=post_id)
        if post is None or PostStatus(post.status) != PostStatus.PUBLISHING:
            return {"post_id": post_id, "skipped": "not_publishing"}
        if post.publish_id:
            return {"post_id": post_id, "publish_id": post.publish_id}
        wechat = wechat_for_posts()
        try:
            media_id = await _draft(post, wechat, runtime.settings.data_dir)
            publish_id = await wechat.submit_publish(media_id=media_id)
        except TRANSIENT as exc:
            # Nothing lost: the cron runs this job again and it continues from here.
            log.warning("post %s: WeChat unavailable (%s), will retry", post_id, exc.errcode)
            await Post.filter(id=post_id).update(
                fail_message="暂时无法连接微信，系统将自动重试", updated_at=now()
            )
            return {"post_id": post_id, "retry": True, "reason": wechat_reason(exc)}
        except WeChatError as exc:
            await _fail(post, code=str(exc.errcode), message=_advice(exc))
            return {"post_id": post_id, "failed": exc.errcode}
        except DomainError as exc:
            await _fail(post, code=exc.code, message=f"{exc.message}；请退回撰稿修改后重新提交。")
            return {"post_id": post_id, "failed": exc.code}
        await Post.filter(id=post_id).update(publish_id=publish_id, fail_message="")
        return {"post_id": post_id, "publish_id": publish_id}
    finally:
        try:
            await lock.release()
        except Exception:  # expired meanwhile: another run may hold it now
            log.warning("post %s: publish lock expired before release", post_id)


async def record_outcome(
    *, publish_id: str, status: int, article_urls: list[str] | tuple[str, ...] = ()
) -> bool:
    """Apply a publish outcome (callback or poll) to its post; False when none is waiting."""
    post = await Post.get_or_none(publish_id=publish_id)
    if post is None or PostStatus(post.status) != PostStatus.PUBLISHING:
        return False
    if status == 0:
        urls = [u for u in article_urls if u]
        if not urls:
            return False
        await _succeed(post, url=urls[0])
        return True
    if status == 1:
        return False
    message = STATUS_MESSAGES.get(status, f"发布失败（状态 {status}）：请联系公众号管理员。")
    await _fail(post, code=f"status:{status}", message=message)
    return True


def wechat_reason(exc: WeChatError) -> str:
    """A WeChat failure said in Chinese, with its errcode for the administrator."""
    code = f"（错误码 {exc.errcode}）" if exc.errcode is not None else ""
    return f"{exc.message}{code}"


async def _settle_from_wechat(post: Post) -> bool | None:
    """Ask freepublish/get about the post's job and apply its answer; None when it failed."""
    try:
        return await _ask_wechat(post)
    except WeChatError as exc:
        log.warning("post %s: freepublish/get failed (%s)", post.id, exc.errcode)
        return None


async def _ask_wechat(post: Post) -> bool:
    """freepublish/get about the post's job, its answer applied; raises what the call raised."""
    answer = await wechat_for_posts().get_publish(publish_id=post.publish_id)
    items = (answer.get("article_detail") or {}).get("item") or []
    urls = [str(i.get("article_url") or "") for i in items if isinstance(i, dict)]
    status = int(answer.get("publish_status", 1))
    return await record_outcome(publish_id=post.publish_id, status=status, article_urls=urls)


async def confirm_outcome(*, publish_id: str) -> bool:
    """PUBLISHJOBFINISH named a job: settle its post by what freepublish/get says.

    The event is only a hint that a job ended. Its status and article_url are never stored:
    anyone who knows the callback token (plaintext or compatible mode) could write them.
    WeChat's documentation offers the poll as the way to learn the outcome (发布状态轮询接口,
    freepublish/get: "开发者可以尝试通过下面的发布状态轮询接口获知发布情况"; article_url: "当发布
    状态为0时(即成功)时,返回图文的永久链接"), and it is asked with our own access_token.
    """
    post = await Post.get_or_none(publish_id=publish_id, status=PostStatus.PUBLISHING)
    if post is None:
        return False
    return bool(await _settle_from_wechat(post))


class _NotDone(Exception):
    """A restarted publish that WeChat's transient answer left for the next poll."""


def _poll_item(post: Post) -> str:
    # Keyed by the WeChat job once submitted: a new 签发 starts a new count.
    return f"post:{post.id}:{post.publish_id or 'submit'}"


async def _poll_failed(post: Post, *, item: str, reason: str) -> None:
    """Count a failed poll of the post; at the cap, say so on the post (no silent retrying)."""
    if not await failures.record_failure(job=POLL_JOB, item=item, reason=f"推文发布：{reason}"):
        if post.publish_id:
            await Post.filter(id=post.id, status=PostStatus.PUBLISHING).update(
                fail_message=f"暂时无法查询发布结果，系统将自动重试：{reason}"[:300]
            )
        return
    tried = f"系统已自动重试 {failures.MAX_ATTEMPTS} 次仍未成功（{reason}）"
    if post.publish_id:
        # Submitted: WeChat may have published it, so it is not failed (a new 签发 could
        # publish it twice). It stays 发布中 with the reason; the callback can still settle it.
        message = (
            f"无法查询发布结果：{tried}。文章可能已发表，请在公众号后台核对；"
            "系统不再自动查询，收到微信的发布结果通知后会自动更新。"
        )
        await Post.filter(id=post.id, status=PostStatus.PUBLISHING).update(
            fail_message=message[:300], updated_at=now()
        )
    else:
        message = f"发布失败：{tried}。请稍后由领导重新签发；多次失败请联系管理员。"
        await _fail(post, code="retries_exhausted", message=message)


async def poll_publishes() -> dict:
    """Fallback for lost callbacks: ask freepublish/get; restart posts stuck before submit.

    Each post is tried on its own: one that fails does not hold up the others, and one that
    keeps failing is given up after failures.MAX_ATTEMPTS polls with its reason shown.
    """
    posts = await Post.filter(status=PostStatus.PUBLISHING).order_by("id").limit(100)
    items = {post.id: _poll_item(post) for post in posts}
    dead = await failures.given_up(job=POLL_JOB, items=list(items.values()))
    checked = settled = restarted = failed = 0
    for post in posts:
        item = items[post.id]
        if item in dead:
            if post.publish_id:
                continue  # given up: its reason is on the post until the callback settles it
            # Given up before submit means it was failed; 发布中 again means signed again.
            await failures.clear_failure(job=POLL_JOB, item=item)
        try:
            if not post.publish_id:
                restarted += 1
                result = await publish_post(post_id=post.id)
                if result.get("retry"):
                    raise _NotDone(result.get("reason") or "暂时无法连接微信")
            else:
                checked += 1
                if await _ask_wechat(post):
                    settled += 1
        except Exception as exc:
            failed += 1
            log.warning("post %s: publish poll failed: %s", post.id, type(exc).__name__)
            if isinstance(exc, _NotDone):
                reason = str(exc)
            elif isinstance(exc, WeChatError):
                reason = wechat_reason(exc)
            else:
                reason = failures.reason_of(exc)
            await _poll_failed(post, item=item, reason=reason)
        else:
            await failures.clear_failure(job=POLL_JOB, item=item)
    return {"checked": checked, "settled": settled, "restarted": restarted, "failed": failed}
