"""WeCom (企业微信) group robot messages: markdown, image and news, sent through our client.

Each leaders' group has a robot whose webhook key is configured in `wecom_groups`
(group name -> key). WeCom allows 20 messages a minute per robot; the WeChat client holds
that limit across processes and raises RateLimited (with `retry_after`) past it, which the
delivery engine turns into a later retry.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from server.common.errors import DomainError
from server.settings import Settings

MARKDOWN_BYTES = 4096
#: WeCom takes JPG or PNG images up to 2 MB (before base64).
IMAGE_BYTES = 2 * 1024 * 1024
MAX_ARTICLES = 8
TITLE_BYTES = 128
DESCRIPTION_BYTES = 512


def _too_long(what: str, limit: int) -> DomainError:
    return DomainError("invalid_input", f"{what}超过企业微信的 {limit} 字节上限")


def markdown(content: str) -> dict[str, Any]:
    """A markdown message (WeCom's subset: headings, bold, links, <font color>)."""
    if not content or not content.strip():
        raise DomainError("invalid_input", "群消息内容不能为空")
    if len(content.encode()) > MARKDOWN_BYTES:
        raise _too_long("群消息内容", MARKDOWN_BYTES)
    return {"msgtype": "markdown", "markdown": {"content": content}}


def image(data: bytes) -> dict[str, Any]:
    """An image message: the picture's base64 and the md5 of its bytes, as WeCom requires."""
    if not data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        raise DomainError("invalid_input", "群图片只能是 PNG 或 JPG")
    if len(data) > IMAGE_BYTES:
        raise DomainError("invalid_input", "群图片不能超过 2 MB")
    return {
        "msgtype": "image",
        "image": {
            "base64": base64.b64encode(data).decode("ascii"),
            "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        },
    }


def news(articles: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """A news message: 1 to 8 cards of title, description, url and picurl."""
    if not 1 <= len(articles) <= MAX_ARTICLES:
        raise DomainError("invalid_input", f"图文消息须有 1 至 {MAX_ARTICLES} 条")
    cards = []
    for article in articles:
        title, url = article.get("title") or "", article.get("url") or ""
        if not title or not url:
            raise DomainError("invalid_input", "每条图文都需要标题和链接")
        if len(title.encode()) > TITLE_BYTES:
            raise _too_long("图文标题", TITLE_BYTES)
        description = article.get("description") or ""
        if len(description.encode()) > DESCRIPTION_BYTES:
            raise _too_long("图文描述", DESCRIPTION_BYTES)
        card = {"title": title, "url": url}
        if description:
            card["description"] = description
        if article.get("picurl"):
            card["picurl"] = article["picurl"]
        cards.append(card)
    return {"msgtype": "news", "news": {"articles": cards}}


def group_key(settings: Settings, group: str) -> str:
    """The webhook key of a configured group; a Chinese DomainError for unknown groups."""
    key = settings.wecom_groups.get(group)
    if not key:
        raise DomainError("not_found", f"未配置企业微信群「{group}」的机器人")
    return key


async def send(*, wechat, key: str, message: Mapping[str, Any]) -> None:
    """Post one message to a robot, within its 20-a-minute limit (RateLimited beyond)."""
    await wechat.send_wecom_webhook(key=key, payload=message)


async def send_to_group(
    *, wechat, settings: Settings, group: str, message: Mapping[str, Any]
) -> None:
    """Post one message to the robot of a configured leaders' group."""
    await send(wechat=wechat, key=group_key(settings, group), message=message)
