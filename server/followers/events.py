"""Receive the 公众号's template job-finished events until the delivery engine takes them.

WeChat reports a template message's fate (TEMPLATESENDJOBFINISH) through the callback; it
is kept in Redis, keyed by WeChat's msgid, for the delivery engine to read. A publish job's
PUBLISHJOBFINISH is not kept: the publicity service confirms it with freepublish/get.
"""

from __future__ import annotations

import json

#: Template results are read soon after sending.
TEMPLATE_TTL_S = 7 * 86400
_TEMPLATE_KEY = "oa:template_result:{}"


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
