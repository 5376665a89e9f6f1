"""Read-only lookups other domains need: which WeChat identity reaches a person."""

from __future__ import annotations

from collections.abc import Iterable

from server.accounts.models import Account

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
