"""The callback trusts nothing it cannot verify and never answers with a 500."""

from __future__ import annotations

import time

import xmltodict

from tests.bots.callback import PATH, TOKEN, follower_openid, sign, text_xml

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><ToUserName>gh_x</ToUserName><FromUserName>attacker</FromUserName>
<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh_x</ToUserName><FromUserName>attacker</FromUserName>
<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&secret;</Content><MsgId>2</MsgId></xml>"""


async def test_url_verification_echoes_echostr_when_signed(client):
    ts, nonce = str(int(time.time())), "12345"
    params = {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    resp = await client.get(PATH, params={**params, "echostr": "7268473956712345678"})
    assert resp.status_code == 200
    assert resp.text == "7268473956712345678"


async def test_url_verification_with_forged_signature_is_403(client):
    ts, nonce = str(int(time.time())), "12345"
    params = {"signature": sign("not-our-token", ts, nonce), "timestamp": ts, "nonce": nonce}
    resp = await client.get(PATH, params={**params, "echostr": "7268473956712345678"})
    assert resp.status_code == 403
    assert "7268473956712345678" not in resp.text


async def test_url_verification_without_parameters_is_403(client):
    assert (await client.get(PATH)).status_code == 403
    assert (await client.get(PATH, params={"echostr": "1"})).status_code == 403


async def test_message_with_forged_signature_is_403_and_not_handled(
    wechat_server, client, redis_keys
):
    query = wechat_server.query()
    query["signature"] = sign("guessed-token", query["timestamp"], query["nonce"])
    reply = await wechat_server.post(text_xml(follower_openid("forger"), "帮助"), query=query)
    assert reply.status == 403
    assert not await redis_keys("oa:seen:*")


async def test_message_signed_for_another_timestamp_is_403(wechat_server):
    query = wechat_server.query()
    query["timestamp"] = str(int(query["timestamp"]) + 1)
    reply = await wechat_server.post(text_xml(follower_openid("replayer"), "帮助"), query=query)
    assert reply.status == 403


async def test_signed_message_with_an_old_timestamp_is_403(wechat_server):
    # A captured plaintext signature does not cover the body: it must not stay usable.
    query = wechat_server.query(timestamp=str(int(time.time()) - 3600))
    reply = await wechat_server.post(text_xml(follower_openid("late"), "帮助"), query=query)
    assert reply.status == 403


async def test_message_without_signature_is_403(client):
    resp = await client.post(PATH, content=text_xml(follower_openid("anon"), "帮助"))
    assert resp.status_code == 403


async def test_malformed_xml_is_400(wechat_server):
    for body in (
        "<xml><MsgType>text</MsgType>",  # not closed
        "not xml at all",
        "",
        "<notxml><MsgType>text</MsgType></notxml>",  # not WeChat's root
        "<xml><FromUserName>someone</FromUserName></xml>",  # no MsgType
        "<xml><MsgType>text</MsgType><Content>hi</Content></xml>",  # no sender
        "<xml><FromUserName>a</FromUserName><FromUserName>b</FromUserName>"
        "<MsgType>text</MsgType></xml>",  # repeated sender
    ):
        reply = await wechat_server.post(body)
        assert reply.status == 400, (body, reply.text)


async def test_body_that_is_not_utf8_is_400(wechat_server):
    reply = await wechat_server.post("<xml>é</xml>".encode("latin-1"))
    assert reply.status == 400


async def test_billion_laughs_is_refused_quickly_and_harmlessly(wechat_server, client, outbox):
    started = time.monotonic()
    reply = await wechat_server.post(BILLION_LAUGHS)
    assert reply.status == 400
    assert time.monotonic() - started < 2
    assert "lol" not in reply.text
    assert (await client.get("/healthz")).status_code in (200, 503)
    assert not await outbox(kind="custom_send")


async def test_external_entity_is_refused_and_nothing_is_read(wechat_server):
    reply = await wechat_server.post(XXE)
    assert reply.status == 400
    assert "root:" not in reply.text


async def test_oversized_body_is_400(wechat_server):
    filler = "好" * 30_000  # 90 KB of UTF-8
    reply = await wechat_server.post(text_xml(follower_openid("big"), filler))
    assert reply.status == 400


async def test_oversized_body_without_content_length_is_400(wechat_server, client):
    query = wechat_server.query()

    async def chunks():
        for _ in range(80):
            yield b"<xml>" + b"x" * 1024

    resp = await client.post(PATH, params=query, content=chunks())
    assert resp.status_code == 400


async def test_message_just_under_the_limit_is_answered(wechat_server):
    content = "帮助" + " " * 60_000
    reply = await wechat_server.post(text_xml(follower_openid("near-limit"), content))
    assert reply.status == 200
    assert "本周活动" in reply.content


async def test_unknown_encrypt_type_is_400(wechat_server):
    reply = await wechat_server.post(text_xml(follower_openid("odd"), "帮助"), encrypt_type="rot13")
    assert reply.status == 400


async def test_safe_mode_without_a_configured_key_is_400(wechat_server):
    query = wechat_server.query()
    query.update(encrypt_type="aes", msg_signature="0" * 40)
    reply = await wechat_server.post(text_xml(follower_openid("nokey"), "帮助"), query=query)
    assert reply.status == 400


# ---- safe mode ---------------------------------------------------------------------------


async def test_safe_mode_message_gets_an_encrypted_reply(safe_wechat_server):
    reply = await safe_wechat_server.say(follower_openid("safe"), "帮助")
    assert reply.status == 200
    assert reply.xml["MsgType"] == "text"
    assert reply.xml["ToUserName"] == follower_openid("safe")
    assert "本周活动" in reply.content


async def test_safe_mode_reply_is_not_plaintext(safe_api, safe_wechat_server):
    query = safe_wechat_server.query()
    body, query = safe_wechat_server.envelope(text_xml(follower_openid("safe2"), "帮助"), query)
    resp = await safe_wechat_server.http.post(PATH, params=query, content=body)
    assert resp.status_code == 200
    sealed = xmltodict.parse(resp.text)["xml"]
    assert set(sealed) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert sealed["MsgSignature"] == sign(
        TOKEN, sealed["TimeStamp"], sealed["Nonce"], sealed["Encrypt"]
    )
    assert "帮助" not in resp.text and "本周活动" not in resp.text


async def test_safe_mode_with_forged_msg_signature_is_403(safe_wechat_server, redis_keys):
    query = safe_wechat_server.query()
    body, query = safe_wechat_server.envelope(text_xml(follower_openid("safe3"), "帮助"), query)
    query["msg_signature"] = sign("guessed-token", query["timestamp"], query["nonce"], "x")
    resp = await safe_wechat_server.http.post(PATH, params=query, content=body)
    assert resp.status_code == 403
    assert not await redis_keys("oa:seen:*")


async def test_safe_mode_encrypted_for_another_app_is_403(safe_wechat_server):
    from wechatpy.crypto import WeChatCrypto

    from tests.bots.callback import AES_KEY

    safe_wechat_server.crypto = WeChatCrypto(TOKEN, AES_KEY, "wx_some_other_app")
    reply = await safe_wechat_server.say(follower_openid("safe4"), "帮助")
    assert reply.status == 403


async def test_safe_mode_with_garbage_ciphertext_is_400(safe_wechat_server):
    query = safe_wechat_server.query()
    encrypt = "bm90LWFlcw=="  # base64 of 9 bytes: not an AES block
    query.update(
        encrypt_type="aes",
        msg_signature=sign(TOKEN, query["timestamp"], query["nonce"], encrypt),
    )
    body = f"<xml><ToUserName>gh_x</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    resp = await safe_wechat_server.http.post(PATH, params=query, content=body)
    assert resp.status_code == 400


async def test_billion_laughs_inside_the_envelope_is_400(safe_wechat_server):
    reply = await safe_wechat_server.post(BILLION_LAUGHS)
    assert reply.status == 400
