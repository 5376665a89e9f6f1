"""Leading groups (领导小组) of a pairing or an alliance, and their members."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.orgs.alliances import can_manage_alliance
from server.orgs.lookups import alliance_member_ids, pairing_sides, staff_among
from server.orgs.models import Alliance, LeadingGroup, LeadingGroupMember, Pairing, Person
from server.orgs.scope import (
    leads_all_kindergartens,
    visible_alliance_ids,
    visible_kindergarten_ids,
)
from server.orgs.validation import clean_name, clean_text, paginate

POSITIONS = ("组长", "副组长", "成员")
#: Leaders first, then by seat number.
POSITION_ORDER = {p: i for i, p in enumerate(POSITIONS)}


def member_view(m: LeadingGroupMember) -> dict:
    """A seat in a group: the person's name, position and duty (never a phone)."""
    return {
        "id": m.id,
        "person_id": m.person_id,
        "name": m.person.name,
        "position": m.position,
        "duty": m.duty,
    }


async def group_view(group: LeadingGroup) -> dict:
    """A group with its members, 组长 first."""
    members = await LeadingGroupMember.filter(group_id=group.id).prefetch_related("person")
    members.sort(key=lambda m: (POSITION_ORDER.get(m.position, 9), m.id))
    return {
        "id": group.id,
        "name": group.name,
        "pairing_id": group.pairing_id,
        "alliance_id": group.alliance_id,
        "members": [member_view(m) for m in members],
    }


async def _can_see_owner(
    principal: Principal, *, pairing: Pairing | None, alliance: Alliance | None
) -> bool:
    if pairing is not None:
        visible = await visible_kindergarten_ids(principal)
        return visible is None or bool({pairing.supporting_id, pairing.supported_id} & visible)
    visible_alliances = await visible_alliance_ids(principal)
    return visible_alliances is None or alliance.id in visible_alliances


async def _can_manage_owner(
    principal: Principal, *, pairing: Pairing | None, alliance: Alliance | None
) -> bool:
    directed = principal.scope_ids("kindergarten", ["director"])
    if pairing is not None:
        return bool({pairing.supporting_id, pairing.supported_id} & directed) or (
            await leads_all_kindergartens(principal, {pairing.supporting_id, pairing.supported_id})
        )
    return can_manage_alliance(principal, alliance) or (
        alliance.lead_id is not None and alliance.lead_id in directed
    )


async def _owner(
    *, pairing_id: int | None, alliance_id: int | None
) -> tuple[Pairing | None, Alliance | None]:
    if (pairing_id is None) == (alliance_id is None):
        raise DomainError("invalid_owner", "领导小组须属于一个结对或一个联盟（二选一）")
    if pairing_id is not None:
        pairing = await Pairing.get_or_none(id=pairing_id)
        if pairing is None:
            raise NotFound("结对")
        return pairing, None
    alliance = await Alliance.get_or_none(id=alliance_id)
    if alliance is None:
        raise NotFound("联盟")
    return None, alliance


async def _group(principal: Principal, group_id: int, *, manage: bool) -> LeadingGroup:
    group = await LeadingGroup.get_or_none(id=group_id)
    if group is None:
        raise NotFound("领导小组")
    pairing, alliance = await _owner(pairing_id=group.pairing_id, alliance_id=group.alliance_id)
    if not await _can_see_owner(principal, pairing=pairing, alliance=alliance):
        raise NotFound("领导小组")
    if manage and not await _can_manage_owner(principal, pairing=pairing, alliance=alliance):
        raise Forbidden("只有结对双方园长、联盟牵头园园长、负责领导或管理员可以管理领导小组")
    return group


async def list_groups(
    *,
    principal: Principal,
    pairing_id: int | None = None,
    alliance_id: int | None = None,
    limit: int,
    offset: int,
) -> dict:
    """Leading groups of one pairing or one alliance, with their members."""
    pairing, alliance = await _owner(pairing_id=pairing_id, alliance_id=alliance_id)
    if not await _can_see_owner(principal, pairing=pairing, alliance=alliance):
        raise NotFound("结对" if pairing else "联盟")
    owner = {"pairing_id": pairing_id} if pairing else {"alliance_id": alliance_id}
    query = LeadingGroup.filter(**owner).order_by("id")
    page = await paginate(query, limit=limit, offset=offset, view=lambda g: g)
    page["items"] = [await group_view(g) for g in page["items"]]
    return page


