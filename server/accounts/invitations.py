"""Invitation codes: directors and admins invite teachers and parents to bind."""

from __future__ import annotations

import secrets
from datetime import timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server.accounts.grant_store import give_grant, note_grants_changed
from server.accounts.models import Account, Invitation, InvitationKind, Role, RoleGrant, ScopeKind
from server.accounts.service import end_account_sessions
from server.audit import service as audit
from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.common.runtime import current
from server.common.time import now
from server.orgs import service as orgs

#: No 0/O, 1/I/L: codes are read aloud and typed on phones.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
STAFF_ROLES = {Role.TEACHER, Role.ORGANIZER, Role.DIRECTOR}


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


async def create_invitation(
    *,
    principal: Principal,
    kind: str,
    kindergarten_id: int,
    child_id: int | None = None,
    person_id: int | None = None,
    role: str = "teacher",
    expires_in_days: int = 7,
    max_uses: int = 1,
) -> dict:
    """Make an invitation for teachers (optionally a role) or a child's parents."""
    await orgs.ensure_can_manage_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    if not 1 <= expires_in_days <= 90:
        raise DomainError("invalid_input", "有效期须在 1 至 90 天之间")
    if not 1 <= max_uses <= 500:
        raise DomainError("invalid_input", "可使用次数须在 1 至 500 之间")
    if kind == InvitationKind.PARENT:
        if child_id is None:
            raise DomainError("invalid_input", "家长邀请码须指定幼儿")
        child_home = await orgs.child_kindergarten_id(child_id=child_id)
        if child_home is None or child_home != kindergarten_id:
            raise NotFound("幼儿")
        role = Role.PARENT
    elif kind == InvitationKind.TEACHER:
        if child_id is not None:
            raise DomainError("invalid_input", "教师邀请码不能指定幼儿")
        if role not in STAFF_ROLES:
            raise DomainError("invalid_input", "教师邀请码的角色只能是教师、组织者或园长")
        if role == Role.DIRECTOR and not principal.is_admin:
            raise Forbidden("只有管理员可以邀请园长")
    else:
        raise DomainError("invalid_input", "邀请类型只能是 teacher 或 parent")
    if person_id is not None:
        await _ensure_may_invite_person(
            principal=principal,
            person_id=person_id,
            kind=kind,
            kindergarten_id=kindergarten_id,
            child_id=child_id,
        )
        # An invitation that names a person binds one WeChat account, once.
        max_uses = 1
        # Said now, not when she enters the code: a code she could never use helps nobody.
        await _ensure_fits_person(
            Invitation(
                kind=kind,
                kindergarten_id=kindergarten_id,
                child_id=child_id,
                person_id=person_id,
                role=role,
            ),
            at_creation=True,
        )
    for _ in range(5):
        code = _new_code()
        if not await Invitation.exists(code=code):
            break
    invitation = await Invitation.create(
        code=code,
        kind=kind,
        kindergarten_id=kindergarten_id,
        child_id=child_id,
        person_id=person_id,
        role=role,
        created_by_id=principal.person_id,
        expires_at=now() + timedelta(days=expires_in_days),
        max_uses=max_uses,
    )
    if person_id is not None and await Account.exists(person_id=person_id):
        await audit.record_action(
            actor_id=principal.person_id,
            action="invitation.rebind",
            target_type="person",
            target_id=person_id,
            reason="管理员为已绑定微信的人员生成换绑邀请码",
            detail={"invitation_id": invitation.id},
        )
    return invitation_view(invitation)


async def _ensure_may_invite_person(
    *, principal: Principal, person_id: int, kind: str, kindergarten_id: int, child_id: int | None
) -> None:
    """An invitation may name only a person the inviter could have made herself.

    The person must belong to the invitation's kindergarten (staff) or child (guardian);
    an outsider is answered exactly like an unknown id, so ids cannot be probed. The
    inviter must be able to grant every role the person holds, and a person whose
    WeChat is bound may be re-bound by an admin only (audited).
    """
    if not await orgs.existing_person_ids(person_ids=[person_id]):
        raise NotFound("人员")
    if kind == InvitationKind.PARENT:
        inside = await orgs.is_guardian(person_id=person_id, child_id=child_id)
    else:
        inside = await orgs.is_staff_on_record(person_id=person_id, kindergarten_id=kindergarten_id)
    if not inside and not principal.is_admin:
        raise NotFound("人员")
    if principal.is_admin:
        return
    held = await RoleGrant.filter(person_id=person_id)
    for grant in held:
        if not await _could_grant(principal=principal, grant=grant):
            raise Forbidden("该人员拥有您无权授予的角色，只有管理员可以为其生成邀请码")
    if await Account.exists(person_id=person_id):
        raise DomainError("already_bound", "该人员已绑定微信；如需换绑，请联系管理员", status=409)


