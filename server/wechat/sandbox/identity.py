"""Who a sandbox login code stands for: deterministic openids and unionids per name."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass

#: `NAME` (reusable demo login) or `NAME:NONCE` (single use, like a real wx.login code).
_CODE_RE = re.compile(r"(?P<name>[A-Za-z0-9_-]{1,48})(?::(?P<nonce>[A-Za-z0-9_-]{1,64}))?")


@dataclass(frozen=True)
class LoginCode:
    """A parsed sandbox login code."""

    name: str
    single_use: bool


def _digest(salt: str, name: str) -> str:
    raw = hashlib.sha256(f"{salt}:{name}".encode()).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii")[:27]


def openid_for(name: str) -> str:
    """The openid that the login code `name` (or `name:nonce`) yields, 28 chars like WeChat's."""
    return "o" + _digest("songjiao-sandbox-openid", name)


def unionid_for(name: str) -> str:
    """The unionid that the login code `name` yields; differs from the openid by prefix and salt."""
    return "u" + _digest("songjiao-sandbox-unionid", name)


def oa_openid_for(name: str) -> str:
    """The same user's openid in the 公众号: another app, so another openid, same unionid."""
    return "o" + _digest("songjiao-sandbox-oa-openid", name)


def oa_unionid_of(oa_openid: str, names: dict[str, str]) -> str:
    """The unionid behind a 公众号 openid: the login name's if known, else one of its own."""
    # `names` is learnt from jscode2session; a follower who never used the mini-program
    # gets a unionid that no mini-program account has, as in WeChat.
    name = names.get(oa_openid)
    return (
        unionid_for(name) if name is not None else "u" + _digest("songjiao-sandbox-oa", oa_openid)
    )


def parse_code(code: str) -> LoginCode | None:
    """Parse a sandbox js_code; None when it does not follow `NAME` or `NAME:NONCE`."""
    match = _CODE_RE.fullmatch(code)
    if match is None:
        return None
    return LoginCode(name=match["name"], single_use=match["nonce"] is not None)


def new_session_key() -> str:
    """A random session_key: base64 of 16 bytes, 24 characters as WeChat's."""
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")
