"""Sandbox WeCom group robot: key, content sizes, 20 messages a minute per key."""

from __future__ import annotations

from tests.wechat.helpers import unique


async def _send(sandbox, key: str, body: dict) -> dict:
    url = f"{sandbox.url}/cgi-bin/webhook/send"
    return (await sandbox.http.post(url, params={"key": key}, json=body)).json()


def _text(content: str = "本周送教活动已完成") -> dict:
    return {"msgtype": "text", "text": {"content": content}}


async def test_text_and_markdown_are_accepted(sandbox):
    key = unique("robot")
    assert await _send(sandbox, key, _text()) == {"errcode": 0, "errmsg": "ok"}
    markdown = {"msgtype": "markdown", "markdown": {"content": "**出勤率** 95%"}}
    assert (await _send(sandbox, key, markdown))["errcode"] == 0


async def test_missing_key_is_invalid_webhook_url(sandbox):
    answer = await _send(sandbox, "", _text())
    assert answer == {"errcode": 93000, "errmsg": "invalid webhook url"}


async def test_content_size_limits_are_in_bytes(sandbox):
    key = unique("robot")
    assert (await _send(sandbox, key, _text("字" * 682)))["errcode"] == 0  # 2046 bytes
    assert (await _send(sandbox, key, _text("字" * 683)))["errcode"] == 40058  # 2049 bytes
    markdown = {"msgtype": "markdown", "markdown": {"content": "a" * 4097}}
    assert (await _send(sandbox, key, markdown))["errcode"] == 40058


async def test_twenty_first_message_in_a_minute_is_refused_per_key(sandbox):
    key, other = unique("robot"), unique("robot")
    answers = [await _send(sandbox, key, _text()) for _ in range(21)]
    assert [a["errcode"] for a in answers] == [0] * 20 + [45009]
    assert answers[-1]["errmsg"] == "api freq out of limit"
    assert (await _send(sandbox, other, _text()))["errcode"] == 0
    sandbox.state.advance(61)
    assert (await _send(sandbox, key, _text()))["errcode"] == 0
