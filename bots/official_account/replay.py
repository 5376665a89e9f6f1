"""Each signed callback request is used once: its timestamp and nonce are remembered.

A signature stays valid for the whole timestamp window (crypto.MAX_SKEW_S either side of
now), so without memory a captured request, or in plaintext mode a captured query with
another body, could be sent again and again. The first use claims the pair in Redis (SET NX)
for as long as the timestamp could still be accepted; a second use is not processed.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from bots.official_account.crypto import MAX_SKEW_S, Envelope

log = logging.getLogger("songjiao.bots.oa")

#: A timestamp is accepted from MAX_SKEW_S before to MAX_SKEW_S after now: remembered that long.
NONCE_TTL_S = 2 * MAX_SKEW_S


async def first_use(redis, envelope: Envelope) -> bool:
    """Claim the request's timestamp and nonce; False when a request already used them."""
    try:
        return bool(await redis.set(envelope.replay_key, b"1", nx=True, ex=NONCE_TTL_S))
    except (RedisError, OSError) as exc:
        # The signatures and the timestamp window still hold; refusing every callback while
        # Redis is away would silence the 公众号 (the message dedupe makes the same choice).
        log.warning("公众号 nonce memory unavailable (%s); going on", type(exc).__name__)
        return True
