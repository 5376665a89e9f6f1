"""Which kindergartens a caller may see or manage, from the grants in her token."""

from __future__ import annotations

from typing import NoReturn

from server.common.auth import Principal
from server.common.errors import Forbidden, NotFound
from server.orgs.models import Alliance, Child, Kindergarten, Pairing, Region

STAFF = ("teacher", "organizer", "director")


async def kindergarten_ids_led(principal: Principal) -> set[int]:
    """Kindergartens inside the regions and alliances the caller leads."""
    regions = principal.scope_ids("region", ["leader"])
    alliances = principal.scope_ids("alliance", ["leader"])
    ids: set[int] = set()
    if regions:
        ids |= set(await Kindergarten.filter(region_id__in=regions).values_list("id", flat=True))
    if alliances:
        ids |= set(
            await Kindergarten.filter(alliance_id__in=alliances).values_list("id", flat=True)
        )
    return ids


async def manageable_kindergarten_ids(principal: Principal) -> set[int] | None:
    """Kindergartens whose data the caller may change; None means all (admin)."""
    if principal.is_admin:
        return None
    return principal.scope_ids("kindergarten", ["director"]) | await kindergarten_ids_led(principal)


async def visible_kindergarten_ids(principal: Principal) -> set[int] | None:
    """Kindergartens the caller may see; None means all (admin).

    Staff see their own kindergarten and its pairing partners; leaders their region
    or alliance; parents the kindergarten of their child.
    """
    if principal.is_admin:
        return None
    own = principal.scope_ids("kindergarten", STAFF)
    ids = set(own) | await kindergarten_ids_led(principal)
    if own:
        for supporting, supported in await Pairing.filter(supporting_id__in=own).values_list(
            "supporting_id", "supported_id"
        ):
            ids.update((supporting, supported))
        for supporting, supported in await Pairing.filter(supported_id__in=own).values_list(
            "supporting_id", "supported_id"
        ):
            ids.update((supporting, supported))
    children = principal.scope_ids("child", ["parent"])
    if children:
        ids |= set(
            await Child.filter(id__in=children).values_list(
                "school_class__kindergarten_id", flat=True
            )
        )
    return ids


async def ensure_can_manage_kindergarten(
    *, principal: Principal, kindergarten_id: int, missing: str = "幼儿园"
) -> None:
    """Refuse unless the caller directs, leads or administers this kindergarten."""
    if not await Kindergarten.exists(id=kindergarten_id):
        raise NotFound("幼儿园")
    allowed = await manageable_kindergarten_ids(principal)
    if allowed is not None and kindergarten_id not in allowed:
        await refuse(principal, kindergarten_id, "您只能管理本园或您负责范围内的幼儿园", missing)


async def refuse(
    principal: Principal, kindergarten_id: int, message: str, missing: str = "幼儿园"
) -> NoReturn:
    """Refuse an act on a kindergarten: out of the caller's sight it is answered exactly as an
    unknown `missing` (the kindergarten, or the class, child or staff member asked for), so
    ids cannot be probed; in sight, forbidden with `message`."""
    visible = await visible_kindergarten_ids(principal)
    if visible is not None and kindergarten_id not in visible:
        raise NotFound(missing)
    raise Forbidden(message)


async def ensure_can_view_kindergarten(*, principal: Principal, kindergarten_id: int) -> None:
    """Refuse (as not found) unless the kindergarten is within the caller's sight."""
    allowed = await visible_kindergarten_ids(principal)
    if (allowed is not None and kindergarten_id not in allowed) or not await Kindergarten.exists(
        id=kindergarten_id
    ):
        raise NotFound("幼儿园")


async def scope_name(*, kind: str, scope_id: int) -> str:
    """The Chinese name of a grant's scope, for display."""
    model = {"region": Region, "alliance": Alliance, "kindergarten": Kindergarten}.get(kind)
    if model is not None:
        row = await model.get_or_none(id=scope_id)
        return row.name if row else "（已删除）"
    if kind == "child":
        child = await Child.get_or_none(id=scope_id).prefetch_related("school_class")
        # A parent's grant names the class, never the child, in shared views.
        return f"{child.school_class.name}幼儿家长" if child else "（已删除）"
    return "全部"


