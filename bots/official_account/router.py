"""Answer each WeChat message once, within WeChat's five seconds.

WeChat retries a message it got no answer for (three times, five seconds apart), maybe
to another worker, so the first delivery claims the message in Redis (SET NX with a
TTL) and retries get "success". A handler that outlasts the reply budget keeps running
in the background; the caller answers "success" at once and the handler's text follows
as a customer-service message.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time

from redis.exceptions import RedisError
from wechatpy.messages import BaseMessage

from bots.official_account import background, texts
from bots.official_account.handlers import BotContext, Handler, handler_for, raw
from server.wechat.errors import WeChatError

log = logging.getLogger("songjiao.bots.oa")

#: Longer than WeChat's retry window (3 retries, 5 s apart), short enough to stay small.
DEDUPE_TTL_S = 600
#: How long a stopping server waits for deferred answers still on their way.
DRAIN_TIMEOUT_S = 5.0


#: Events that report one job each, and the field naming the job. TEMPLATESENDJOBFINISH and
#: MASSSENDJOBFINISH carry "MsgID" (capital D), the job's msgid, not a message's "MsgId";
#: PUBLISHJOBFINISH carries PublishEventInfo.publish_id. Their FromUserName + CreateTime
#: is no key: one user's two template outcomes, or two 群发助手 ("mphelper") jobs, can end
#: in the same second.
JOB_EVENTS = {"templatesendjobfinish": "MsgID", "masssendjobfinish": "MsgID"}


def _job_id(message: BaseMessage, event: str) -> str:
    if event in JOB_EVENTS:
        value = raw(message, JOB_EVENTS[event])
    elif event == "publishjobfinish":
        info = raw(message, "PublishEventInfo")
        value = info.get("publish_id") if isinstance(info, dict) else None
    else:
        return ""
    value = str(value).strip() if isinstance(value, str | int) else ""
    return value if value.isdigit() else ""


def dedupe_key(message: BaseMessage) -> str:
    """MsgId for messages, the job's id for job-finished events, else FromUserName + CreateTime.

    WeChat advises "关于重试的消息排重，推荐使用msgid排重" for messages and FromUserName +
    CreateTime for events. Event and EventKey join the event key: two menu clicks in one
    second are two messages, while WeChat's retries repeat all four fields.
    """
    msgid = raw(message, "MsgId")
    if isinstance(msgid, str) and msgid.isdigit():
        return f"oa:seen:m:{msgid}"
    event = str(raw(message, "Event") or "").lower()
    if job := _job_id(message, event):
        return f"oa:seen:j:{event}:{job}"
    fields = ("CreateTime", "Event", "EventKey")
    basis = "|".join([message.source, *(str(raw(message, f)) for f in fields)])
    # Hashed: the key names no openid.
    return "oa:seen:e:" + hashlib.sha256(basis.encode()).hexdigest()[:32]


async def first_delivery(redis, message: BaseMessage) -> bool:
    """Claim the message for this worker; False for WeChat's retries of a claimed one."""
    try:
        return bool(await redis.set(dedupe_key(message), b"1", nx=True, ex=DEDUPE_TTL_S))
    except (RedisError, OSError) as exc:
        # Answering a retry twice beats never answering: go on without the claim.
        log.warning("公众号 dedupe unavailable (%s); answering anyway", type(exc).__name__)
        return True


def _kind(message: BaseMessage) -> str:
    event = raw(message, "Event")
    return f"event:{str(event).lower()}" if isinstance(event, str) else str(message.type)


async def _run(
    handler: Handler, message: BaseMessage, ctx: BotContext, late: asyncio.Event
) -> str | None:
    started = time.monotonic()
    try:
        reply = await handler(message, ctx)
    except Exception as exc:  # a handler bug must not make WeChat tell users we are broken
        log.error("公众号 handler failed on %s: %s", _kind(message), type(exc).__name__)
        reply = texts.FAILED
    elapsed = (time.monotonic() - started) * 1000
    deferred = " (deferred)" if late.is_set() else ""
    log.info("公众号 %s handled in %.0f ms%s", _kind(message), elapsed, deferred)
    if late.is_set() and reply:
        await follow_up(ctx.wechat, openid=message.source, text=reply)  # the 公众号's client
    return reply


async def follow_up(wechat, *, openid: str, text: str) -> None:
    """Send a deferred answer as a customer-service text message."""
    try:
        await wechat.send_custom_message(
            openid=openid, payload={"msgtype": "text", "text": {"content": text}}
        )
    except WeChatError as exc:
        log.warning("公众号 deferred answer not sent: errcode %s", exc.errcode)
    except Exception as exc:  # runs in the background: nobody else would see it
        log.error("公众号 deferred answer not sent: %s", type(exc).__name__)


async def answer(message: BaseMessage, ctx: BotContext) -> str | None:
    """The passive reply text to `message`, or None to answer "success"."""
    if not await first_delivery(ctx.redis, message):
        log.info("公众号 %s: WeChat's retry of a handled message", _kind(message))
        return None
    handler = handler_for(message)
    if handler is None:
        return None
    late = asyncio.Event()
    task = asyncio.create_task(_run(handler, message, ctx, late))
    try:
        return await asyncio.wait_for(asyncio.shield(task), ctx.settings.oa_reply_budget)
    except TimeoutError:
        if task.done():  # finished in the very moment the budget ran out
            return task.result()
        late.set()
        background.keep(task)
        return None


async def drain() -> None:
    """Wait (a few seconds at most) for the deferred handlers and look-ups still running."""
    await background.drain(seconds=DRAIN_TIMEOUT_S)
