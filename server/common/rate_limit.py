"""Rate limits per client address and per account, counted in Redis by the `limits` library.

Every api process counts in the same Redis (the embedded default: the in-process fakeredis,
one process), through the project's own connection pool, with the sliding window counter:
two counters per key whatever the limit, so a generous per-address limit costs no memory.
A request's limits are counted by one script of ours (`ACQUIRE_SLIDING_WINDOWS`, the
library's arithmetic on the library's keys), sent with the other Redis calls of the
moment (`server.common.redis.Batcher`); the library still reads and clears them.
When Redis cannot be reached the limits let requests through (check-in must go on while
Redis restarts) and a warning is logged, at most once a minute per process.

The limits others set on us (a WeCom robot's 20 messages a minute) are counted here too,
by `MovingWindow`, on the same library and storage.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import math
import time
from typing import TYPE_CHECKING

from limits import RateLimitItem, parse, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

from server.common.errors import DomainError
from server.common.redis import Script, batcher, script_call

if TYPE_CHECKING:
    from server.settings import RateLimits

log = logging.getLogger("songjiao.rate_limit")

TOO_FAST = "操作太频繁，请稍后再试"
#: Redis keys: songjiao:rl/<rule>/<identifier>/… (the library adds the window).
KEY_PREFIX = "songjiao:rl"
#: At most one "Redis unavailable" warning per this many seconds and process.
WARN_EVERY = 60.0

#: `limits`' sliding window counter (its acquire_sliding_window.lua, same keys, same
#: arithmetic) for several limits in one call: each is counted on its own, as when hit
#: one by one; 1 where it let the request through, 0 where it is over.
#: KEYS: previous and current window of each limit; ARGV: its amount, expiry (s), cost.
ACQUIRE_SLIDING_WINDOWS = Script("""
local answers = {}
for i = 1, #KEYS / 2 do
    local previous_key, current_key = KEYS[2 * i - 1], KEYS[2 * i]
    local limit = tonumber(ARGV[3 * i - 2])
    local expiry = tonumber(ARGV[3 * i - 1]) * 1000
    local amount = tonumber(ARGV[3 * i])
    local allowed = 0
    if amount <= limit then
        local current_ttl = tonumber(redis.call('pttl', current_key))
        if current_ttl > 0 and current_ttl < expiry then
            redis.call('rename', current_key, previous_key)
            redis.call('set', current_key, 0, 'PX', current_ttl + expiry)
        end
        local previous_count = tonumber(redis.call('get', previous_key)) or 0
        local previous_ttl = tonumber(redis.call('pttl', previous_key)) or 0
        local current_count = tonumber(redis.call('get', current_key)) or 0
        current_ttl = tonumber(redis.call('pttl', current_key)) or 0
        if previous_ttl <= 0 then previous_ttl = 0 end
        if current_ttl <= 0 then current_ttl = 0 end
        local weighted = math.floor(previous_count * previous_ttl / expiry) + current_count
        if weighted + amount <= limit then
            if redis.call('exists', current_key) == 1 then
                redis.call('incrby', current_key, amount)
            else
                redis.call('set', current_key, amount, 'PX', expiry * 2)
            end
            allowed = 1
        end
    end
    answers[i] = allowed
end
return answers
""")


def window_keys(item: RateLimitItem, rule: str, identifiers: tuple[str, ...]) -> tuple[str, str]:
    """The Redis keys of a sliding window as `limits`' RedisStorage names them."""
    current = f"{KEY_PREFIX}:{{{item.key_for(rule, *identifiers)}}}"
    return f"{current}/-1", current