async def get_group(*, principal: Principal, group_id: int) -> dict:
    """One leading group with its members."""
    return await group_view(await _group(principal, group_id, manage=False))


async def create_group(
    *,
    principal: Principal,
    name: str,
    pairing_id: int | None = None,
    alliance_id: int | None = None,
) -> dict:
    """Set up a leading group for a pairing or an alliance."""
    pairing, alliance = await _owner(pairing_id=pairing_id, alliance_id=alliance_id)
    if not await _can_see_owner(principal, pairing=pairing, alliance=alliance):
        raise NotFound("结对" if pairing else "联盟")
    if not await _can_manage_owner(principal, pairing=pairing, alliance=alliance):
        raise Forbidden("只有结对双方园长、联盟牵头园园长、负责领导或管理员可以管理领导小组")
    name = clean_name(name, what="领导小组名称")
    group = await LeadingGroup.create(name=name, pairing_id=pairing_id, alliance_id=alliance_id)
    return await group_view(group)


async def delete_group(*, principal: Principal, group_id: int) -> None:
    """Dissolve a leading group and its seats."""
    group = await _group(principal, group_id, manage=True)
    await LeadingGroupMember.filter(group_id=group.id).delete()
    await group.delete()


def _check_position(position: str) -> str:
    position = (position or "").strip()
    if position not in POSITIONS:
        raise DomainError("invalid_position", f"职务只能是：{'、'.join(POSITIONS)}")
    return position


async def _group_kindergarten_ids(group: LeadingGroup) -> set[int]:
    if group.pairing_id is not None:
        return set(await pairing_sides(pairing_id=group.pairing_id))
    return await alliance_member_ids(alliance_id=group.alliance_id)


async def _may_take_a_seat(principal: Principal, group: LeadingGroup, person_id: int) -> bool:
    """Staff of the group's kindergartens, or the manager seating herself."""
    if person_id == principal.person_id:
        return await Person.exists(id=person_id)
    kindergartens = await _group_kindergarten_ids(group)
    return bool(await staff_among(person_ids=[person_id], kindergarten_ids=kindergartens))


async def add_member(
    *, principal: Principal, group_id: int, person_id: int, position: str = "成员", duty: str = ""
) -> dict:
    """Seat a person in a leading group with a position and a duty."""
    group = await _group(principal, group_id, manage=True)
    position = _check_position(position)
    duty = clean_text(duty, what="分工", max_length=64)
    if not await _may_take_a_seat(principal, group, person_id):
        # Ids are sequential: anyone outside the group's kindergartens is answered as nobody.
        raise NotFound("人员")
    duplicate = DomainError("duplicate", "此人已在该领导小组中")
    if await LeadingGroupMember.exists(group_id=group.id, person_id=person_id):
        raise duplicate
    try:
        member = await LeadingGroupMember.create(
            group_id=group.id, person_id=person_id, position=position, duty=duty
        )
    except IntegrityError as exc:
        raise duplicate from exc
    await member.fetch_related("person")
    return member_view(member)


async def _member(group_id: int, member_id: int) -> LeadingGroupMember:
    member = await LeadingGroupMember.get_or_none(id=member_id, group_id=group_id)
    if member is None:
        raise NotFound("领导小组成员")
    return member


async def update_member(
    *, principal: Principal, group_id: int, member_id: int, changes: dict
) -> dict:
    """Change a member's position or duty."""
    await _group(principal, group_id, manage=True)
    member = await _member(group_id, member_id)
    if "position" in changes:
        member.position = _check_position(changes["position"])
    if "duty" in changes:
        member.duty = clean_text(changes["duty"], what="分工", max_length=64)
    await member.save()
    await member.fetch_related("person")
    return member_view(member)


async def remove_member(*, principal: Principal, group_id: int, member_id: int) -> None:
    """Take a member out of a leading group."""
    await _group(principal, group_id, manage=True)
    member = await _member(group_id, member_id)
    await member.delete()
