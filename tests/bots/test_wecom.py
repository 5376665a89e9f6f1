"""The WeCom group robot: markdown, image and news, within 20 messages a minute."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from PIL import Image

from bots.wecom import robot
from server.common.errors import DomainError
from server.wechat.errors import RateLimited


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_markdown_reaches_the_leaders_group(api, settings, outbox):
    text = '### 本周送教周报\n> 课时完成 <font color="info">60%</font>'
    await robot.send_to_group(
        wechat=api.app.ctx.runtime.wechat,
        settings=settings,
        group="leaders",
        message=robot.markdown(text),
    )
    [call] = await outbox(kind="wecom_send")
    assert call["delivered"]
    assert call["request"]["key"] == "sandbox-leaders-robot"
    assert call["request"]["markdown"] == {"content": text}


async def test_image_carries_base64_and_md5_as_wecom_requires(api, settings, outbox):
    data = _png()
    await robot.send_to_group(
        wechat=api.app.ctx.runtime.wechat,
        settings=settings,
        group="leaders",
        message=robot.image(data),
    )
    [call] = await outbox(kind="wecom_send")
    sent = call["request"]["image"]
    assert base64.b64decode(sent["base64"]) == data
    assert sent["md5"] == hashlib.md5(data).hexdigest()
    assert call["delivered"]


async def test_news_cards_are_sent(api, settings, outbox):
    message = robot.news(
        [
            {
                "title": "青山镇送教下乡活动圆满完成",
                "description": "12 位老师参加，课时 24",
                "url": "https://example.cn/a/1",
                "picurl": "https://example.cn/a/1.png",
            },
            {"title": "本周目标进度", "url": "https://example.cn/r/1"},
        ]
    )
    await robot.send(
        wechat=api.app.ctx.runtime.wechat, key="sandbox-leaders-robot", message=message
    )
    [call] = await outbox(kind="wecom_send")
    assert [a["title"] for a in call["request"]["news"]["articles"]] == [
        "青山镇送教下乡活动圆满完成",
        "本周目标进度",
    ]
    assert call["delivered"]


async def test_the_21st_message_in_a_minute_is_rate_limited(api, outbox):
    wechat = api.app.ctx.runtime.wechat
    key = "rate-test-robot"
    for n in range(20):
        await robot.send(wechat=wechat, key=key, message=robot.markdown(f"第 {n + 1} 条"))
    with pytest.raises(RateLimited) as limited:
        await robot.send(wechat=wechat, key=key, message=robot.markdown("第 21 条"))
    assert 0 < limited.value.retry_after <= 60
    assert len(await outbox(kind="wecom_send")) == 20
    # Another group's robot has its own 20.
    await robot.send(wechat=wechat, key="another-robot", message=robot.markdown("另一个群"))


async def test_unknown_group_is_a_chinese_error(api, settings):
    with pytest.raises(DomainError) as caught:
        await robot.send_to_group(
            wechat=api.app.ctx.runtime.wechat,
            settings=settings,
            group="nobody",
            message=robot.markdown("x"),
        )
    assert "未配置企业微信群「nobody」的机器人" in caught.value.message


def test_message_builders_refuse_what_wecom_refuses():
    with pytest.raises(DomainError, match="4096"):
        robot.markdown("周" * 1400)
    with pytest.raises(DomainError, match="不能为空"):
        robot.markdown("  ")
    with pytest.raises(DomainError, match="PNG 或 JPG"):
        robot.image(b"GIF89a....")
    with pytest.raises(DomainError, match="2 MB"):
        robot.image(b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024))
    with pytest.raises(DomainError, match="1 至 8"):
        robot.news([])
    with pytest.raises(DomainError, match="1 至 8"):
        robot.news([{"title": "t", "url": "https://a.cn"}] * 9)
    with pytest.raises(DomainError, match="标题和链接"):
        robot.news([{"title": "没有链接"}])
    with pytest.raises(DomainError, match="128"):
        robot.news([{"title": "长" * 50, "url": "https://a.cn"}])
