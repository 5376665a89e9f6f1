"""The web console's logins: passwords (argon2id), scan-to-login codes, cookie sessions.

A console session is an ordinary accounts Session row (so logout and revocation work as
for the mini-program) named by a signed cookie (a JWT of type "web"). The scan login's
codes live in Redis for two minutes and are used once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.exceptions import RedisError

from server.accounts.grants import grants_for
from server.accounts.models import Account, Session, WebCredential
from server.accounts.service import REVOKED_KEY, person_view
from server.common.auth import ALGORITHM, Principal
from server.common.errors import DomainError, Forbidden
from server.common.rate_limit import RateLimited, RateLimiter, name_key
from server.common.runtime import current
from server.common.time import now
from server.orgs import service as orgs
from server.settings import Settings

log = logging.getLogger("songjiao.accounts")

COOKIE_TYPE = "web"
#: A console session lasts a working day.
SESSION_TTL = 12 * 3600
#: A scan-login code shown on the login page is good for two minutes.
SCAN_TTL = 120
SCAN_KEY = "weblogin:{}"
SCAN_DONE_KEY = "weblogin:{}:account"
#: Roles that have something to do in the console.
CONSOLE_ROLES = ("organizer", "director", "leader", "admin")
#: Who may log in to the console: its desk roles, and teachers for their own 学时证明 page
#: (issue 20: a teacher gets her certificate from the console too); parents never.
CONSOLE_LOGIN_ROLES = (*CONSOLE_ROLES, "teacher")
LOGIN_FAILED = "账号或密码错误，请重新输入"

#: argon2id at OWASP's minimum (19 MiB, two passes, one lane), about 30 ms a check. The
#: parameters travel in each hash: raising them rehashes each password at its next login.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
#: Hashes written before argon2: scrypt$N$r$p$salt$digest, verified and then replaced.
LEGACY_SCRYPT = "scrypt$"


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (salt and parameters included); CPU-bound, ~30 ms."""
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash, argon2id or legacy scrypt."""
    if stored.startswith(LEGACY_SCRYPT):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when a stored hash is scrypt or argon2 with older parameters."""
    return stored.startswith(LEGACY_SCRYPT) or _HASHER.check_needs_rehash(stored)


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


#: Checked when no credential matches, so a wrong login name costs as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(8))


async def set_password(*, account_id: int, login: str, password: str) -> None:
    """Give an account a console login name and password (replacing any it had)."""
    login = (login or "").strip()
    if not 1 <= len(login) <= 64:
        raise DomainError("invalid_input", "登录名须为 1–64 个字符")
    if len(password or "") < 8:
        raise DomainError("invalid_input", "密码至少 8 位")
    taken = await WebCredential.filter(login=login).exclude(account_id=account_id).exists()
    if taken:
        raise DomainError("login_taken", "该登录名已被使用", status=409)
    row = await WebCredential.get_or_none(account_id=account_id)
    # Hashing is slow on purpose: off the event loop.
    password_hash = await asyncio.to_thread(hash_password, password)
    if row is None:
        await WebCredential.create(account_id=account_id, login=login, password_hash=password_hash)
        return
    row.login, row.password_hash = login, password_hash
    await row.save(update_fields=["login", "password_hash", "updated_at"])


async def create_admin(*, name: str, login: str, password: str) -> int:
    """The first admin: a person with the global admin role and a console password."""
    from server.accounts.models import RoleGrant

    person_id = await orgs.create_person(name=name)
    await RoleGrant.create(person_id=person_id, role="admin", scope_kind="global", scope_id=0)
    account = await Account.create(openid=f"web:{uuid.uuid4().hex}", person_id=person_id)
    await set_password(account_id=account.id, login=login, password=password)
    return account.id


