"""Kindergartens (园所): listing within sight, creating, editing, deleting."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.orgs.grant_links import drop_scope_grants
from server.orgs.models import (
    Alliance,
    Kindergarten,
    KindergartenLevel,
    Pairing,
    Region,
    SchoolClass,
    Teacher,
)
from server.orgs.scope import (
    ensure_can_manage_kindergarten,
    kindergarten_ids_led,
    led_region_ids,
    visible_alliance_ids,
    visible_kindergarten_ids,
)
from server.orgs.validation import check_coordinates, clean_name, clean_text, paginate

#: What a director may change about her own kindergarten.
DIRECTOR_FIELDS = {"address", "lat", "lng"}
LEVELS = [level.value for level in KindergartenLevel]


def kindergarten_view(k: Kindergarten) -> dict:
    """A kindergarten as the clients show it."""
    return {
        "id": k.id,
        "name": k.name,
        "level": k.level.value,
        "region_id": k.region_id,
        "alliance_id": k.alliance_id,
        "address": k.address,
        "lat": k.lat,
        "lng": k.lng,
    }


def parse_level(value: str | None) -> KindergartenLevel:
    """A level from its Chinese name, or a refusal listing the valid ones."""
    try:
        return KindergartenLevel(value)
    except ValueError as exc:
        raise DomainError("invalid_level", f"园所级别只能是：{'、'.join(LEVELS)}") from exc


async def list_kindergartens(
    *,
    principal: Principal,
    region_id: int | None = None,
    alliance_id: int | None = None,
    level: str | None = None,
    q: str | None = None,
    limit: int,
    offset: int,
) -> dict:
    """Kindergartens within the caller's sight, filtered."""
    query = Kindergarten.all().order_by("id")
    visible = await visible_kindergarten_ids(principal)
    if visible is not None:
        query = query.filter(id__in=visible)
    if region_id is not None:
        query = query.filter(region_id=region_id)
    if alliance_id is not None:
        query = query.filter(alliance_id=alliance_id)
    if level:
        query = query.filter(level=parse_level(level))
    if q and q.strip():
        query = query.filter(name__icontains=q.strip()[:64])
    return await paginate(query, limit=limit, offset=offset, view=kindergarten_view)


async def get_kindergarten(*, principal: Principal, kindergarten_id: int) -> dict:
    """One kindergarten with its region's and alliance's names."""
    visible = await visible_kindergarten_ids(principal)
    k = await Kindergarten.get_or_none(id=kindergarten_id).prefetch_related("region", "alliance")
    if k is None or (visible is not None and kindergarten_id not in visible):
        raise NotFound("幼儿园")
    data = kindergarten_view(k)
    data["region_name"] = k.region.name
    data["alliance_name"] = k.alliance.name if k.alliance else None
    data["is_alliance_lead"] = bool(k.alliance and k.alliance.lead_id == k.id)
    return data


async def _ensure_unique(region_id: int, name: str, exclude_id: int | None = None) -> None:
    query = Kindergarten.filter(region_id=region_id, name=name)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        raise DomainError("duplicate", f"本区域已有名为“{name}”的幼儿园")


async def _check_alliance(principal: Principal, alliance_id: int | None, region_id: int) -> None:
    if alliance_id is None:
        return
    alliance = await Alliance.get_or_none(id=alliance_id)
    visible = await visible_alliance_ids(principal)
    # An alliance the caller cannot see is answered as one that does not exist.
    if alliance is None or (visible is not None and alliance.id not in visible):
        raise NotFound("联盟")
    if alliance.region_id != region_id:
        raise DomainError("alliance_region_mismatch", "幼儿园只能加入本区域的联盟")


async def create_kindergarten(
    *,
    principal: Principal,
    name: str,
    level: str,
    region_id: int,
    alliance_id: int | None = None,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
) -> dict:
    """Add a kindergarten (admins, or leaders of that region)."""
    # Scope first: another region's id and an unknown one get the same refusal.
    if not principal.is_admin and region_id not in led_region_ids(principal):
        raise Forbidden("您只能在自己负责的区域内新增幼儿园")
    if not await Region.exists(id=region_id):
        raise NotFound("教育局")
    name = clean_name(name, what="幼儿园名称")
    parsed_level = parse_level(level)
    address = clean_text(address, what="地址", max_length=200)
    check_coordinates(lat, lng)
    await _check_alliance(principal, alliance_id, region_id)
    await _ensure_unique(region_id, name)
    try:
        k = await Kindergarten.create(
            name=name,
            level=parsed_level,
            region_id=region_id,
            alliance_id=alliance_id,
            address=address,
            lat=lat,
            lng=lng,
        )
    except IntegrityError as exc:
        raise DomainError("duplicate", f"本区域已有名为“{name}”的幼儿园") from exc
    return kindergarten_view(k)