async def _could_grant(*, principal: Principal, grant: RoleGrant) -> bool:
    """Whether the caller could have given this grant herself (non-admins)."""
    role, kind = grant.role.value, grant.scope_kind.value
    if kind == ScopeKind.CHILD and role == Role.PARENT:
        kindergarten_id = await _kindergarten_of_child(grant.scope_id)
    elif kind == ScopeKind.KINDERGARTEN and role in STAFF_ROLES:
        kindergarten_id = grant.scope_id
        if role == Role.DIRECTOR and not principal.has(Role.LEADER):
            return False
    else:
        return False
    manageable = await orgs.manageable_kindergarten_ids(principal)
    return kindergarten_id is not None and (manageable is None or kindergarten_id in manageable)


async def _kindergarten_of_child(child_id: int) -> int | None:
    found = await orgs.kindergartens_of_children(child_ids={child_id})
    return next(iter(found), None)


def _within_invitation(
    *, inv: Invitation, grant: RoleGrant, child_kindergarten: int | None
) -> bool:
    """Whether a grant the person already holds lies inside the invitation's own scope."""
    role, kind = grant.role.value, grant.scope_kind.value
    if kind == ScopeKind.KINDERGARTEN and grant.scope_id == inv.kindergarten_id:
        if role == Role.DIRECTOR:
            return inv.role == Role.DIRECTOR
        return role in STAFF_ROLES
    if kind == ScopeKind.CHILD and role == Role.PARENT:
        return child_kindergarten == inv.kindergarten_id
    return False


def invitation_view(inv: Invitation) -> dict:
    """An invitation as its maker sees it."""
    return {
        "id": inv.id,
        "code": inv.code,
        "kind": inv.kind.value,
        "role": inv.role.value,
        "kindergarten_id": inv.kindergarten_id,
        "child_id": inv.child_id,
        "person_id": inv.person_id,
        "expires_at": inv.expires_at.isoformat(),
        "max_uses": inv.max_uses,
        "uses": inv.uses,
        "revoked": inv.revoked,
    }


async def list_invitations(*, principal: Principal, kindergarten_id: int) -> list[dict]:
    """Invitations of one kindergarten, newest first."""
    await orgs.ensure_can_manage_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    rows = await Invitation.filter(kindergarten_id=kindergarten_id).order_by("-id").limit(200)
    return [invitation_view(r) for r in rows]


async def revoke_invitation(*, principal: Principal, invitation_id: int) -> dict:
    """Stop an invitation from being used again."""
    inv = await Invitation.get_or_none(id=invitation_id)
    if inv is None:
        raise NotFound("邀请码")
    try:
        await orgs.ensure_can_manage_kindergarten(
            principal=principal, kindergarten_id=inv.kindergarten_id
        )
    except NotFound as exc:  # out of sight: the same answer as an unknown code
        raise NotFound("邀请码") from exc
    inv.revoked = True
    await inv.save(update_fields=["revoked"])
    return invitation_view(inv)


