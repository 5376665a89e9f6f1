"""Giving and taking roles, each within the giver's own scope."""

from __future__ import annotations

from server.accounts.grant_store import delete_grant, give_grant
from server.accounts.models import RoleGrant
from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.orgs import service as orgs

#: What a non-admin may hand out, by her own role.
GRANTABLE = {"director": {"teacher", "organizer"}, "leader": {"teacher", "organizer", "director"}}


def grant_view(g: RoleGrant) -> dict:
    """A grant as the admin pages show it."""
    return {
        "id": g.id,
        "person_id": g.person_id,
        "role": g.role.value,
        "scope_kind": g.scope_kind.value,
        "scope_id": g.scope_id,
    }


async def _ensure_may_grant(
    *, principal: Principal, role: str, scope_kind: str, scope_id: int
) -> None:
    if principal.is_admin:
        return
    allowed_roles = set()
    for mine in principal.roles:
        allowed_roles |= GRANTABLE.get(mine, set())
    if role not in allowed_roles:
        raise Forbidden("您不能授予该角色")
    if scope_kind != "kindergarten":
        raise Forbidden("您只能授予幼儿园范围内的角色")
    await orgs.ensure_can_manage_kindergarten(
        principal=principal, kindergarten_id=scope_id, missing="授权范围"
    )
    if role == "director" and "leader" not in principal.roles:
        raise Forbidden("只有领导或管理员可以任命园长")


async def _ensure_scope_exists(scope_kind: str, scope_id: int) -> None:
    if scope_kind == "global":
        if scope_id != 0:
            raise DomainError("invalid_input", "全局角色的 scope_id 必须为 0")
        return
    if not await orgs.scope_exists(scope_kind=scope_kind, scope_id=scope_id):
        raise NotFound("授权范围")


async def add_grant(
    *, principal: Principal, person_id: int, role: str, scope_kind: str, scope_id: int
) -> dict:
    """Give `role` within a scope to a person; giving it twice is harmless."""
    valid = {"admin": {"global"}, "leader": {"region", "alliance"}}.get(role, {"kindergarten"})
    if scope_kind not in valid:
        raise DomainError("invalid_input", "该角色与授权范围不匹配")
    await _ensure_scope_exists(scope_kind, scope_id)
    await _ensure_may_grant(
        principal=principal, role=role, scope_kind=scope_kind, scope_id=scope_id
    )
    await _ensure_grantee_in_scope(
        principal=principal, person_id=person_id, kindergarten_id=scope_id
    )
    await give_grant(person_id=person_id, role=role, scope_kind=scope_kind, scope_id=scope_id)
    grant = await RoleGrant.get(
        person_id=person_id, role=role, scope_kind=scope_kind, scope_id=scope_id
    )
    return grant_view(grant)


async def _ensure_grantee_in_scope(
    *, principal: Principal, person_id: int, kindergarten_id: int
) -> None:
    """A kindergarten's roles go to its own staff only; others are answered as unknown.

    (Admins may give any role to anyone who exists.)
    """
    if principal.is_admin:
        if not await orgs.existing_person_ids(person_ids=[person_id]):
            raise NotFound("人员")
        return
    staff = await orgs.staff_kindergarten_ids_of(person_id=person_id)
    if kindergarten_id not in staff:
        raise NotFound("人员")


async def list_grants(*, principal: Principal, person_id: int) -> list[dict]:
    """A person's grants that fall within what the caller manages."""
    rows = await RoleGrant.filter(person_id=person_id).order_by("id")
    if principal.is_admin:
        return [grant_view(g) for g in rows]
    manageable = await orgs.manageable_kindergarten_ids(principal) or set()
    return [
        grant_view(g)
        for g in rows
        if g.scope_kind.value == "kindergarten" and g.scope_id in manageable
    ]


async def remove_grant(*, principal: Principal, grant_id: int) -> None:
    """Take a role away (within the caller's scope)."""
    grant = await RoleGrant.get_or_none(id=grant_id)
    if grant is None:
        raise NotFound("角色")
    if not principal.is_admin:
        # A grant outside what the caller manages is answered as an unknown one.
        manageable = await orgs.manageable_kindergarten_ids(principal) or set()
        if grant.scope_kind.value != "kindergarten" or grant.scope_id not in manageable:
            raise NotFound("角色")
    await _ensure_may_grant(
        principal=principal,
        role=grant.role.value,
        scope_kind=grant.scope_kind.value,
        scope_id=grant.scope_id,
    )
    if grant.person_id == principal.person_id and grant.role.value == "admin":
        raise DomainError("invalid_input", "不能收回自己的管理员角色")
    await delete_grant(grant)
