"""Every write to role grants goes through here, so a change reaches live tokens at once.

Access tokens carry the caller's grants for up to their lifetime. Each write marks the
person's grants as changed in Redis; the auth middleware sees the mark on the next request
and reloads the grants from the database (``accounts.service.current_principal``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from redis.exceptions import RedisError

from server.accounts.models import RoleGrant
from server.common.redis import make_redis
from server.common.runtime import current
from server.settings import load_settings

log = logging.getLogger("songjiao.accounts")
GRANTS_CHANGED_KEY = "grants:changed:{}"


async def note_grants_changed(person_ids: Iterable[int]) -> None:
    """Mark these people's grants as changed: their next request reloads them."""
    ids = sorted({int(p) for p in person_ids if p is not None})
    if not ids:
        return
    try:
        runtime = current()
        settings, redis, own = runtime.settings, runtime.redis, False
    except RuntimeError:
        # A command-line job (roster import) has no runtime: reach the same Redis directly.
        settings = load_settings()
        redis, own = make_redis(settings), True
    # A token older than its lifetime is refused anyway; the mark need not outlive it.
    ttl = settings.access_token_ttl + 60
    stamp = str(time.time())
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for pid in ids:
                pipe.set(GRANTS_CHANGED_KEY.format(pid), stamp, ex=ttl)
            await pipe.execute()
    except (RedisError, OSError):
        # Tokens then keep their old grants until they expire (access_token_ttl): said loudly.
        log.error("redis unavailable: a grant change reaches live tokens only when they expire")
    finally:
        if own:
            await redis.aclose()


async def give_grant(*, person_id: int, role: str, scope_kind: str, scope_id: int) -> None:
    """Grant a role within a scope; granting twice is harmless."""
    _, created = await RoleGrant.get_or_create(
        person_id=person_id, role=role, scope_kind=scope_kind, scope_id=scope_id
    )
    if created:
        await note_grants_changed([person_id])


async def take_grants(
    *, person_id: int, roles: tuple[str, ...], scope_kind: str, scope_id: int
) -> None:
    """Remove the person's grants of these roles within one scope."""
    removed = await RoleGrant.filter(
        person_id=person_id, role__in=roles, scope_kind=scope_kind, scope_id=scope_id
    ).delete()
    if removed:
        await note_grants_changed([person_id])


async def drop_scope_grants(*, scope_kind: str, scope_id: int) -> None:
    """Remove every grant pointing at a scope that is being deleted."""
    query = RoleGrant.filter(scope_kind=scope_kind, scope_id=scope_id)
    people = await query.values_list("person_id", flat=True)
    await query.delete()
    await note_grants_changed(people)


async def delete_grant(grant: RoleGrant) -> None:
    """Remove one grant row."""
    await grant.delete()
    await note_grants_changed([grant.person_id])


async def grant_scopes_of(*, person_ids: Iterable[int]) -> list[tuple[int, str, int]]:
    """(person id, scope kind, scope id) of every grant these people hold (read only)."""
    rows = await RoleGrant.filter(person_id__in=list(person_ids)).values_list(
        "person_id", "scope_kind", "scope_id"
    )
    return [(pid, str(getattr(kind, "value", kind)), scope_id) for pid, kind, scope_id in rows]


async def holders(*, role: str, scope_kind: str, scope_id: int) -> list[int]:
    """Ids of the people holding a role within one scope (read only)."""
    return list(
        await RoleGrant.filter(role=role, scope_kind=scope_kind, scope_id=scope_id).values_list(
            "person_id", flat=True
        )
    )
