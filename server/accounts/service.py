"""Login with WeChat, sessions with rotating refresh tokens, logout."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import replace
from datetime import timedelta

from redis.exceptions import RedisError

from server.accounts.grant_store import GRANTS_CHANGED_KEY
from server.accounts.grants import describe_grants, grants_for
from server.accounts.models import Account, Session
from server.common.auth import Principal, issue_access_token
from server.common.errors import DomainError
from server.common.redis import batcher, command
from server.common.runtime import current
from server.common.time import now
from server.orgs import service as orgs
from server.settings import Settings
from server.wechat.errors import (
    CodeUsed,
    InvalidCode,
    LoginBlocked,
    WeChatError,
    WeChatUnavailable,
)

log = logging.getLogger("songjiao.accounts")
REVOKED_KEY = "session:revoked:{}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def login(*, code: str, wechat, settings: Settings) -> dict:
    """Exchange a wx.login code for tokens; the session_key never leaves the server."""
    code = (code or "").strip()
    if not code or len(code) > 128:
        raise DomainError("invalid_code", "登录码无效，请重新打开小程序后再试")
    try:
        session = await wechat.code_to_session(code=code)
    except CodeUsed as exc:
        raise DomainError("code_used", "登录码已被使用，请重新打开小程序后再试") from exc
    except InvalidCode as exc:
        raise DomainError("invalid_code", "登录码无效或已过期，请重新打开小程序后再试") from exc
    except LoginBlocked as exc:
        # 40226: WeChat's risk control blocked this user's mini-program login; only she can
        # clear it (by WeChat's security check), a retry here would not help.
        raise DomainError(
            "login_blocked",
            "微信判定当前微信号存在安全风险，已拦截本次登录。请稍后再试，或联系幼儿园老师协助。",
            status=403,
        ) from exc
    except WeChatUnavailable as exc:
        raise DomainError("wechat_unavailable", "微信服务暂时不可用，请稍后重试") from exc
    except WeChatError as exc:
        raise DomainError("wechat_error", f"微信登录失败：{exc.message}") from exc
    account, _ = await Account.get_or_create(openid=session["openid"])
    account.last_login_at = now()
    if session.get("unionid"):
        account.unionid = session["unionid"]
    await account.save(update_fields=["last_login_at", "unionid"])
    return await start_session(account=account, settings=settings)


def _refresh_mac(*, session_id: str, nonce: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"refresh:{session_id}.{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")


def _new_refresh_token(*, session_id: str, secret: str) -> str:
    """A refresh token that names its session and is signed, so a reused one can be traced.

    Only the hash of the current token is stored. A token that is signed by us for a
    session but is not that session's current token was rotated already: presenting it
    again means it was copied, and the session ends (see ``refresh``).
    """
    nonce = secrets.token_urlsafe(24)
    return f"{session_id}.{nonce}.{_refresh_mac(session_id=session_id, nonce=nonce, secret=secret)}"


def _session_of_signed_token(token: str, *, secret: str) -> str | None:
    """The session id a refresh token names, when its signature is ours."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    session_id, nonce, mac = parts
    try:
        uuid.UUID(session_id)
    except ValueError:
        return None
    expected = _refresh_mac(session_id=session_id, nonce=nonce, secret=secret)
    return session_id if hmac.compare_digest(mac, expected) else None


async def start_session(*, account: Account, settings: Settings) -> dict:
    """Open a new session for `account` and answer with both tokens."""
    session_id = uuid.uuid4()
    refresh_token = _new_refresh_token(session_id=str(session_id), secret=settings.jwt_secret)
    session = await Session.create(
        id=session_id,
        account=account,
        refresh_hash=_hash(refresh_token),
        expires_at=now() + timedelta(seconds=settings.refresh_token_ttl),
    )
    return await _tokens(
        account=account, session=session, refresh_token=refresh_token, settings=settings
    )


async def _tokens(
    *, account: Account, session: Session, refresh_token: str, settings: Settings
) -> dict:
    grants = await grants_for(account.person_id)
    access = issue_access_token(
        secret=settings.jwt_secret,
        ttl=settings.access_token_ttl,
        account_id=account.id,
        person_id=account.person_id,
        session_id=str(session.id),
        grants=grants,
    )
    return {
        "access_token": access,
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl,
        "person": await person_view(account=account, grants=grants),
    }


async def person_view(*, account: Account, grants=None) -> dict:
    """The logged-in person as the clients show it."""
    if grants is None:
        grants = await grants_for(account.person_id)
    names = await orgs.person_names(person_ids=[account.person_id]) if account.person_id else {}
    bound = account.person_id in names
    return {
        "account_id": account.id,
        "bound": bound,
        "id": account.person_id if bound else None,
        "name": names[account.person_id] if bound else None,
        "roles": await describe_grants(grants),
    }


