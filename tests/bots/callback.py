"""Build callback requests as WeChat builds them: signed query, plaintext or AES envelope."""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import time
from dataclasses import dataclass

import httpx
import xmltodict
from wechatpy.crypto import WeChatCrypto

from server.wechat.sandbox import oa_openid_for
from tests.conftest import OA_APPID

TOKEN = "test-callback-token"
#: WeChat seals a 公众号's callbacks with the 公众号's appid (not the mini-program's).
APPID = OA_APPID
#: A 43-character EncodingAESKey, as the 公众号 admin page generates.
AES_KEY = base64.b64encode(b"songjiao-test-aes-key-32-bytes!!").decode().rstrip("=")
PATH = "/wechat/callback"
OA_ID = "gh_songjiao_test"

_msgids = itertools.count(int(time.time()) * 1000 + secrets.randbelow(1000) * 1_000_000)


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted parts joined."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def follower_openid(name: str) -> str:
    """A 公众号 openid for a test follower (different from her mini-program openid)."""
    return oa_openid_for(name)


def next_msgid() -> int:
    """A MsgId no other test uses."""
    return next(_msgids)


def _xml(fields: dict) -> str:
    parts = []
    for name, value in fields.items():
        if isinstance(value, int):
            parts.append(f"<{name}>{value}</{name}>")
        elif value.startswith("<"):
            parts.append(f"<{name}>{value}</{name}>")
        else:
            parts.append(f"<{name}><![CDATA[{value}]]></{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def text_xml(openid: str, content: str, *, msgid: int | None = None, at: int | None = None) -> str:
    """A text message from `openid`."""
    return _xml(
        {
            "ToUserName": OA_ID,
            "FromUserName": openid,
            "CreateTime": at or int(time.time()),
            "MsgType": "text",
            "Content": content,
            "MsgId": msgid or next_msgid(),
        }
    )


def event_xml(openid: str, event: str, *, at: int | None = None, **extra: str | int) -> str:
    """An event from `openid` (EventKey, Ticket, MsgID … as keyword arguments)."""
    fields = {
        "ToUserName": OA_ID,
        "FromUserName": openid,
        "CreateTime": at or int(time.time()),
        "MsgType": "event",
        "Event": event,
    }
    return _xml({**fields, **extra})


@dataclass
class Reply:
    """A callback answer, decrypted when it came in safe mode."""

    status: int
    text: str
    xml: dict | None

    @property
    def content(self) -> str:
        """The reply's text content ("" for "success")."""
        return (self.xml or {}).get("Content", "")


class WeChatServer:
    """Posts to our callback the way WeChat's servers do."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        token: str = TOKEN,
        aes_key: str | None = None,
        appid: str = APPID,
    ):
        self.http = http
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None

    def query(self, *, timestamp: str | None = None, nonce: str | None = None) -> dict:
        """signature, timestamp and nonce as WeChat puts them on the URL."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**9))
        return {
            "signature": sign(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
        }

    def envelope(self, xml: str, query: dict) -> tuple[str, dict]:
        """Safe mode: the encrypted body and the query with encrypt_type and msg_signature."""
        sealed = xmltodict.parse(
            self.crypto.encrypt_message(xml, query["nonce"], query["timestamp"])
        )
        encrypt = sealed["xml"]["Encrypt"]
        msg_signature = sign(self.token, query["timestamp"], query["nonce"], encrypt)
        assert msg_signature == sealed["xml"]["MsgSignature"]
        body = _xml({"ToUserName": OA_ID, "Encrypt": encrypt})
        return body, {**query, "encrypt_type": "aes", "msg_signature": msg_signature}

    async def post(self, xml: str | bytes, *, query: dict | None = None, **params: str) -> Reply:
        """POST a message; in safe mode it is encrypted and the reply decrypted."""
        query = {**(query or self.query()), "openid": "ignored-by-us"}
        body = xml.encode() if isinstance(xml, str) else xml
        if self.crypto is not None:
            text, query = self.envelope(body.decode(), query)
            body = text.encode()
        query.update(params)
        response = await self.http.post(
            PATH, params=query, content=body, headers={"Content-Type": "text/xml"}
        )
        return self._read(response, query)

    def _read(self, response: httpx.Response, query: dict) -> Reply:
        text = response.text
        if response.status_code != 200 or text == "success":
            return Reply(response.status_code, text, None)
        if self.crypto is not None:
            sealed = xmltodict.parse(text)["xml"]
            text = self.crypto.decrypt_message(
                text, sealed["MsgSignature"], sealed["TimeStamp"], sealed["Nonce"]
            )
        return Reply(response.status_code, text, xmltodict.parse(text)["xml"])

    async def say(self, openid: str, content: str, **kw) -> Reply:
        """A follower types `content`."""
        return await self.post(text_xml(openid, content, **kw))

    async def event(self, openid: str, event: str, **kw) -> Reply:
        """An event from a follower."""
        return await self.post(event_xml(openid, event, **kw))
