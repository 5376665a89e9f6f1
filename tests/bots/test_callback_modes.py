"""With an EncodingAESKey the callback takes only what the configured mode allows, once each."""

from __future__ import annotations

import pytest

from bots.official_account import handlers
from server.settings import load_settings
from tests.bots.callback import AES_KEY, PATH, WeChatServer, follower_openid, text_xml
from tests.support.http import http_client


def _counting(monkeypatch, keyword: str = "帮助") -> list:
    calls = []
    original = handlers.KEYWORDS[keyword]

    async def counted(message, ctx):
        calls.append(message.id)
        return await original(message, ctx)

    monkeypatch.setitem(handlers.KEYWORDS, keyword, counted)
    return calls


async def test_plaintext_to_a_safe_mode_app_is_403_and_not_handled(
    safe_api, redis_keys, monkeypatch
):
    # Safe mode is the default once a key is set: WeChat then sends ciphertext only, and the
    # query signature of a plaintext request does not cover its body.
    calls = _counting(monkeypatch)
    async with http_client(base_url=safe_api.url, timeout=15) as http:
        reply = await WeChatServer(http).say(follower_openid("plain-in-safe"), "帮助")
    assert reply.status == 403
    assert calls == []
    assert not await redis_keys("oa:seen:*")
    assert not await redis_keys("oa:nonce:*")


async def test_compatible_mode_takes_plaintext_and_ciphertext(compatible_api):
    async with http_client(base_url=compatible_api.url, timeout=15) as http:
        plain = await WeChatServer(http).say(follower_openid("compat-plain"), "帮助")
        sealed = await WeChatServer(http, aes_key=AES_KEY).say(
            follower_openid("compat-aes"), "帮助"
        )
    assert plain.status == 200 and "本周活动" in plain.content
    assert sealed.status == 200 and "本周活动" in sealed.content


async def test_replayed_encrypted_callback_is_not_handled_again(safe_wechat_server, monkeypatch):
    calls = _counting(monkeypatch)
    query = safe_wechat_server.query()
    body, query = safe_wechat_server.envelope(text_xml(follower_openid("replay"), "帮助"), query)
    first = await safe_wechat_server.http.post(PATH, params=query, content=body)
    again = await safe_wechat_server.http.post(PATH, params=query, content=body)
    assert first.status_code == 200 and "Encrypt" in first.text
    assert again.status_code == 200 and again.text == "success"
    assert len(calls) == 1


async def test_captured_plaintext_query_cannot_carry_another_message(compatible_api, monkeypatch):
    # Plaintext: the signature covers token, timestamp and nonce only. Whoever saw one
    # request could send another body with the same query; the nonce is spent already.
    calls = _counting(monkeypatch)
    async with http_client(base_url=compatible_api.url, timeout=15) as http:
        wechat = WeChatServer(http)
        query = wechat.query()
        first = await wechat.post(text_xml(follower_openid("victim"), "帮助"), query=query)
        forged = await wechat.post(text_xml(follower_openid("forger"), "帮助"), query=query)
    assert first.status == 200 and "本周活动" in first.content
    assert forged.status == 200 and forged.text == "success"
    assert len(calls) == 1


async def test_same_nonce_with_another_timestamp_is_another_request(safe_wechat_server):
    query = safe_wechat_server.query(nonce="424242")
    later = safe_wechat_server.query(timestamp=str(int(query["timestamp"]) + 1), nonce="424242")
    first = await safe_wechat_server.post(text_xml(follower_openid("n1"), "帮助"), query=query)
    second = await safe_wechat_server.post(text_xml(follower_openid("n2"), "帮助"), query=later)
    assert "本周活动" in first.content and "本周活动" in second.content


def test_safe_or_compatible_mode_needs_a_key():
    for mode in ("safe", "compatible"):
        with pytest.raises(ValueError, match="SONGJIAO_WECHAT_AES_KEY"):
            load_settings(oa_encrypt_mode=mode, wechat_aes_key="")
    assert load_settings(wechat_aes_key=AES_KEY).oa_callback_mode == "safe"
    assert load_settings(wechat_aes_key="").oa_callback_mode == "plain"
    assert load_settings(wechat_aes_key=AES_KEY, oa_encrypt_mode="plain").oa_callback_mode == (
        "plain"
    )
