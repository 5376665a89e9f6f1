"""The sandbox pushes events the way the api's callback mode expects: sealed in safe mode."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from bots.official_account.crypto import open_body, read_message
from bots.official_account.handlers import raw
from server.settings import load_settings
from server.wechat.sandbox import callback_push
from server.wechat.sandbox.events import publish_finished_xml, signed_request
from server.wechat.sandbox.state import Publish
from tests.bots.callback import AES_KEY, APPID, TOKEN

EVENT = publish_finished_xml(
    Publish("2247000001", "draft", "article", final_status=0),
    articles=1,
    article_url="http://sandbox/articles/a",
)


def _settings(**mode):
    return load_settings(env="test", wechat_token=TOKEN, oa_appid=APPID, oa_secret="x", **mode)


def _open(settings, url: str, body: bytes):
    args = dict(parse_qsl(urlsplit(url).query))
    xml, _ = open_body(settings=settings, args=args, body=body)
    return args, read_message(xml)


def test_safe_mode_callback_gets_ciphertext_only_and_reads_the_event():
    settings = _settings(wechat_aes_key=AES_KEY)
    url, body = signed_request(callback_push(settings, "http://api/wechat/callback"), EVENT)
    assert b"PUBLISHJOBFINISH" not in body and b"<Encrypt>" in body
    args, message = _open(settings, url, body)
    assert args["encrypt_type"] == "aes" and len(args["msg_signature"]) == 40
    assert raw(message, "Event") == "PUBLISHJOBFINISH"


def test_plain_mode_callback_gets_plaintext():
    settings = _settings(wechat_aes_key="")
    url, body = signed_request(callback_push(settings, "http://api/wechat/callback"), EVENT)
    args, message = _open(settings, url, body)
    assert "encrypt_type" not in args and b"PUBLISHJOBFINISH" in body
    assert raw(message, "Event") == "PUBLISHJOBFINISH"
