"""The callback envelope: WeChat's signatures, safe-mode AES, and XML that cannot hurt us.

Everything WeChat sends is checked before anything is parsed for meaning: the query
signature, then (safe mode) msg_signature and the AES envelope, and every XML text is
first read by defusedxml with DTDs forbidden, so entity expansion and external entities
are refused rather than resolved.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.utils import check_signature

from server.settings import Settings

log = logging.getLogger("songjiao.bots.oa")

#: WeChat's messages are a few kilobytes; anything larger is refused unread.
MAX_BODY = 64 * 1024
#: In plaintext mode the signature covers token, timestamp and nonce but not the body, so a
#: captured signature could carry any body; refusing old timestamps bounds that window, and
#: bots/official_account/replay.py remembers each timestamp and nonce for all of it.
MAX_SKEW_S = 600
_TIMESTAMP = re.compile(r"[0-9]{1,16}")
_NONCE = re.compile(r"[0-9A-Za-z]{1,64}")
_SIGNATURE = re.compile(r"[0-9a-f]{40}")
_ECHOSTR = re.compile(r"[0-9A-Za-z_\-+/=.]{1,256}")
_OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")


#: What each 消息加解密方式 lets in, by encrypt_type. WeChat's documentation (消息加解密说明,
#: developers.weixin.qq.com/doc/subscription/guide/dev/push/encryption):
#:   "明文模式：维持现有模式，没有适配加解密新特性，消息体明文收发"
#:   "兼容模式：公众平台发送消息内容将同时包括明文和密文"
#:   "安全模式（推荐）：公众平台发送消息体的内容只含有密文，公众号回复的消息体也为密文"
#: and its FAQ: "url上无encrypt_type参数或者其值为raw,表示消息体仅含有明文 …
#: encrypt_type为aes则表示消息体含有密文". So in safe mode a request without encrypt_type=aes
#: is not from WeChat. The compatible mode also takes plaintext (while the admin switches).
ACCEPTED = {
    "plain": frozenset({"raw"}),
    "compatible": frozenset({"raw", "aes"}),
    "safe": frozenset({"aes"}),
}


class Refused(Exception):
    """The request is not from WeChat: a signature is missing or wrong (403)."""


class Malformed(Exception):
    """The request is signed but its body cannot be read as a WeChat message (400)."""


@dataclass(frozen=True)
class Envelope:
    """What the reply needs from the request: its timestamp, nonce and safe-mode crypto."""

    timestamp: str
    nonce: str
    crypto: WeChatCrypto | None = None

    @property
    def replay_key(self) -> str:
        """The Redis key remembering this request's timestamp and nonce (no two are alike)."""
        digest = hashlib.sha256(f"{self.timestamp}|{self.nonce}".encode()).hexdigest()
        return "oa:nonce:" + digest[:32]

    def seal(self, xml: str) -> str:
        """The reply as WeChat expects it: encrypted in safe mode, plain otherwise."""
        if self.crypto is None:
            return xml
        return self.crypto.encrypt_message(xml, self.nonce, self.timestamp)


def _arg(args: Mapping, name: str, pattern: re.Pattern) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise Refused(name)
    return value


def verify_query(*, token: str, args: Mapping) -> Envelope:
    """Check the query signature (token, timestamp, nonce) WeChat puts on every callback."""
    signature = _arg(args, "signature", _SIGNATURE)
    timestamp = _arg(args, "timestamp", _TIMESTAMP)
    nonce = _arg(args, "nonce", _NONCE)
    try:
        check_signature(token, signature, timestamp, nonce)
    except InvalidSignatureException as exc:
        raise Refused("signature") from exc
    if abs(time.time() - int(timestamp)) > MAX_SKEW_S:
        raise Refused("timestamp")
    return Envelope(timestamp=timestamp, nonce=nonce)


def echo(*, token: str, args: Mapping) -> str:
    """The echostr of WeChat's URL verification, once the signature holds."""
    verify_query(token=token, args=args)
    echostr = args.get("echostr")
    if not isinstance(echostr, str) or not _ECHOSTR.fullmatch(echostr):
        raise Refused("echostr")
    return echostr


@functools.lru_cache(maxsize=4)
def _crypto(token: str, aes_key: str, appid: str) -> WeChatCrypto:
    return WeChatCrypto(token, aes_key, appid)


def safe_crypto(settings: Settings) -> WeChatCrypto:
    """Safe-mode crypto from settings; Malformed when no valid EncodingAESKey is configured."""
    key = settings.wechat_aes_key
    if len(key) != 43:
        log.error("safe-mode callback received but wechat_aes_key is not a 43-character key")
        raise Malformed("no aes key")
    try:
        # WeChat seals the 公众号's messages with the 公众号's own appid.
        return _crypto(settings.wechat_token, key, settings.official_account_appid)
    except (ValueError, AssertionError) as exc:
        log.error("wechat_aes_key is not a valid EncodingAESKey")
        raise Malformed("bad aes key") from exc


def ensure_safe_xml(text: str) -> None:
    """Refuse XML with a DTD (entities, external references) or that does not parse."""
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError) as exc:
        raise Malformed(type(exc).__name__) from exc
    if root.tag != "xml":
        raise Malformed("root")


def open_body(*, settings: Settings, args: Mapping, body: bytes) -> tuple[str, Envelope]:
    """The message XML of a signed POST, decrypted in safe mode, with its reply envelope."""
    envelope = verify_query(token=settings.wechat_token, args=args)
    if len(body) > MAX_BODY:
        raise Malformed("size")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Malformed("encoding") from exc
    ensure_safe_xml(text)
    mode = args.get("encrypt_type") or "raw"
    if mode not in ("raw", "aes"):
        raise Malformed("encrypt_type")
    accepted = ACCEPTED[settings.oa_callback_mode]
    if mode == "raw":
        if "raw" not in accepted:
            # Safe mode: WeChat sends ciphertext only, so a plaintext body here was not
            # written by WeChat (the query signature does not cover the body).
            raise Refused("plaintext in safe mode")
        return text, envelope
    if "aes" not in accepted:
        raise Malformed("encrypt_type not configured")
    msg_signature = _arg(args, "msg_signature", _SIGNATURE)
    crypto = safe_crypto(settings)
    try:
        inner = crypto.decrypt_message(text, msg_signature, envelope.timestamp, envelope.nonce)
    except (InvalidSignatureException, InvalidAppIdException) as exc:
        raise Refused(type(exc).__name__) from exc
    except Exception as exc:  # a bad envelope: base64, padding, length or encoding
        raise Malformed(type(exc).__name__) from exc
    inner = inner if isinstance(inner, str) else inner.decode("utf-8", errors="strict")
    ensure_safe_xml(inner)
    return inner, Envelope(envelope.timestamp, envelope.nonce, crypto)


def read_message(xml: str) -> BaseMessage:
    """wechatpy's message or event for checked XML; Malformed when fields are missing."""
    try:
        message = parse_message(xml)
        source = message.source if message is not None else None
    except Exception as exc:  # missing MsgType, repeated fields, odd shapes
        raise Malformed(type(exc).__name__) from exc
    if not isinstance(source, str) or not _OPENID.fullmatch(source):
        raise Malformed("FromUserName")
    return message
