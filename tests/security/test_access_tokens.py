"""Access tokens are verified strictly: HS256 with our secret only, whatever the header says;
the secret's own checks run once per secret but still refuse an unfit one every time."""

from __future__ import annotations

import uuid

import jwt
import pytest

from server.common.auth import Grant, issue_access_token, read_access_token
from server.common.errors import DomainError

SECRET = "test-access-token-secret-0123456789abcdef"
CLAIMS = {"sub": "5", "pid": 7, "sid": str(uuid.uuid4()), "typ": "access", "exp": 4102444800}


def _token(secret: str = SECRET) -> str:
    return issue_access_token(
        secret=secret,
        ttl=600,
        account_id=5,
        person_id=7,
        session_id=CLAIMS["sid"],
        grants=[Grant("teacher", "kindergarten", 1)],
    )


def _tampered(token: str) -> str:
    """One character of the signature changed (not the last: its low bits are padding)."""
    at = len(token) - 10
    return token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]


def test_a_good_token_is_read_again_and_again():
    token = _token()
    for _ in range(3):
        principal = read_access_token(token, secret=SECRET)
        assert (principal.account_id, principal.person_id) == (5, 7)
        assert principal.grants == (Grant("teacher", "kindergarten", 1),)


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(lambda: _tampered(_token()), id="tampered signature"),
        pytest.param(lambda: _token("other-secret-0123456789abcdef0123456789"), id="other secret"),
        pytest.param(lambda: jwt.encode(CLAIMS, None, algorithm="none"), id="alg none"),
        pytest.param(lambda: jwt.encode(CLAIMS, SECRET * 2, algorithm="HS512"), id="HS512"),
    ],
)
def test_a_forged_token_is_refused_after_good_ones(forged):
    read_access_token(_token(), secret=SECRET)  # the secret's checked key is now kept
    with pytest.raises(DomainError) as refused:
        read_access_token(forged(), secret=SECRET)
    assert refused.value.code == "token_invalid"


def test_a_secret_shaped_like_a_key_is_refused_every_time():
    jwk_shaped = '{"kty": "oct", "k": "c2VjcmV0"}'
    token = jwt.encode(CLAIMS, "x" * 40, algorithm="HS256")
    for _ in range(2):
        with pytest.raises(DomainError):
            read_access_token(token, secret=jwk_shaped)
