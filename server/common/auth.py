"""Access tokens, the caller (Principal) and the per-route role declaration."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
from jwt.algorithms import HMACAlgorithm
from jwt.api_jws import PyJWS
from jwt.utils import base64url_decode, base64url_encode

from server.common.errors import DomainError, Forbidden

ALGORITHM = "HS256"
ALL_ROLES = ("teacher", "organizer", "director", "leader", "parent", "admin")
#: Marks a route anyone may call without logging in.
PUBLIC = "public"
#: Marks a route any logged-in account may call, bound to a person or not.
ANY_ACCOUNT = "any_account"
#: At most this many secrets' checked keys are kept (the configured one, a test's other).
KEYS_KEPT = 8


class _CheckedOnceHS256(HMACAlgorithm):
    """HS256 that checks a secret once, not again for every token it verifies.

    PyJWT's HMAC key preparation refuses secrets shaped like PEM, SSH or JWK keys; since
    PyJWT 2.15 that check parses the secret as JSON (failing, with an exception) on every
    decode: about a sixth of a token's verification, on every request. The checks are still
    the library's own, run on the first token of each secret; a secret they refuse is
    refused every time (nothing is kept for it).
    """

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        self._checked: dict[str, bytes] = {}

    def prepare_key(self, key):
        if not isinstance(key, str):
            return super().prepare_key(key)
        prepared = self._checked.get(key)
        if prepared is None:
            prepared = super().prepare_key(key)
            if len(self._checked) >= KEYS_KEPT:
                self._checked.clear()
            self._checked[key] = prepared
        return prepared


#: A segment in canonical unpadded Base64URL, as every token we sign has.
_UNPADDED_SEGMENT = re.compile(rb"[A-Za-z0-9_-]*")


class _SegmentsCheckedAtOnce(PyJWS):
    """PyJWS whose check of a token's three segments costs a regex, not a loop per byte.

    Since its fix of GHSA-hxm8-2xgr-2p9m, PyJWT refuses a segment with a character outside
    the Base64URL alphabet by testing each byte in a Python generator: about a third of a
    token's verification, on every request (issue 18: 75 -> 45-50 µs a token). A segment
    of the alphabet alone, as every token we sign has, is checked here with one regex, then
    with the library's own remaining rules (no length of 4n+1, the canonical encoding); any
    other segment (padded, or refused) goes to the library's method, which decides.
    tests/common/test_auth_segments.py holds both to the same answers.
    """

    @staticmethod
    def _decode_base64url_segment(segment: bytes, name: str) -> bytes:
        if len(segment) % 4 != 1 and _UNPADDED_SEGMENT.fullmatch(segment):
            decoded = base64url_decode(segment)
            if base64url_encode(decoded) == segment:
                return decoded
        return PyJWS._decode_base64url_segment(segment, name)


def _verifier() -> jwt.PyJWT:
    """PyJWT that accepts HS256 only, with the secret checked once."""
    jws = _SegmentsCheckedAtOnce(algorithms=[ALGORITHM])
    jws.unregister_algorithm(ALGORITHM)
    jws.register_algorithm(ALGORITHM, _CheckedOnceHS256())
    verifier = jwt.PyJWT()
    verifier._jws = jws  # PyJWT verifies signatures through its PyJWS; no public setter
    return verifier


_VERIFIER = _verifier()


@dataclass(frozen=True)
class Grant:
    """One role within one scope, as carried in the access token."""

    role: str
    scope_kind: str
    scope_id: int

    def encode(self) -> str:
        """Compact form for the token: role:kind:id."""
        return f"{self.role}:{self.scope_kind}:{self.scope_id}"

    @classmethod
    def decode(cls, text: str) -> Grant:
        """Parse the compact form."""
        role, kind, scope_id = text.split(":")
        return cls(role, kind, int(scope_id))


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account, the person it is bound to, and the grants."""

    account_id: int
    person_id: int | None
    session_id: str
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    #: When the access token was signed (seconds since the epoch); 0 when not from a token.
    issued_at: float = 0.0

    @property
    def roles(self) -> set[str]:
        """The role names held in any scope."""
        return {g.role for g in self.grants}

    @property
    def is_admin(self) -> bool:
        """Admins may do everything everywhere."""
        return "admin" in self.roles

    def has(self, *roles: str) -> bool:
        """True when the caller holds any of `roles` (admin always does)."""
        return self.is_admin or bool(self.roles.intersection(roles))

    def scope_ids(self, kind: str, roles: Iterable[str]) -> set[int]:
        """Ids of scopes of `kind` in which the caller holds one of `roles`."""
        wanted = set(roles)
        return {g.scope_id for g in self.grants if g.scope_kind == kind and g.role in wanted}


def issue_access_token(
    *,
    secret: str,
    ttl: int,
    account_id: int,
    person_id: int | None,
    session_id: str,
    grants: Iterable[Grant],
) -> str:
    """Sign a short-lived access token carrying the caller's grants."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(account_id),
        "pid": person_id,
        "sid": session_id,
        "g": [g.encode() for g in grants],
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_access_token(token: str, *, secret: str) -> Principal:
    """Verify a token and return its principal, or raise a Chinese DomainError."""
    try:
        claims = _VERIFIER.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "sid"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise DomainError("token_expired", "登录已过期，请重新登录") from exc
    except jwt.PyJWTError as exc:
        raise DomainError("token_invalid", "登录凭证无效，请重新登录") from exc
    if claims.get("typ") != "access":
        raise DomainError("token_invalid", "登录凭证无效，请重新登录")
    try:
        grants = tuple(Grant.decode(g) for g in claims.get("g", []))
        return Principal(
            account_id=int(claims["sub"]),
            person_id=claims.get("pid"),
            session_id=str(claims["sid"]),
            grants=grants,
            issued_at=float(claims.get("iat", 0)),
        )
    except (ValueError, TypeError) as exc:
        raise DomainError("token_invalid", "登录凭证无效，请重新登录") from exc


def requires(*roles: str) -> Callable:
    """Declare who may call a route: role names, PUBLIC or ANY_ACCOUNT.

    The app's auth middleware has already put the caller (or None) on
    ``request.ctx.principal``; this decorator refuses everyone else. Scope checks
    (which kindergarten, which region) happen in the services.
    """
    unknown = set(roles) - set(ALL_ROLES) - {PUBLIC, ANY_ACCOUNT}
    if unknown or not roles:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        async def guarded(request, *args, **kwargs):
            if PUBLIC not in roles:
                principal = request.ctx.principal
                if principal is None:
                    raise DomainError("unauthenticated", "请先登录")
                if ANY_ACCOUNT not in roles and not principal.has(*roles):
                    raise Forbidden()
            return await handler(request, *args, **kwargs)

        guarded.__roles__ = tuple(roles)
        return guarded

    return decorate
