"""Load a person's role grants with the names of their scopes."""

from __future__ import annotations

from server.accounts.models import RoleGrant, ScopeKind
from server.common.auth import Grant
from server.orgs import service as orgs


async def grants_for(person_id: int | None) -> list[Grant]:
    """Every grant a person holds (none for an unbound account)."""
    if person_id is None:
        return []
    rows = await RoleGrant.filter(person_id=person_id).order_by("id")
    return [Grant(r.role.value, r.scope_kind.value, r.scope_id) for r in rows]


async def describe_grants(grants: list[Grant]) -> list[dict]:
    """Grants as the clients show them, with the scope's Chinese name."""
    described = []
    for g in grants:
        name = (
            "全部"
            if g.scope_kind == ScopeKind.GLOBAL
            else await orgs.scope_name(kind=g.scope_kind, scope_id=g.scope_id)
        )
        described.append(
            {"role": g.role, "scope_kind": g.scope_kind, "scope_id": g.scope_id, "scope_name": name}
        )
    return described


async def holders(
    *, role: str, scope_kinds: tuple[str, ...], scope_ids: set[int] | None = None
) -> list[tuple[int, Grant]]:
    """(person_id, grant) of everyone holding `role` in one of `scope_kinds` (ids optional)."""
    query = RoleGrant.filter(role=role, scope_kind__in=list(scope_kinds))
    if scope_ids is not None:
        query = query.filter(scope_id__in=sorted(scope_ids))
    rows = await query.order_by("person_id", "id")
    return [(r.person_id, Grant(r.role.value, r.scope_kind.value, r.scope_id)) for r in rows]
