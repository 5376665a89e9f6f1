"""Login with WeChat, sessions with rotating refresh tokens, logout."""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from datetime import timedelta

from redis.exceptions import RedisError

from server.accounts.grants import describe_grants, grants_for
from server.accounts.models import Account, Session
from server.common.auth import Principal, issue_access_token
from server.common.errors import DomainError
from server.common.time import now
from server.orgs.models import Person
from server.settings import Settings
from server.wechat.errors import CodeUsed, InvalidCode, WeChatError, WeChatUnavailable

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


async def start_session(*, account: Account, settings: Settings) -> dict:
    """Open a new session for `account` and answer with both tokens."""
    refresh_token = secrets.token_urlsafe(32)
    session = await Session.create(
        id=uuid.uuid4(),
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
    person = await Person.get_or_none(id=account.person_id) if account.person_id else None
    return {
        "account_id": account.id,
        "bound": person is not None,
        "id": person.id if person else None,
        "name": person.name if person else None,
        "roles": await describe_grants(grants),
    }


async def refresh(*, refresh_token: str, settings: Settings) -> dict:
    """Rotate the refresh token and issue a new access token with fresh grants."""
    token = (refresh_token or "").strip()
    session = await Session.get_or_none(refresh_hash=_hash(token)) if token else None
    if session is None or session.revoked_at is not None or session.expires_at <= now():
        raise DomainError("refresh_invalid", "登录已失效，请重新登录", status=401)
    new_token = secrets.token_urlsafe(32)
    # The hash changes only if nobody rotated it first: two refreshes race, one wins.
    updated = await Session.filter(id=session.id, refresh_hash=session.refresh_hash).update(
        refresh_hash=_hash(new_token)
    )
    if not updated:
        raise DomainError("refresh_invalid", "登录已失效，请重新登录", status=401)
    account = await Account.get(id=session.account_id)
    return await _tokens(
        account=account, session=session, refresh_token=new_token, settings=settings
    )


async def logout(*, principal: Principal, redis, settings: Settings) -> None:
    """End the caller's session; its access tokens stop working at once."""
    await Session.filter(id=principal.session_id, revoked_at=None).update(revoked_at=now())
    try:
        await redis.set(
            REVOKED_KEY.format(principal.session_id), b"1", ex=settings.access_token_ttl
        )
    except RedisError:
        log.warning("redis unavailable at logout; access token lives until it expires")


async def ensure_session_active(*, redis, session_id: str) -> None:
    """Refuse access tokens of a session that logged out (Redis is a fast path only)."""
    try:
        revoked = await redis.exists(REVOKED_KEY.format(session_id))
    except (RedisError, OSError):
        return
    if revoked:
        raise DomainError("token_invalid", "您已退出登录，请重新登录")


async def me(*, principal: Principal) -> dict:
    """The caller's own profile and roles."""
    account = await Account.get(id=principal.account_id)
    return await person_view(account=account)
