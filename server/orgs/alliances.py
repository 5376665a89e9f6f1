"""Alliances (联盟): a lead kindergarten (总园) and its members."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.orgs.models import Alliance, Kindergarten, Pairing, Region
from server.orgs.scope import led_alliance_ids, led_region_ids, visible_alliance_ids
from server.orgs.validation import clean_name, paginate


def alliance_view(alliance: Alliance, *, lead_name: str | None = None) -> dict:
    """An alliance in lists."""
    return {
        "id": alliance.id,
        "name": alliance.name,
        "region_id": alliance.region_id,
        "lead_id": alliance.lead_id,
        "lead_name": lead_name,
    }


async def _lead_names(alliances: list[Alliance]) -> dict[int, str]:
    ids = {a.lead_id for a in alliances if a.lead_id}
    if not ids:
        return {}
    return dict(await Kindergarten.filter(id__in=ids).values_list("id", "name"))


async def _get_visible(principal: Principal, alliance_id: int) -> Alliance:
    alliance = await Alliance.get_or_none(id=alliance_id)
    visible = await visible_alliance_ids(principal)
    if alliance is None or (visible is not None and alliance_id not in visible):
        raise NotFound("联盟")
    return alliance


def can_manage_alliance(principal: Principal, alliance: Alliance) -> bool:
    """Admins, leaders of its region and leaders of the alliance itself."""
    return (
        principal.is_admin
        or alliance.region_id in led_region_ids(principal)
        or alliance.id in led_alliance_ids(principal)
    )


async def list_alliances(
    *, principal: Principal, region_id: int | None = None, limit: int, offset: int
) -> dict:
    """Alliances the caller may see, optionally of one region."""
    query = Alliance.all().order_by("id")
    visible = await visible_alliance_ids(principal)
    if visible is not None:
        query = query.filter(id__in=visible)
    if region_id is not None:
        query = query.filter(region_id=region_id)
    page = await paginate(query, limit=limit, offset=offset, view=lambda a: a)
    names = await _lead_names(page["items"])
    page["items"] = [alliance_view(a, lead_name=names.get(a.lead_id)) for a in page["items"]]
    return page


async def get_alliance(*, principal: Principal, alliance_id: int) -> dict:
    """An alliance with its lead and its members."""
    alliance = await _get_visible(principal, alliance_id)
    return await _detail(alliance)


async def _detail(alliance: Alliance) -> dict:
    members = await Kindergarten.filter(alliance_id=alliance.id).order_by("id")
    lead = next((k for k in members if k.id == alliance.lead_id), None)
    data = alliance_view(alliance, lead_name=lead.name if lead else None)
    data["lead"] = {"id": lead.id, "name": lead.name, "level": lead.level.value} if lead else None
    data["members"] = [
        {"id": k.id, "name": k.name, "level": k.level.value, "is_lead": k.id == alliance.lead_id}
        for k in members
    ]
    data["pairings_count"] = await Pairing.filter(alliance_id=alliance.id).count()
    return data


async def _ensure_unique(region_id: int, name: str, exclude_id: int | None = None) -> None:
    query = Alliance.filter(region_id=region_id, name=name)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        raise DomainError("duplicate", f"本区域已有名为“{name}”的联盟")


async def create_alliance(*, principal: Principal, name: str, region_id: int) -> dict:
    """Found an alliance (admins, or leaders of that region)."""
    # Scope first: another region's id and an unknown one get the same refusal.
    if not principal.is_admin and region_id not in led_region_ids(principal):
        raise Forbidden("您只能在自己负责的区域内新建联盟")
    if not await Region.exists(id=region_id):
        raise NotFound("教育局")
    name = clean_name(name, what="联盟名称")
    await _ensure_unique(region_id, name)
    try:
        alliance = await Alliance.create(name=name, region_id=region_id)
    except IntegrityError as exc:
        raise DomainError("duplicate", f"本区域已有名为“{name}”的联盟") from exc
    return await _detail(alliance)


async def update_alliance(*, principal: Principal, alliance_id: int, changes: dict) -> dict:
    """Rename an alliance or choose its lead among its members."""
    alliance = await _get_visible(principal, alliance_id)
    if not can_manage_alliance(principal, alliance):
        raise Forbidden("您只能管理自己负责的联盟")
    if "name" in changes:
        alliance.name = clean_name(changes["name"], what="联盟名称")
        await _ensure_unique(alliance.region_id, alliance.name, exclude_id=alliance.id)
    if "lead_id" in changes:
        lead_id = changes["lead_id"]
        if lead_id is not None and not await Kindergarten.exists(
            id=lead_id, alliance_id=alliance.id
        ):
            raise DomainError("lead_not_member", "牵头单位必须是本联盟的成员园")
        alliance.lead_id = lead_id
    try:
        await alliance.save()
    except IntegrityError as exc:
        raise DomainError("duplicate", f"本区域已有名为“{alliance.name}”的联盟") from exc
    return await _detail(alliance)


async def delete_alliance(*, principal: Principal, alliance_id: int) -> None:
    """Dissolve an empty alliance (admins only)."""
    if not principal.is_admin:
        raise Forbidden("只有管理员可以删除联盟")
    alliance = await Alliance.get_or_none(id=alliance_id)
    if alliance is None:
        raise NotFound("联盟")
    members = await Kindergarten.filter(alliance_id=alliance_id).count()
    pairings = await Pairing.filter(alliance_id=alliance_id).count()
    if members or pairings:
        raise DomainError(
            "alliance_not_empty",
            f"该联盟还有 {members} 所成员园、{pairings} 个结对，请先移出成员园并调整结对后再删除",
            status=409,
        )
    await alliance.delete()