async def password_login(
    *, login: str, password: str, settings: Settings, limiter: RateLimiter, address: str
) -> str:
    """Check a login name and password from client `address`; answers a new session's cookie.

    Wrong passwords are counted per login name *and address*: after ten within 15 minutes
    that address is refused for that name while its owner logs in from anywhere else.
    Wrong passwords for any name from one address (spraying) are limited per address.
    """
    login = (login or "").strip()[:64]
    name = name_key(login)
    await limiter.hit("console_login_per_address", address)
    wait = await limiter.retry_after(
        "console_failures_per_login", address, name
    ) or await limiter.retry_after("console_failures_per_address", address)
    if wait:
        minutes = max(1, -(-wait // 60))
        raise RateLimited(
            code="too_many_attempts",
            message=f"密码错误次数过多，请 {minutes} 分钟后再试",
            retry_after=wait,
        )
    row = await WebCredential.get_or_none(login=login)
    stored = row.password_hash if row else _DUMMY_HASH
    ok = await asyncio.to_thread(verify_password, password or "", stored)
    if row is None or not ok:
        try:
            await limiter.hit_all(
                ("console_failures_per_login", (address, name)),
                ("console_failures_per_address", (address,)),
            )
        except RateLimited:
            pass  # counted; this attempt's answer is the wrong password, the next one waits
        raise DomainError("login_failed", LOGIN_FAILED, status=401)
    await limiter.clear("console_failures_per_login", address, name)
    if needs_rehash(row.password_hash):
        # A scrypt hash (or weaker argon2 parameters) becomes today's hash now that the
        # password is known.
        row.password_hash = await asyncio.to_thread(hash_password, password)
        await row.save(update_fields=["password_hash", "updated_at"])
    account = await Account.get(id=row.account_id)
    return await _start(account=account, settings=settings)


async def _start(*, account: Account, settings: Settings) -> str:
    grants = await grants_for(account.person_id)
    if not any(g.role in CONSOLE_LOGIN_ROLES for g in grants):
        raise Forbidden("管理后台供教职工、领导和管理员使用；家长请使用小程序")
    session = await Session.create(
        id=uuid.uuid4(),
        account=account,
        # The console has no refresh token; the column only needs a unique value.
        refresh_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
        expires_at=now() + timedelta(seconds=SESSION_TTL),
    )
    account.last_login_at = now()
    await account.save(update_fields=["last_login_at"])
    issued = datetime.now(UTC)
    claims = {
        "typ": COOKIE_TYPE,
        "sub": str(account.id),
        "sid": str(session.id),
        "iat": issued,
        "exp": issued + timedelta(seconds=SESSION_TTL),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def _cookie_claims(cookie: str, *, secret: str) -> dict | None:
    try:
        claims = jwt.decode(
            cookie, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "sid"]}
        )
    except jwt.PyJWTError:
        return None
    return claims if claims.get("typ") == COOKIE_TYPE else None


async def session_principal(*, cookie: str, settings: Settings) -> Principal | None:
    """The console caller named by a session cookie, or None when it is bad or ended."""
    claims = _cookie_claims(cookie, secret=settings.jwt_secret) if cookie else None
    if claims is None:
        return None
    session = await Session.get_or_none(id=claims["sid"])
    if session is None or session.revoked_at is not None or session.expires_at <= now():
        return None
    account = await Account.get_or_none(id=session.account_id)
    if account is None or str(account.id) != claims["sub"]:
        return None
    grants = await grants_for(account.person_id)
    return Principal(
        account_id=account.id,
        person_id=account.person_id,
        session_id=str(session.id),
        grants=tuple(grants),
    )


async def whoami(*, principal: Principal) -> dict:
    """The console's header: the person's name and roles."""
    account = await Account.get(id=principal.account_id)
    return await person_view(account=account)


async def end_session(*, principal: Principal) -> None:
    """Log the console session out; its cookie stops working at once."""
    redis = current().redis
    await Session.filter(id=principal.session_id, revoked_at=None).update(revoked_at=now())
    try:
        await redis.set(REVOKED_KEY.format(principal.session_id), b"1", ex=SESSION_TTL)
    except (RedisError, OSError):
        log.warning("redis unavailable at console logout; the database row is revoked")


def csrf_token(*, key: str, secret: str) -> str:
    """The CSRF token of a session (or of a browser before login), derived, not stored."""
    mac = hmac.new(secret.encode(), f"csrf:{key}".encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_ok(*, key: str, secret: str, token: str) -> bool:
    """True when `token` is the CSRF token of `key`."""
    return bool(key and token) and hmac.compare_digest(csrf_token(key=key, secret=secret), token)


# ---- scan login ------------------------------------------------------------------------------


def _browser_hash(browser: str) -> str:
    return hashlib.sha256(browser.encode()).hexdigest()


async def start_scan_login(*, browser: str) -> dict:
    """A new one-time code for the login page of `browser` (its pre-login cookie)."""
    redis = current().redis
    token = secrets.token_urlsafe(18)
    await redis.set(SCAN_KEY.format(token), _browser_hash(browser), ex=SCAN_TTL)
    return {"token": token, "expires_in": SCAN_TTL}


async def confirm_scan_login(*, principal: Principal, token: str) -> dict:
    """The mini-program's user confirms a code she scanned: the page logs in as her."""
    redis = current().redis
    if principal.person_id is None or not principal.has(*CONSOLE_LOGIN_ROLES):
        raise Forbidden("管理后台供教职工、领导和管理员使用")
    if not token or len(token) > 64 or not await redis.exists(SCAN_KEY.format(token)):
        raise DomainError(
            "scan_login_expired", "登录码已过期，请在网页上刷新后重新扫码", status=410
        )
    first = await redis.set(
        SCAN_DONE_KEY.format(token), str(principal.account_id), nx=True, ex=SCAN_TTL
    )
    if not first:
        raise DomainError(
            "scan_login_used", "该登录码已被使用，请在网页上刷新后重新扫码", status=409
        )
    return {"confirmed": True}


async def poll_scan_login(*, token: str, browser: str, settings: Settings) -> dict:
    """What became of a code: pending, expired, or confirmed (then a session cookie, once)."""
    redis = current().redis
    owner = await redis.get(SCAN_KEY.format(token)) if token and len(token) <= 64 else None
    if isinstance(owner, bytes):
        owner = owner.decode()
    if owner is None or not hmac.compare_digest(owner, _browser_hash(browser)):
        return {"state": "expired"}
    account_id = await redis.getdel(SCAN_DONE_KEY.format(token))
    if account_id is None:
        return {"state": "pending"}
    await redis.delete(SCAN_KEY.format(token))
    account = await Account.get(id=int(account_id))
    return {"state": "confirmed", "cookie": await _start(account=account, settings=settings)}