def staff_kindergarten_ids(principal: Principal) -> set[int]:
    """Kindergartens where the caller works (teacher, organizer or director)."""
    return principal.scope_ids("kindergarten", STAFF)


def led_region_ids(principal: Principal) -> set[int]:
    """Regions the caller leads."""
    return principal.scope_ids("region", ["leader"])


def led_alliance_ids(principal: Principal) -> set[int]:
    """Alliances the caller leads."""
    return principal.scope_ids("alliance", ["leader"])


async def leads_all_kindergartens(principal: Principal, kindergarten_ids: set[int]) -> bool:
    """True for admins and for leaders whose scope holds every one of these kindergartens."""
    if principal.is_admin:
        return True
    return kindergarten_ids <= await kindergarten_ids_led(principal)


async def ensure_directs_kindergarten(
    *, principal: Principal, kindergarten_id: int, missing: str = "幼儿园"
) -> None:
    """Refuse unless the caller is this kindergarten's director or an admin."""
    if not await Kindergarten.exists(id=kindergarten_id):
        raise NotFound("幼儿园")
    if principal.is_admin or kindergarten_id in principal.scope_ids("kindergarten", ["director"]):
        return
    await refuse(principal, kindergarten_id, "只有本园园长或管理员可以进行此操作", missing)


async def ensure_can_see_staff(
    *, principal: Principal, kindergarten_id: int, missing: str = "幼儿园"
) -> None:
    """Staff lists and classes: the kindergarten's own staff, leaders in scope, admins."""
    if not await Kindergarten.exists(id=kindergarten_id):
        raise NotFound("幼儿园")
    if principal.is_admin or kindergarten_id in staff_kindergarten_ids(principal):
        return
    if kindergarten_id in await kindergarten_ids_led(principal):
        return
    await refuse(principal, kindergarten_id, "您只能查看本园或您负责范围内幼儿园的信息", missing)


async def partner_kindergarten_ids(principal: Principal) -> set[int]:
    """Kindergartens paired (结对, either side) with one where the caller works."""
    own = staff_kindergarten_ids(principal)
    if not own:
        return set()
    ids: set[int] = set()
    for column in ("supporting_id__in", "supported_id__in"):
        for pair in await Pairing.filter(**{column: own}).values_list(
            "supporting_id", "supported_id"
        ):
            ids.update(pair)
    return ids - own


async def ensure_can_see_staff_names(
    *, principal: Principal, kindergarten_id: int, missing: str = "幼儿园"
) -> None:
    """Staff names (phones masked): as for staff lists, and the staff of pairing partners.

    Partners plan 送教 with each other's teachers (docs/privacy.md); classes stay with
    ensure_can_see_staff.
    """
    if not await Kindergarten.exists(id=kindergarten_id):
        raise NotFound("幼儿园")
    if principal.is_admin or kindergarten_id in staff_kindergarten_ids(principal):
        return
    if kindergarten_id in await partner_kindergarten_ids(principal):
        return
    if kindergarten_id in await kindergarten_ids_led(principal):
        return
    await refuse(
        principal, kindergarten_id, "您只能查看本园、结对园或您负责范围内幼儿园的教职工", missing
    )


async def ensure_can_see_children(
    *, principal: Principal, kindergarten_id: int, missing: str = "幼儿园"
) -> None:
    """Children's names: the kindergarten's own staff and admins only (never leaders)."""
    if principal.is_admin or kindergarten_id in staff_kindergarten_ids(principal):
        return
    await refuse(principal, kindergarten_id, "幼儿信息仅本园教职工可以查看", missing)


async def visible_alliance_ids(principal: Principal) -> set[int] | None:
    """Alliances the caller may see; None means all (admin)."""
    if principal.is_admin:
        return None
    ids = set(led_alliance_ids(principal))
    regions = led_region_ids(principal)
    if regions:
        ids |= set(await Alliance.filter(region_id__in=regions).values_list("id", flat=True))
    kindergartens = await visible_kindergarten_ids(principal) or set()
    if kindergartens:
        ids |= {
            a
            for a in await Kindergarten.filter(id__in=kindergartens).values_list(
                "alliance_id", flat=True
            )
            if a is not None
        }
    return ids