async def refresh(*, refresh_token: str, settings: Settings) -> dict:
    """Rotate the refresh token and issue a new access token with fresh grants.

    A refresh token that was already rotated is treated as stolen: whoever holds the
    other copy may be using the session, so the whole session ends (OAuth 2.0 Security
    BCP, refresh token rotation with reuse detection).
    """
    token = (refresh_token or "").strip()
    session = await Session.get_or_none(refresh_hash=_hash(token)) if token else None
    if session is None:
        reused = _session_of_signed_token(token, secret=settings.jwt_secret) if token else None
        if reused is not None:
            await _end_reused_session(session_id=reused, settings=settings)
        raise DomainError("refresh_invalid", "登录已失效，请重新登录", status=401)
    if session.revoked_at is not None or session.expires_at <= now():
        raise DomainError("refresh_invalid", "登录已失效，请重新登录", status=401)
    new_token = _new_refresh_token(session_id=str(session.id), secret=settings.jwt_secret)
    # The hash changes only if nobody rotated it first: of two refreshes with one token,
    # one wins and the other is a reuse, which ends the session.
    updated = await Session.filter(
        id=session.id, refresh_hash=session.refresh_hash, revoked_at=None
    ).update(refresh_hash=_hash(new_token))
    if not updated:
        await _end_reused_session(session_id=str(session.id), settings=settings)
        raise DomainError("refresh_invalid", "登录已失效，请重新登录", status=401)
    account = await Account.get(id=session.account_id)
    return await _tokens(
        account=account, session=session, refresh_token=new_token, settings=settings
    )


async def _end_reused_session(*, session_id: str, settings: Settings) -> None:
    """A rotated refresh token came back: end its session, access tokens included."""
    ended = await Session.filter(id=session_id, revoked_at=None).update(revoked_at=now())
    if not ended:
        return
    log.warning("refresh token reused: session %s ended", session_id)
    await revoke_sessions_now(session_ids=[session_id], ttl=settings.access_token_ttl)


async def revoke_sessions_now(*, session_ids: list[str], ttl: int) -> None:
    """Make these sessions' access tokens stop working on their next request."""
    if not session_ids:
        return
    try:
        async with current().redis.pipeline(transaction=False) as pipe:
            for sid in session_ids:
                pipe.set(REVOKED_KEY.format(sid), b"1", ex=ttl)
            await pipe.execute()
    except (RedisError, OSError):
        # The middleware checks the database when Redis cannot answer.
        log.warning("redis unavailable: revoked sessions recorded in the database only")


async def end_account_sessions(*, account_ids: list[int], settings: Settings) -> None:
    """End every live session of these accounts (an account unbound from its person)."""
    if not account_ids:
        return
    rows = await Session.filter(account_id__in=account_ids, revoked_at=None).values_list(
        "id", flat=True
    )
    await Session.filter(id__in=list(rows)).update(revoked_at=now())
    await revoke_sessions_now(session_ids=[str(r) for r in rows], ttl=settings.access_token_ttl)


async def logout(*, principal: Principal) -> None:
    """End the caller's session; its access tokens stop working at once."""
    runtime = current()
    redis, settings = runtime.redis, runtime.settings
    await Session.filter(id=principal.session_id, revoked_at=None).update(revoked_at=now())
    try:
        await redis.set(
            REVOKED_KEY.format(principal.session_id), b"1", ex=settings.access_token_ttl
        )
    except RedisError:
        log.warning("redis unavailable at logout; access token lives until it expires")


async def current_principal(*, principal: Principal) -> Principal:
    """The caller as of now: refused when the session ended, fresh grants when they changed.

    Two reads answer both, sent with what the process's other requests send to Redis at
    the same moment (one round trip for many requests, server/common/redis.py), after this
    request arrived. Without Redis the database answers them, so an ended session or a
    removed role never outlives an outage.
    """
    try:
        revoked, changed = await batcher(current().redis).run(
            command("EXISTS", REVOKED_KEY.format(principal.session_id)),
            command("GET", GRANTS_CHANGED_KEY.format(principal.person_id)),
        )
    except (RedisError, OSError):
        return await _principal_from_database(principal)
    if revoked:
        raise DomainError("token_invalid", "您已退出登录，请重新登录")
    if changed is not None and float(changed) >= principal.issued_at:
        return await _principal_from_database(principal)
    return principal


async def _principal_from_database(principal: Principal) -> Principal:
    session = await Session.get_or_none(id=principal.session_id)
    if session is None or session.revoked_at is not None:
        raise DomainError("token_invalid", "您已退出登录，请重新登录")
    account = await Account.get_or_none(id=principal.account_id)
    if account is None or account.person_id != principal.person_id:
        raise DomainError("token_invalid", "登录信息已变更，请重新登录")
    grants = await grants_for(account.person_id)
    return replace(principal, grants=tuple(grants))


async def me(*, principal: Principal) -> dict:
    """The caller's own profile and roles."""
    account = await Account.get(id=principal.account_id)
    return await person_view(account=account)
