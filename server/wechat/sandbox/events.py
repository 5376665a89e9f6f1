"""Events the sandbox pushes to the 公众号 callback, as WeChat does: PUBLISHJOBFINISH.

WeChat tells the account's server when a freepublish job ends; the sandbox does the same
when it knows where the callback is: fixed when the sandbox starts (the embedded sandbox:
the api itself; a standalone one: `songjiao sandbox --callback-url`). POST and DELETE
/sandbox/event_push only turn pushing on and off; no request chooses the address. The
request is signed with the callback token and, when the callback runs in safe or
compatible mode, encrypted with its EncodingAESKey, so it goes through the same checks as
WeChat's.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from urllib.parse import urlencode

import aiohttp
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import WeChatCrypto

from server.wechat.sandbox.identity import oa_openid_for
from server.wechat.sandbox.state import EventPush, Publish

log = logging.getLogger(__name__)
#: WeChat's own account id and the sender of account events, as the sandbox names them.
ACCOUNT_ID = "gh_songjiao_sandbox"
SENDER = oa_openid_for("wechat-platform")
#: Publishing takes WeChat a moment; so does the sandbox.
DELAY_S = 0.5


def _sign(*parts: str) -> str:
    # WeChat's callback signature is SHA-1 by its protocol, not our choice.
    return hashlib.sha1("".join(sorted(parts)).encode(), usedforsecurity=False).hexdigest()


def signed_request(push: EventPush, xml: str) -> tuple[str, bytes]:
    """The URL and body of an event POST, signed (and sealed) as WeChat sends it.

    WeChat's documentation (消息加解密说明): "启用加解密功能（即选择兼容模式或安全模式）后，
    公众平台服务器…推送消息时，URL将新增加两个参数（加密类型和消息体签名）", and in 安全模式
    "公众平台发送消息体的内容只含有密文": encrypt_type=aes and msg_signature on the URL, the
    Encrypt alone in the body.
    """
    timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
    query = {"signature": _sign(push.token, timestamp, nonce), "timestamp": timestamp}
    query["nonce"] = nonce
    body = xml
    if push.aes_key:
        crypto = WeChatCrypto(push.token, push.aes_key, push.appid)
        sealed = fromstring(crypto.encrypt_message(xml, nonce, timestamp))
        encrypt = sealed.findtext("Encrypt") or ""
        query.update(encrypt_type="aes", msg_signature=_sign(push.token, timestamp, nonce, encrypt))
        body = (
            f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        )
    return f"{push.url}?{urlencode(query)}", body.encode()


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
            url, body = signed_request(push, xml)
            async with http.post(url, data=body) as answer:
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
