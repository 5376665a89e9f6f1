"""The role grants that follow org changes (a new teacher, a removed guardian).

These write the accounts domain's RoleGrant table directly because the accounts
service offers no principal-free call for it yet; the calls are kept here, in one
place, so they can move behind an accounts service function later.
"""

from __future__ import annotations

from server.accounts.models import RoleGrant


async def give_grant(*, person_id: int, role: str, scope_kind: str, scope_id: int) -> None:
    """Grant a role within a scope; granting twice is harmless."""
    await RoleGrant.get_or_create(
        person_id=person_id, role=role, scope_kind=scope_kind, scope_id=scope_id
    )


async def take_grants(
    *, person_id: int, roles: tuple[str, ...], scope_kind: str, scope_id: int
) -> None:
    """Remove the person's grants of these roles within one scope."""
    await RoleGrant.filter(
        person_id=person_id, role__in=roles, scope_kind=scope_kind, scope_id=scope_id
    ).delete()


async def drop_scope_grants(*, scope_kind: str, scope_id: int) -> None:
    """Remove every grant pointing at a scope that is being deleted."""
    await RoleGrant.filter(scope_kind=scope_kind, scope_id=scope_id).delete()
