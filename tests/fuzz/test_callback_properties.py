"""Property tests of the 公众号 callback envelope and parser (bots/official_account/crypto.py).

Whatever arrives, the parser answers with a message, Refused (403) or Malformed (400): never
another exception, and never a message whose signature it could not check.
"""

from __future__ import annotations

import hashlib
import time

import pytest
import xmltodict
from hypothesis import assume, given
from hypothesis import strategies as st
from wechatpy.crypto import WeChatCrypto

from bots.official_account.crypto import (
    MAX_BODY,
    MAX_SKEW_S,
    Malformed,
    Refused,
    echo,
    open_body,
    read_message,
    verify_query,
)
from server.settings import load_settings
from tests.bots.callback import AES_KEY, APPID, TOKEN, sign, text_xml
from tests.fuzz.helpers import fuzz
from tests.support.http import sync_http_client

#: Compatible mode (兼容模式): both the plaintext and the AES parser are exercised.
SETTINGS = load_settings(
    env="test",
    wechat_token=TOKEN,
    wechat_aes_key=AES_KEY,
    oa_encrypt_mode="compatible",
    oa_appid=APPID,
    oa_secret="x",
)
OTHER_KEY = "b" * 43
#: Text XML can carry (no control characters, no lone surrogates) and CDATA cannot end early.
XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cc", "Cs"], blacklist_characters="]"),
    max_size=40,
)
NAMES = st.sampled_from(
    ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "x"]
)


def _query(timestamp: int | None = None, nonce: str = "12345") -> dict:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"signature": sign(TOKEN, stamp, nonce), "timestamp": stamp, "nonce": nonce}


def _parse(body: bytes, args: dict):
    """What the view does with a body: the message, or the refusal it answers with."""
    try:
        xml, _ = open_body(settings=SETTINGS, args=args, body=body)
        return read_message(xml)
    except (Refused, Malformed) as exc:
        return exc


@st.composite
def garbled_xml(draw) -> bytes:
    """XML-ish text: real message fields, shuffled, cut, repeated, nested or emptied."""
    fields = draw(st.lists(st.tuples(NAMES, st.text(max_size=30)), max_size=8))
    inner = "".join(
        draw(
            st.sampled_from(
                [
                    f"<{n}>{v}</{n}>",
                    f"<{n}><![CDATA[{v}]]></{n}>",
                    f"<{n}>{v}",
                    f"<{n}/>",
                    f"<{n}><{n}>{v}</{n}></{n}>",
                ]
            )
        )
        for n, v in fields
    )
    root = draw(st.sampled_from(["xml", "xml", "root", ""]))
    text = f"<{root}>{inner}</{root}>" if root else inner
    cut = draw(st.integers(min_value=0, max_value=len(text)))
    text = text[:cut] if draw(st.booleans()) else text
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8", "gbk", "utf-16"])), "replace")


@fuzz(150)
@given(body=st.one_of(st.binary(max_size=2048), garbled_xml()))
def test_any_signed_body_is_a_message_or_a_clean_refusal(body):
    outcome = _parse(body, _query())
    if not isinstance(outcome, Exception):
        assert outcome.source and outcome.type


@fuzz(60)
@given(content=st.text(max_size=200), openid=st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True))
def test_a_well_formed_text_message_is_read_back_as_sent(content, openid):
    assume("]]>" not in content)
    xml = text_xml(openid, content).encode("utf-8", "surrogatepass")
    outcome = _parse(xml, _query())
    if isinstance(outcome, Malformed):
        # Characters XML 1.0 cannot carry (control characters, lone surrogates) are refused.
        assume(False)
    assert outcome.source == openid
    # XML normalises line ends; wechatpy (xmltodict) strips surrounding whitespace.
    sent = content.replace("\r\n", "\n").replace("\r", "\n").strip()
    assert (outcome.content or "") == sent


@fuzz(100)
@given(
    signature=st.one_of(st.from_regex(r"[0-9a-f]{40}", fullmatch=True), st.text(max_size=60)),
    timestamp=st.one_of(st.integers(min_value=0, max_value=10**16).map(str), st.text(max_size=20)),
    nonce=st.text(max_size=70),
)
def test_a_body_without_the_right_signature_is_never_parsed(signature, timestamp, nonce):
    assume(signature != sign(TOKEN, timestamp, nonce))
    body = text_xml("attacker", "绑定 13800000000").encode()
    args = {"signature": signature, "timestamp": timestamp, "nonce": nonce}
    assert isinstance(_parse(body, args), Refused)
    with pytest.raises(Refused):
        echo(token=TOKEN, args={**args, "echostr": "abc"})


@fuzz(60)
@given(skew=st.integers(min_value=MAX_SKEW_S + 5, max_value=10**9), ahead=st.booleans())
def test_a_replayed_signature_with_an_old_or_future_timestamp_is_refused(skew, ahead):
    stamp = int(time.time()) + (skew if ahead else -skew)
    assume(stamp >= 0)
    with pytest.raises(Refused):
        verify_query(token=TOKEN, args=_query(stamp))
    assert isinstance(_parse(text_xml("attacker", "hi").encode(), _query(stamp)), Refused)