class RateLimited(DomainError):
    """Too many requests: 429, a Chinese message, and when to try again (Retry-After)."""

    def __init__(self, *, retry_after: int, message: str = TOO_FAST, code: str = "rate_limited"):
        super().__init__(
            code,
            message,
            status=429,
            details={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


@functools.lru_cache(maxsize=4096)
def address_key(address: str) -> str:
    """The counted form of a client address: IPv6 by its /64 (one household or phone).

    Kept for the addresses seen last: parsing one is a few microseconds on every request.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)


def client_address(request) -> str:
    """The caller's counted address: a trusted proxy's X-Forwarded-For entry, else the peer.

    Sanic fills `remote_addr` only from the proxies app.config.PROXIES_COUNT trusts.
    """
    return address_key(request.remote_addr or request.ip)


def name_key(name: str) -> str:
    """A login name as counted: hashed, so Redis keys never hold what a person typed."""
    return hashlib.sha256(name.encode()).hexdigest()[:24]


def redis_storage(redis, *, wrap_exceptions: bool = True) -> RedisStorage:
    """The `limits` storage on `redis` (a redis.asyncio client): its pool, our key prefix."""
    return RedisStorage(
        "async+redis://",
        implementation="redispy",
        # The client's own pool: its timeouts and reconnects, no second pool per process.
        connection_pool=redis.connection_pool,
        wrap_exceptions=wrap_exceptions,
        key_prefix=KEY_PREFIX,
    )


class RateLimiter:
    """The process's rate limits, one rule per name of `RateLimits`."""

    def __init__(self, *, rules: RateLimits, redis) -> None:
        """Count in `redis` (the runtime's client) the limits `rules` names."""
        self._strategy = SlidingWindowCounterRateLimiter(redis_storage(redis))
        self._batcher = batcher(redis)
        self._rules: dict[str, list[RateLimitItem]] = {
            name: parse_many(text) for name, text in rules.model_dump().items()
        }
        self._warned_at = -math.inf

    async def hit(self, rule: str, *identifiers: str | int) -> None:
        """Count one request against `rule`; raises RateLimited when it is over."""
        await self.hit_all((rule, identifiers))

    async def hit_all(self, *checks: tuple[str, tuple[str | int, ...]]) -> None:
        """Count one request against several rules at once: one script, sent with what other
        requests of this process send to Redis at the same moment (server/common/redis.py)."""
        counted = [
            (item, rule, tuple(map(str, identifiers)))
            for rule, identifiers in checks
            for item in self._rules[rule]
        ]
        keys, args = [], []
        for item, rule, ids in counted:
            keys += window_keys(item, rule, ids)
            args += [item.amount, item.get_expiry(), 1]
        call = script_call(ACQUIRE_SLIDING_WINDOWS, keys, args)
        replies = await self._guarded(self._batcher.run(call))
        answers = [None] * len(counted) if replies is None else [bool(a) for a in replies[0]]
        over = [c for c, allowed in zip(counted, answers, strict=True) if allowed is False]
        if over:
            waits = [await self._retry_after(item, rule, ids) for item, rule, ids in over]
            raise RateLimited(retry_after=max(waits))

    async def retry_after(self, rule: str, *identifiers: str | int) -> int | None:
        """Seconds until `rule` lets one more request through, or None when it does now."""
        for item in self._rules[rule]:
            ok = await self._guarded(self._strategy.test(item, rule, *map(str, identifiers)))
            if ok is False:
                return await self._retry_after(item, rule, identifiers)
        return None

    async def clear(self, rule: str, *identifiers: str | int) -> None:
        """Forget what `rule` counted for `identifiers` (a successful login clears its failures)."""
        for item in self._rules[rule]:
            await self._guarded(self._strategy.clear(item, rule, *map(str, identifiers)))

    async def _retry_after(self, item: RateLimitItem, rule: str, identifiers) -> int:
        stats = await self._guarded(
            self._strategy.get_window_stats(item, rule, *map(str, identifiers))
        )
        if stats is None:
            return item.get_expiry()
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def _guarded(self, call):
        """Run a storage call; None when Redis is unavailable (the limit then lets it pass)."""
        try:
            return await call
        except (StorageError, RedisError, OSError) as exc:
            if time.monotonic() - self._warned_at >= WARN_EVERY:
                self._warned_at = time.monotonic()
                log.warning("redis unavailable: rate limits not applied (%s)", type(exc).__name__)
            return None


class MovingWindow:
    """At most `limit` events in *any* window of its length, counted in Redis by every process.

    For limits a third party enforces (WeCom's robots): the moving window keeps every
    period under the limit however the other side draws its windows. Unlike RateLimiter it
    does not let events through when Redis is unavailable: the Redis error is raised.
    """

    def __init__(self, *, redis, limit: str, namespace: str) -> None:
        """Count `limit` (limits notation, e.g. "20/minute") under `namespace` in `redis`."""
        self._item = parse(limit)
        self._namespace = namespace
        self._strategy = MovingWindowRateLimiter(redis_storage(redis, wrap_exceptions=False))

    async def take(self, *identifiers: str) -> float | None:
        """Count one event; None when it is allowed, else the seconds until one will be."""
        if await self._strategy.hit(self._item, self._namespace, *identifiers):
            return None
        stats = await self._strategy.get_window_stats(self._item, self._namespace, *identifiers)
        return max(stats.reset_time - time.time(), 0.001)
