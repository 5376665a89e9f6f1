"""The access token of one appid, shared by every process through Redis."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

from server.wechat.errors import WeChatUnavailable

#: Fetches a token from WeChat: called with force_refresh, returns (token, expires_in).
Fetch = Callable[[bool], Awaitable[tuple[str, int]]]

log = logging.getLogger("server.wechat.client")

#: WeChat allows "强制刷新模式每天限用 20 次且需间隔 30 秒" (getStableAccessToken). We force
#: at most once per 30 s and 10 times a (Beijing) day across every process, leaving the
#: rest for an operator who must revoke a leaked token by hand.
FORCED_GAP_S = 30
FORCED_PER_DAY = 10
_BEIJING = timedelta(hours=8)

# Delete the key only while it still holds the token that WeChat refused.
_DELETE_IF_EQUAL = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class TokenStore:
    """Caches the token in Redis; one refresher at a time behind a Redis lock."""

    def __init__(
        self,
        redis: Redis,
        appid: str,
        *,
        margin_s: int = 300,
        lock_timeout_s: float = 20.0,
        wait_timeout_s: float = 20.0,
    ) -> None:
        self._redis = redis
        self.key = f"wechat:access_token:{appid}"
        self._lock_key = f"wechat:access_token_lock:{appid}"
        self._forced_gap_key = f"wechat:access_token_forced:{appid}"
        self._forced_day_key = f"wechat:access_token_forced:{appid}:{{}}"
        self._margin = margin_s
        self._lock_timeout = lock_timeout_s
        self._wait_timeout = wait_timeout_s
        #: While Redis is unreachable: this process's own token and when it goes stale.
        self._local: tuple[str, float] | None = None
        self._local_lock = asyncio.Lock()
        #: While Redis is unreachable: when this process last forced a refresh.
        self._local_forced_at: float | None = None

    async def peek(self) -> str | None:
        """The cached token, or None."""
        return _text(await self._redis.get(self.key))

    async def get(self, fetch: Fetch, *, replacing: str | None = None) -> str:
        """A valid token: cached, or fetched by one caller while the others wait for it.

        With `replacing` (a token WeChat refused), a cached token equal to it does not count;
        the fetch asks WeChat in normal mode and forces a refresh only if that hands back the
        refused token, within the shared budget (`FORCED_GAP_S`, `FORCED_PER_DAY`). While
        Redis is unreachable each process keeps its own token (stable_token answers every
        process the same token), so WeChat calls go on.
        """
        try:
            return await self._get_shared(fetch, replacing=replacing)
        except (RedisError, OSError) as exc:
            return await self._get_local(fetch, replacing=replacing, cause=exc)

    async def _get_local(self, fetch: Fetch, *, replacing: str | None, cause: BaseException) -> str:
        async with self._local_lock:
            if self._local and self._local[0] != replacing and self._local[1] > time.monotonic():
                return self._local[0]
            log.warning(
                "redis unavailable (%s): access token kept in this process meanwhile",
                type(cause).__name__,
            )
            token, expires_in = await self._fetch(fetch, replacing, self._may_force_locally)
            self._local = (token, time.monotonic() + self._ttl(expires_in))
            return token

    async def _get_shared(self, fetch: Fetch, *, replacing: str | None) -> str:
        token = await self.peek()
        if token and token != replacing:
            return token
        lock = self._redis.lock(
            self._lock_key,
            timeout=self._lock_timeout,
            blocking_timeout=self._wait_timeout,
            sleep=0.05,
        )
        try:
            async with lock:
                token = await self.peek()
                if token and token != replacing:
                    return token
                token, expires_in = await self._fetch(fetch, replacing, self._may_force)
                await self._redis.set(self.key, token, ex=self._ttl(expires_in))
                return token
        except LockError:
            # Either we waited too long, or our lock expired during a slow fetch: the token
            # may still have been stored by us or by another process.
            token = await self.peek()
            if token and token != replacing:
                return token
            raise WeChatUnavailable(None, "access_token refresh lock timeout") from None

    async def _fetch(
        self, fetch: Fetch, replacing: str | None, may_force: Callable[[], Awaitable[bool]]
    ) -> tuple[str, int]:
        """A token from WeChat; forced only when normal mode hands back the refused one."""
        token, expires_in = await fetch(False)
        # Normal mode first: an expired token, or one another process (or an operator)
        # replaced, is renewed without spending one of the day's few forced refreshes.
        if replacing is None or token != replacing or not await may_force():
            return token, expires_in
        log.warning("wechat access_token refused but still current: forcing a refresh")
        return await fetch(True)

    async def _may_force(self) -> bool:
        """Whether a forced refresh is within our budget (30 s apart, 10 a day, all processes)."""
        if not await self._redis.set(self._forced_gap_key, 1, nx=True, ex=FORCED_GAP_S):
            return False
        day = (datetime.now(UTC) + _BEIJING).date().isoformat()
        key = self._forced_day_key.format(day)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 2 * 86400)
            used, _ = await pipe.execute()
        return int(used) <= FORCED_PER_DAY

    async def _may_force_locally(self) -> bool:
        """Without Redis: at most one forced refresh per 30 s in this process."""
        moment = time.monotonic()
        if self._local_forced_at is not None and moment - self._local_forced_at < FORCED_GAP_S:
            return False
        self._local_forced_at = moment
        return True

    async def invalidate(self, token: str) -> None:
        """Drop the cached token, but only if it is still `token` (not a newer one)."""
        if self._local and self._local[0] == token:
            self._local = None
        try:
            await self._redis.eval(_DELETE_IF_EQUAL, 1, self.key, token)
        except (RedisError, OSError):
            pass  # get(replacing=token) skips the refused token anyway

    def _ttl(self, expires_in: int) -> int:
        if expires_in > 2 * self._margin:
            return expires_in - self._margin
        return max(1, expires_in // 2)
