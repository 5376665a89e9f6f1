"""Read-only lookups other domains need: which WeChat identity reaches a person."""

from __future__ import annotations

from collections.abc import Iterable

from server.accounts.models import Account, RoleGrant

_CHUNK = 1000


async def openids_of(person_ids: Iterable[int]) -> dict[int, str]:
    """Mini-program openid per person (the most recently used account when she has several)."""
    ids = list(set(person_ids))
    best: dict[int, tuple[tuple, str]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = await Account.filter(person_id__in=ids[start : start + _CHUNK]).values_list(
            "person_id", "openid", "last_login_at", "id"
        )
        for person_id, openid, last_login_at, account_id in rows:
            used = last_login_at.timestamp() if last_login_at else 0.0
            rank = (last_login_at is not None, used, account_id)
            if person_id not in best or rank > best[person_id][0]:
                best[person_id] = (rank, openid)
    return {person_id: openid for person_id, (_, openid) in best.items()}


async def people_of_openids(openids: Iterable[str]) -> dict[str, int]:
    """Mini-program openid -> person id, for the accounts bound to a person."""
    ids = list(set(openids))
    found: dict[str, int] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = await Account.filter(
            openid__in=ids[start : start + _CHUNK], person_id__isnull=False
        ).values_list("openid", "person_id")
        found.update(dict(rows))
    return found


async def roles_of(person_ids: Iterable[int]) -> dict[int, set[str]]:
    """The roles each person holds (in any scope)."""
    ids = list(set(person_ids))
    found: dict[int, set[str]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = await RoleGrant.filter(person_id__in=ids[start : start + _CHUNK]).values_list(
            "person_id", "role"
        )
        for person_id, role in rows:
            found.setdefault(person_id, set()).add(str(getattr(role, "value", role)))
    return found


async def person_of_unionid(unionid: str) -> int | None:
    """The person of the most recently used account with this unionid, if bound."""
    return await (
        Account.filter(unionid=unionid, person_id__isnull=False)
        .order_by("-last_login_at", "-id")
        .first()
        .values_list("person_id", flat=True)
    )


async def unionids_of(person_ids: Iterable[int]) -> dict[str, int]:
    """Unionid -> person id of those people's accounts that have a unionid."""
    return dict(
        await Account.filter(person_id__in=list(person_ids), unionid__isnull=False).values_list(
            "unionid", "person_id"
        )
    )