def test_a_body_over_the_limit_is_refused_unread():
    huge = b"<xml>" + b"<Content>" + b"a" * MAX_BODY + b"</Content></xml>"
    assert isinstance(_parse(huge, _query()), Malformed)


def _sealed(xml: str, args: dict, *, key: str = AES_KEY, appid: str = APPID) -> tuple[bytes, dict]:
    crypto = WeChatCrypto(TOKEN, key, appid)
    encrypt = xmltodict.parse(crypto.encrypt_message(xml, args["nonce"], args["timestamp"]))
    encrypt = encrypt["xml"]["Encrypt"]
    signature = sign(TOKEN, args["timestamp"], args["nonce"], encrypt)
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return body.encode(), {**args, "encrypt_type": "aes", "msg_signature": signature}


@fuzz(40)
@given(content=st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N"]), max_size=80))
def test_safe_mode_round_trips_what_wechat_sealed(content):
    body, args = _sealed(text_xml("follower", content), _query())
    message = _parse(body, args)
    assert not isinstance(message, Exception), message
    assert (message.content or "") == content


@fuzz(60)
@given(
    position=st.integers(min_value=0, max_value=10_000),
    flip=st.integers(min_value=1, max_value=255),
    forge=st.sampled_from(["ciphertext", "msg_signature", "key", "appid"]),
)
def test_safe_mode_never_accepts_a_tampered_or_foreign_envelope(position, flip, forge):
    xml = text_xml("attacker", "绑定 13800000000")
    args = _query()
    if forge == "key":
        body, args = _sealed(xml, args, key=OTHER_KEY)
    elif forge == "appid":
        body, args = _sealed(xml, args, appid="wx_someone_else")
    else:
        body, args = _sealed(xml, args)
    if forge == "ciphertext":
        start = body.index(b"CDATA[") + 6
        end = body.index(b"]]>", start)
        i = start + position % (end - start)
        body = body[:i] + bytes([body[i] ^ flip]) + body[i + 1 :]
    elif forge == "msg_signature":
        args["msg_signature"] = hashlib.sha1(str(position).encode()).hexdigest()
    outcome = _parse(body, args)
    if forge in ("msg_signature", "appid"):
        assert isinstance(outcome, Refused), outcome
    else:
        # A changed byte breaks the msg_signature (or the base64 first); another key decrypts
        # to noise that is not UTF-8 or not our XML. Refused or Malformed, never a message.
        assert isinstance(outcome, Refused | Malformed), outcome


@st.composite
def plausible_messages(draw) -> bytes:
    """Signed, well-formed messages of every kind the router knows and some it does not."""
    fields = {
        "ToUserName": "gh_songjiao_test",
        "FromUserName": draw(st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)),
        "CreateTime": str(draw(st.integers(min_value=0, max_value=2**40))),
        "MsgType": draw(st.sampled_from(["text", "event", "image", "voice", "location", "zz"])),
        "MsgId": str(draw(st.integers(min_value=0, max_value=2**70))),
    }
    if fields["MsgType"] == "event":
        fields["Event"] = draw(
            st.sampled_from(
                ["subscribe", "unsubscribe", "CLICK", "VIEW", "SCAN", "TEMPLATESENDJOBFINISH"]
                + ["PUBLISHJOBFINISH", "subscribe_msg_popup_event", "nonsense"]
            )
        )
        words = ["WEEK_ACTIVITIES", "MY_CHECKINS", "OPEN_DAYS", "SUMMARY", "HELP", "qrscene_1"]
        fields["EventKey"] = draw(st.one_of(st.sampled_from(words), XML_TEXT))
        fields["Status"] = draw(st.sampled_from(["success", "failed:user block", ""]))
    else:
        words = ["本周活动", "我的签到", "开放日", "统计", "帮助", "绑定"]
        fields["Content"] = draw(st.one_of(st.sampled_from(words), XML_TEXT))
    kept = list(fields)
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        kept = draw(st.lists(st.sampled_from(kept), unique=True, min_size=1))
    inner = "".join(f"<{k}><![CDATA[{fields[k]}]]></{k}>" for k in fields if k in kept)
    return f"<xml>{inner}</xml>".encode("utf-8", "surrogatepass")


def _post_each(base_url: str) -> list[tuple[int, bytes]]:
    """Send a fixed sample of bodies, signed, to the running callback; each answer."""
    answers: list[tuple[int, bytes]] = []
    messages = plausible_messages()
    strategy = st.one_of(messages, messages, messages, garbled_xml(), st.binary(max_size=512))
    with sync_http_client(base_url=base_url, timeout=30) as http:

        @fuzz(120)
        @given(body=strategy)
        def send(body):
            resp = http.post("/wechat/callback", params=_query(), content=body)
            answers.append((resp.status_code, body))

        send()
    return answers


@pytest.mark.embedded
async def test_the_callback_answers_every_signed_body_without_a_server_error(api):
    import asyncio

    answers = await asyncio.to_thread(_post_each, api.url)
    assert len(answers) >= 100
    assert [(status, body) for status, body in answers if status >= 500] == []
    assert {status for status, _ in answers} <= {200, 400, 403}
