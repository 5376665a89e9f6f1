"""Regions (教育局): admins keep the list, leaders see their own."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.orgs.models import Alliance, Region
from server.orgs.scope import led_alliance_ids, led_region_ids
from server.orgs.validation import clean_name, clean_text, paginate


def region_view(region: Region) -> dict:
    """A region as the clients show it."""
    return {"id": region.id, "name": region.name, "bureau_name": region.bureau_name}


async def _visible_region_ids(principal: Principal) -> set[int] | None:
    if principal.is_admin:
        return None
    ids = set(led_region_ids(principal))
    alliances = led_alliance_ids(principal)
    if alliances:
        ids |= set(await Alliance.filter(id__in=alliances).values_list("region_id", flat=True))
    return ids


async def list_regions(*, principal: Principal, limit: int, offset: int) -> dict:
    """Regions the caller may see: all for admins, his own for a leader."""
    query = Region.all().order_by("id")
    visible = await _visible_region_ids(principal)
    if visible is not None:
        query = query.filter(id__in=visible)
    return await paginate(query, limit=limit, offset=offset, view=region_view)


async def get_region(*, principal: Principal, region_id: int) -> dict:
    """One region, if the caller may see it."""
    visible = await _visible_region_ids(principal)
    region = await Region.get_or_none(id=region_id)
    if region is None or (visible is not None and region_id not in visible):
        raise NotFound("教育局")
    return region_view(region)


async def _ensure_unique(name: str, exclude_id: int | None = None) -> None:
    query = Region.filter(name=name)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        raise DomainError("duplicate", f"已有名为“{name}”的教育局")


async def create_region(*, principal: Principal, name: str, bureau_name: str = "") -> dict:
    """Add a region (admins only)."""
    if not principal.is_admin:
        raise Forbidden("只有管理员可以新增教育局")
    name = clean_name(name, what="区域名称")
    bureau_name = clean_text(bureau_name, what="教育局名称", max_length=64)
    await _ensure_unique(name)
    try:
        region = await Region.create(name=name, bureau_name=bureau_name)
    except IntegrityError as exc:
        raise DomainError("duplicate", f"已有名为“{name}”的教育局") from exc
    return region_view(region)


async def update_region(*, principal: Principal, region_id: int, changes: dict) -> dict:
    """Rename a region or its bureau (admins only)."""
    if not principal.is_admin:
        raise Forbidden("只有管理员可以修改教育局")
    region = await Region.get_or_none(id=region_id)
    if region is None:
        raise NotFound("教育局")
    if "name" in changes:
        region.name = clean_name(changes["name"], what="区域名称")
        await _ensure_unique(region.name, exclude_id=region.id)
    if "bureau_name" in changes:
        region.bureau_name = clean_text(changes["bureau_name"], what="教育局名称", max_length=64)
    try:
        await region.save()
    except IntegrityError as exc:
        raise DomainError("duplicate", f"已有名为“{region.name}”的教育局") from exc
    return region_view(region)
