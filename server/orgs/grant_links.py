"""The role grants that follow org changes (a new teacher, a removed guardian).

Grants belong to the accounts domain, which lies above orgs (it reads people and scopes
through orgs' service) and also makes a change reach the person's live access tokens on
their next request. So orgs does not import it: accounts' grant store is connected here
at start-up (server/wiring.py, keep_grants_in); orgs calls these.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

_store: list[Any] = []


def keep_grants_in(store: ModuleType | Any) -> None:
    """Connect the grant store: give_grant, take_grants, drop_scope_grants,
    grant_scopes_of and holders, with accounts.grant_store's signatures."""
    _store[:] = [store]


def _connected() -> Any:
    if not _store:
        raise RuntimeError("orgs: no grant store connected (server.wiring.connect())")
    return _store[0]


async def give_grant(*, person_id: int, role: str, scope_kind: str, scope_id: int) -> None:
    """Grant a role within a scope; granting twice is harmless."""
    await _connected().give_grant(
        person_id=person_id, role=role, scope_kind=scope_kind, scope_id=scope_id
    )


async def take_grants(
    *, person_id: int, roles: tuple[str, ...], scope_kind: str, scope_id: int
) -> None:
    """Remove the person's grants of these roles within one scope."""
    await _connected().take_grants(
        person_id=person_id, roles=roles, scope_kind=scope_kind, scope_id=scope_id
    )


async def drop_scope_grants(*, scope_kind: str, scope_id: int) -> None:
    """Remove every grant pointing at a scope that is being deleted."""
    await _connected().drop_scope_grants(scope_kind=scope_kind, scope_id=scope_id)


async def grant_scopes_of(*, person_ids: Iterable[int]) -> list[tuple[int, str, int]]:
    """(person id, scope kind, scope id) of every grant these people hold."""
    return await _connected().grant_scopes_of(person_ids=person_ids)


async def holders(*, role: str, scope_kind: str, scope_id: int) -> list[int]:
    """Ids of the people holding a role within one scope."""
    return await _connected().holders(role=role, scope_kind=scope_kind, scope_id=scope_id)
