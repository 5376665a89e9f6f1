"""Events the sandbox pushes to the 公众号 callback, as WeChat does: PUBLISHJOBFINISH.

WeChat tells the account's server when a freepublish job ends; the sandbox does the same
when it knows where the callback is: fixed when the sandbox starts (the embedded sandbox:
the api itself; a standalone one: `songjiao sandbox --callback-url`). POST and DELETE
/sandbox/event_push only turn pushing on and off; no request chooses the address. The
request is signed with the callback token (plain mode), so it goes through the same
checks as WeChat's.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time

import aiohttp

from server.wechat.sandbox.identity import oa_openid_for
from server.wechat.sandbox.state import EventPush, Publish

log = logging.getLogger(__name__)
#: WeChat's own account id and the sender of account events, as the sandbox names them.
ACCOUNT_ID = "gh_songjiao_sandbox"
SENDER = oa_openid_for("wechat-platform")
#: Publishing takes WeChat a moment; so does the sandbox.
DELAY_S = 0.5


def _signed_url(push: EventPush) -> str:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
    joined = "".join(sorted([push.token, timestamp, nonce])).encode()
    # WeChat's callback signature is SHA-1 by its protocol, not our choice.
    signature = hashlib.sha1(joined, usedforsecurity=False).hexdigest()
    return f"{push.url}?signature={signature}&timestamp={timestamp}&nonce={nonce}"


def publish_finished_xml(publish: Publish, *, articles: int, article_url: str) -> str:
    """The PUBLISHJOBFINISH event of a publish job, in WeChat's XML."""
    status = publish.final_status
    detail = ""
    if status in (0, 5, 6):
        items = "".join(
            f"<item><idx>{i}</idx><article_url><![CDATA[{article_url}?idx={i}]]></article_url>"
            "</item>"
            for i in range(1, articles + 1)
        )
        detail = (
            f"<article_id><![CDATA[{publish.article_id}]]></article_id>"
            f"<article_detail><count>{articles}</count>{items}</article_detail>"
        )
    elif status in (2, 3, 4):
        detail = "<fail_idx>" + "".join(f"<idx>{i}</idx>" for i in range(1, articles + 1))
        detail += "</fail_idx>"
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{SENDER}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[PUBLISHJOBFINISH]]></Event>"
        f"<PublishEventInfo><publish_id>{publish.publish_id}</publish_id>"
        f"<publish_status>{status}</publish_status>{detail}</PublishEventInfo></xml>"
    )


async def _push(push: EventPush, xml: str) -> None:
    await asyncio.sleep(DELAY_S)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            async with http.post(_signed_url(push), data=xml.encode()) as answer:
                if answer.status != 200:
                    log.warning("sandbox event push answered HTTP %s", answer.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        # WeChat does not retry these either; the account's server polls freepublish/get.
        log.warning("sandbox event push failed: %s", type(exc).__name__)


_pending: set[asyncio.Task] = set()


def push_later(push: EventPush, xml: str) -> None:
    """Send the event shortly, without holding up the answer that started it."""
    task = asyncio.get_running_loop().create_task(_push(push, xml))
    _pending.add(task)
    task.add_done_callback(_pending.discard)
