"""The token segments' fast check answers exactly as PyJWT's own (server/common/auth.py)."""

from __future__ import annotations

import base64
import random
import uuid

import pytest
from jwt.api_jws import PyJWS
from jwt.exceptions import DecodeError

from server.common.auth import (
    Grant,
    _SegmentsCheckedAtOnce,
    issue_access_token,
    read_access_token,
)
from server.common.errors import DomainError

SECRET = "segments-test-secret-0123456789abcdef0123"

SEGMENTS = [
    b"",
    b"e30",  # {}
    b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
    b"QQ",
    b"QR",  # unused trailing bits set: not the canonical encoding of b"A"
    b"QUI",
    b"QUJ",
    b"QUJD",
    b"QUJDR",  # 4n + 1 characters
    b"QQ==",  # padded, as AWS ALB sends
    b"QQ=",
    b"QQ===",
    b"QUI=",
    b"QUJD====",
    b"Q=Q=",
    b"!!!!",
    b"QU+D",  # standard Base64, not Base64URL
    b"QU/D",
    b"QU D",
    b"QUJD\n",
    "QUJ\u00e9".encode(),
    b"-_-_",
    b"____",
]


def _outcome(method, segment: bytes):
    try:
        return ("ok", method(segment, "payload"))
    except DecodeError as exc:
        return ("refused", str(exc))


@pytest.mark.parametrize("segment", SEGMENTS)
def test_each_tricky_segment_gets_the_libraries_answer(segment):
    ours = _outcome(_SegmentsCheckedAtOnce._decode_base64url_segment, segment)
    assert ours == _outcome(PyJWS._decode_base64url_segment, segment)


def test_random_segments_get_the_libraries_answer():
    rng = random.Random(18)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/!. \x00\xff"
    refused = 0
    for _ in range(3000):
        segment = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        if rng.random() < 0.5:  # half of them canonical encodings of random bytes
            raw = rng.randbytes(rng.randint(0, 18))
            segment = base64.urlsafe_b64encode(raw).rstrip(b"=")
        ours = _outcome(_SegmentsCheckedAtOnce._decode_base64url_segment, segment)
        assert ours == _outcome(PyJWS._decode_base64url_segment, segment), segment
        refused += ours[0] == "refused"
    assert 500 < refused < 2500  # both kinds were tried


def _token() -> str:
    return issue_access_token(
        secret=SECRET,
        ttl=600,
        account_id=7,
        person_id=8,
        session_id=str(uuid.uuid4()),
        grants=[Grant("teacher", "kindergarten", 3)],
    )


def test_a_token_we_signed_is_read_and_one_with_a_foreign_character_is_refused():
    token = _token()
    assert read_access_token(token, secret=SECRET).person_id == 8
    header, payload, signature = token.split(".")
    for bad in (
        f"{header}.{payload}!.{signature}",
        f"{header}.{payload.replace('-', '+').replace('_', '/')}x.{signature}",
        f"{header}.{payload}.{signature[:-1]}+",
    ):
        with pytest.raises(DomainError) as refused:
            read_access_token(bad, secret=SECRET)
        assert refused.value.code == "token_invalid"
