"""Redis as a fast path for "already checked in": never the only truth."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from server.checkin.live import change_message, channel

log = logging.getLogger("songjiao.checkin")
#: Redis key of the fast "already checked in" answer: the check-in's id.
DONE_KEY = "checkin:done:{}:{}"
DONE_TTL = 3 * 24 * 3600


async def remembered(redis, activity_id: int, person_id: int) -> int | None:
    """The id of the person's check-in if Redis remembers one (None when Redis is down)."""
    try:
        value = await redis.get(DONE_KEY.format(activity_id, person_id))
    except (RedisError, OSError):
        return None
    return int(value) if value else None


async def remember(
    redis, activity_id: int, person_id: int, checkin_id: int, *, announce: str | None = None
) -> None:
    """Remember a check-in for the fast answer and tell the live boards, in one round trip."""
    try:
        pipe = redis.pipeline(transaction=False)
        pipe.set(DONE_KEY.format(activity_id, person_id), checkin_id, ex=DONE_TTL)
        if announce:
            pipe.publish(channel(redis, activity_id), change_message(checkin_id, announce))
        await pipe.execute()
    except (RedisError, OSError):
        log.warning("redis unavailable; the database stays the only truth")


async def remember_many(redis, checkins, *, announce: str) -> None:
    """Remember new check-ins and tell the live boards, all in one round trip."""
    if not checkins:
        return
    try:
        pipe = redis.pipeline(transaction=False)
        for c in checkins:
            pipe.set(DONE_KEY.format(c.activity_id, c.person_id), c.id, ex=DONE_TTL)
            pipe.publish(channel(redis, c.activity_id), change_message(c.id, announce))
        await pipe.execute()
    except (RedisError, OSError):
        log.warning("redis unavailable; the database stays the only truth")


async def forget(redis, activity_id: int, person_id: int) -> None:
    """Forget an annulled check-in (best effort)."""
    try:
        await redis.delete(DONE_KEY.format(activity_id, person_id))
    except (RedisError, OSError):
        log.warning("redis unavailable while forgetting a check-in")
