"""The code a certificate's QR carries: a random id and its HMAC, `<token>.<mac>`.

The token alone is unguessable (96 random bits); the MAC, keyed with
`certificate_secret`, lets the server refuse a forged or altered code before looking
anything up, and makes ids that were never issued worthless to try.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

TOKEN_BYTES = 12
MAC_BYTES = 12
#: 16 characters of base64url each (12 bytes, no padding).
_PART = re.compile(r"^[A-Za-z0-9_-]{16}$")
#: The public page's path; the code follows it.
VERIFY_PATH = "/verify/"


def new_token() -> str:
    """A fresh random certificate id."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _mac(secret: str, token: str) -> str:
    key = hmac.new(secret.encode(), b"songjiao certificate code", hashlib.sha256).digest()
    digest = hmac.new(key, token.encode(), hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def code_for(token: str, *, secret: str) -> str:
    """The signed code of a certificate id."""
    return f"{token}.{_mac(secret, token)}"


def token_of(code: str, *, secret: str) -> str | None:
    """The certificate id a code names, or None when it is malformed, forged or altered."""
    token, dot, mac = (code or "").partition(".")
    if not dot or not _PART.match(token) or not _PART.match(mac):
        return None
    return token if hmac.compare_digest(mac, _mac(secret, token)) else None


def verify_url(base_url: str, token: str, *, secret: str) -> str:
    """The public verification page of a certificate."""
    return f"{base_url.rstrip('/')}{VERIFY_PATH}{code_for(token, secret=secret)}"
