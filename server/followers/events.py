"""Receive the 公众号's job-finished events until the publicity and delivery services take them.

WeChat reports a template message's fate (TEMPLATESENDJOBFINISH) and a publish job's
outcome (PUBLISHJOBFINISH) through the callback. Both are kept in Redis, keyed by WeChat's
ids, for the delivery engine and the publicity service to read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

#: Template results are read soon after sending; publish results when the post is archived.
TEMPLATE_TTL_S = 7 * 86400
PUBLISH_TTL_S = 30 * 86400
_TEMPLATE_KEY = "oa:template_result:{}"
_PUBLISH_KEY = "oa:publish_result:{}"


def template_outcome(status: str) -> str:
    """WeChat's Status text as a short code: delivered, user_block, system_failed or failed."""
    text = (status or "").strip().lower()
    if text == "success":
        return "delivered"
    if "block" in text:
        return "user_block"
    if "system" in text:
        return "system_failed"
    return "failed"


async def record_template_send_finished(*, redis, msgid: int, status: str) -> dict:
    """Keep the outcome of template message `msgid` (TEMPLATESENDJOBFINISH)."""
    result = {"msgid": msgid, "outcome": template_outcome(status), "status": status[:64]}
    await redis.set(_TEMPLATE_KEY.format(msgid), json.dumps(result), ex=TEMPLATE_TTL_S)
    return result


async def template_send_result(*, redis, msgid: int) -> dict | None:
    """The recorded outcome of template message `msgid`, None before WeChat reported it."""
    raw = await redis.get(_TEMPLATE_KEY.format(msgid))
    return json.loads(raw) if raw else None


async def record_publish_finished(
    *,
    redis,
    publish_id: str,
    status: int,
    article_id: str = "",
    article_urls: Sequence[str] = (),
) -> dict:
    """Keep the outcome of publish job `publish_id` (PUBLISHJOBFINISH; status 0 is success)."""
    result = {
        "publish_id": publish_id,
        "publish_status": status,
        "article_id": article_id,
        "article_urls": list(article_urls),
    }
    await redis.set(_PUBLISH_KEY.format(publish_id), json.dumps(result), ex=PUBLISH_TTL_S)
    return result


async def publish_result(*, redis, publish_id: str) -> dict | None:
    """The recorded outcome of publish job `publish_id`, None before WeChat reported it."""
    raw = await redis.get(_PUBLISH_KEY.format(publish_id))
    return json.loads(raw) if raw else None