async def redeem_invitation(
    *, principal: Principal, code: str, name: str | None = None, relation: str | None = None
) -> int:
    """Bind the caller's account to a person with the invitation's role; returns person id."""
    code = (code or "").strip().upper().replace(" ", "")
    inv = await Invitation.get_or_none(code=code) if code else None
    if inv is None:
        raise DomainError("invitation_not_found", "邀请码不存在，请核对后重新输入")
    if inv.revoked:
        raise DomainError("invitation_revoked", "该邀请码已被撤销，请联系园长重新获取")
    if inv.expires_at <= now():
        raise DomainError("invitation_expired", "该邀请码已过期，请联系园长重新获取")
    account = await Account.get(id=principal.account_id)
    target_id = inv.person_id or account.person_id
    if inv.person_id and account.person_id and account.person_id != inv.person_id:
        raise DomainError("already_bound", "您的微信已绑定其他人员，不能使用此邀请码")
    displaced: list[int] = []
    if inv.person_id:
        await _ensure_redeemable_for_person(inv)
        displaced = await _other_accounts_of(person_id=inv.person_id, account_id=account.id)
        if displaced and not await _made_by_admin(inv):
            raise DomainError("already_bound", "该人员已绑定微信；如需换绑，请联系管理员")
    name = (name or "").strip()
    if target_id is None and not 1 <= len(name) <= 32:
        raise DomainError("invalid_input", "请填写您的真实姓名（1 至 32 个字）")
    async with in_transaction():
        used = await Invitation.filter(id=inv.id, uses__lt=F("max_uses")).update(uses=F("uses") + 1)
        if not used:
            raise DomainError("invitation_used_up", "该邀请码的使用次数已满，请联系园长")
        if target_id is None:
            target_id = await orgs.create_person(name=name)
        if displaced:
            # Re-binding (an admin's invitation): the old WeChat account lets go of the person.
            await Account.filter(id__in=displaced).update(person_id=None)
        if account.person_id != target_id:
            account.person_id = target_id
            await account.save(update_fields=["person_id"])
        await _grant_invited_role(inv=inv, person_id=target_id, relation=relation)
        # Who bound herself with which code, and what it gave (no names: ids only).
        await audit.record_action(
            actor_id=target_id,
            action="invitation.redeem",
            target_type="invitation",
            target_id=inv.id,
            detail={"kind": inv.kind.value, "role": inv.role.value, "account_id": account.id},
        )
    if displaced:
        await end_account_sessions(account_ids=displaced, settings=current().settings)
        await note_grants_changed([target_id])
        await audit.record_action(
            actor_id=inv.created_by_id,
            action="person.rebind",
            target_type="person",
            target_id=target_id,
            reason="通过管理员的换绑邀请码更换绑定的微信",
            detail={"invitation_id": inv.id, "accounts_released": len(displaced)},
        )
    return target_id


async def _ensure_redeemable_for_person(inv: Invitation) -> None:
    """Redeeming never gives more than the invitation's own kind and scope.

    The person's roles are looked at again now: a role added since the invitation was
    made (say, a leader's) must not come with it.
    """
    await _ensure_fits_person(inv, at_creation=False)


async def _ensure_fits_person(inv: Invitation, *, at_creation: bool) -> None:
    """Every role the named person holds lies inside the invitation's kind and scope."""
    held = await RoleGrant.filter(person_id=inv.person_id)
    for grant in held:
        of_child = grant.scope_kind.value == ScopeKind.CHILD
        inside = _within_invitation(
            inv=inv,
            grant=grant,
            child_kindergarten=await _kindergarten_of_child(grant.scope_id) if of_child else None,
        )
        if inside:
            continue
        if not at_creation:
            raise DomainError(
                "invitation_not_applicable", "该邀请码不能用于绑定此人员，请联系管理员"
            )
        directs_here = (
            grant.role.value == Role.DIRECTOR
            and grant.scope_kind.value == ScopeKind.KINDERGARTEN
            and grant.scope_id == inv.kindergarten_id
        )
        raise DomainError(
            "invitation_not_applicable",
            "该人员是本园园长，请选择“园长”角色生成邀请码"
            if directs_here
            else "该人员还有本园以外的角色，不能用本园的邀请码绑定，请联系管理员",
        )


async def _other_accounts_of(*, person_id: int, account_id: int) -> list[int]:
    rows = (
        await Account.filter(person_id=person_id)
        .exclude(id=account_id)
        .values_list("id", flat=True)
    )
    return list(rows)


async def _made_by_admin(inv: Invitation) -> bool:
    if inv.created_by_id is None:
        return False
    return await RoleGrant.exists(
        person_id=inv.created_by_id, role=Role.ADMIN, scope_kind=ScopeKind.GLOBAL
    )


async def _grant_invited_role(*, inv: Invitation, person_id: int, relation: str | None) -> None:
    if inv.kind == InvitationKind.PARENT:
        await orgs.enrol_guardian(
            person_id=person_id, child_id=inv.child_id, relation=(relation or "家长")[:8]
        )
        await give_grant(
            person_id=person_id,
            role=Role.PARENT,
            scope_kind=ScopeKind.CHILD,
            scope_id=inv.child_id,
        )
        return
    await orgs.enrol_teacher(person_id=person_id, kindergarten_id=inv.kindergarten_id)
    roles = {Role.TEACHER, inv.role}
    for role in roles:
        await give_grant(
            person_id=person_id,
            role=role,
            scope_kind=ScopeKind.KINDERGARTEN,
            scope_id=inv.kindergarten_id,
        )