async def update_kindergarten(*, principal: Principal, kindergarten_id: int, changes: dict) -> dict:
    """Edit a kindergarten; directors only its address and coordinates."""
    await ensure_can_manage_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    k = await Kindergarten.get(id=kindergarten_id)
    if not principal.is_admin and kindergarten_id not in await kindergarten_ids_led(principal):
        # The caller is its director: she keeps the address and map pin up to date.
        locked = sorted(set(changes) - DIRECTOR_FIELDS)
        if locked:
            raise DomainError(
                "field_not_editable", "园长只能修改本园的地址和坐标", status=403, details=locked
            )
    old_alliance_id = k.alliance_id
    if "region_id" in changes or "alliance_id" in changes:
        await _apply_membership(principal, k, changes)
    if "name" in changes:
        k.name = clean_name(changes["name"], what="幼儿园名称")
    if "level" in changes:
        k.level = parse_level(changes["level"])
    if "address" in changes:
        k.address = clean_text(changes["address"], what="地址", max_length=200)
    k.lat = changes.get("lat", k.lat)
    k.lng = changes.get("lng", k.lng)
    check_coordinates(k.lat, k.lng)
    await _ensure_unique(k.region_id, k.name, exclude_id=k.id)
    try:
        async with in_transaction():
            await k.save()
            if old_alliance_id and old_alliance_id != k.alliance_id:
                # A kindergarten that leaves its alliance stops being its lead.
                await Alliance.filter(id=old_alliance_id, lead_id=k.id).update(lead_id=None)
    except IntegrityError as exc:
        raise DomainError("duplicate", f"本区域已有名为“{k.name}”的幼儿园") from exc
    return kindergarten_view(k)


async def _apply_membership(principal: Principal, k: Kindergarten, changes: dict) -> None:
    region_id = changes.get("region_id", k.region_id)
    if region_id is None:
        raise DomainError("invalid_input", "幼儿园必须属于一个教育局")
    # Scope first: another region's id and an unknown one get the same refusal.
    if not principal.is_admin:
        mine = led_region_ids(principal)
        if k.region_id not in mine or region_id not in mine:
            raise Forbidden("只有本区域的领导或管理员可以调整幼儿园的区域和联盟")
    if region_id != k.region_id and not await Region.exists(id=region_id):
        raise NotFound("教育局")
    alliance_id = changes.get("alliance_id", k.alliance_id)
    if region_id != k.region_id and "alliance_id" not in changes:
        alliance_id = None  # an alliance never spans regions
    await _check_alliance(principal, alliance_id, region_id)
    k.region_id = region_id
    k.alliance_id = alliance_id


async def delete_kindergarten(*, principal: Principal, kindergarten_id: int) -> None:
    """Remove a kindergarten that has no teachers, classes or pairings (admins only)."""
    if not principal.is_admin:
        raise Forbidden("只有管理员可以删除幼儿园")
    k = await Kindergarten.get_or_none(id=kindergarten_id)
    if k is None:
        raise NotFound("幼儿园")
    teachers = await Teacher.filter(kindergarten_id=k.id).count()
    classes = await SchoolClass.filter(kindergarten_id=k.id).count()
    pairings = await Pairing.filter(supporting_id=k.id).count()
    pairings += await Pairing.filter(supported_id=k.id).count()
    if teachers or classes or pairings:
        raise DomainError(
            "kindergarten_not_empty",
            f"该园还有 {teachers} 名教职工、{classes} 个班级、{pairings} 个结对，不能删除",
            status=409,
        )
    async with in_transaction():
        await Alliance.filter(lead_id=k.id).update(lead_id=None)
        await drop_scope_grants(scope_kind="kindergarten", scope_id=k.id)
        await k.delete()
