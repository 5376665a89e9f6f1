"""Where a person belongs, and who may therefore link or change her record.

One person row may stand behind staff of several kindergartens and guardians of children
in others. Her name and phone are shared by all of them, so a director changes them, or
links the person to her own kindergarten, only when every kindergarten where the person
holds a role is one she directs. Anything wider (a leader's or admin's grant) is an
admin's to change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from server.common.auth import Principal
from server.common.errors import Forbidden
from server.orgs import grant_links
from server.orgs.models import Child, Guardian, Teacher

_CHUNK = 500
#: Grant scopes wider than one kindergarten (a region's or alliance's leader, an admin).
WIDE_SCOPES = ("region", "alliance", "global")


@dataclass
class Footprint:
    """The kindergartens where a person holds a role, and whether she holds a wider one."""

    kindergarten_ids: set[int] = field(default_factory=set)
    wide: bool = False

    def within(self, kindergarten_ids: set[int]) -> bool:
        """True when every role of hers lies inside these kindergartens."""
        return not self.wide and self.kindergarten_ids <= kindergarten_ids


async def footprints(person_ids: Iterable[int]) -> dict[int, Footprint]:
    """Footprint per person: staff rows (active or not), guardianships and role grants."""
    ids = sorted(set(person_ids))
    found = {pid: Footprint() for pid in ids}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for pid, kid in await Teacher.filter(person_id__in=chunk).values_list(
            "person_id", "kindergarten_id"
        ):
            found[pid].kindergarten_ids.add(kid)
        for pid, kid in await Guardian.filter(person_id__in=chunk).values_list(
            "person_id", "child__school_class__kindergarten_id"
        ):
            found[pid].kindergarten_ids.add(kid)
        child_grants: dict[int, set[int]] = {}
        # The accounts domain's grants, read through grant_links.
        for pid, kind, scope_id in await grant_links.grant_scopes_of(person_ids=chunk):
            if kind == "kindergarten":
                found[pid].kindergarten_ids.add(scope_id)
            elif kind == "child":
                child_grants.setdefault(scope_id, set()).add(pid)
            else:
                found[pid].wide = found[pid].wide or kind in WIDE_SCOPES
        if child_grants:
            for child_id, kid in await Child.filter(id__in=sorted(child_grants)).values_list(
                "id", "school_class__kindergarten_id"
            ):
                for pid in child_grants[child_id]:
                    found[pid].kindergarten_ids.add(kid)
    return found


def directed_kindergarten_ids(principal: Principal) -> set[int]:
    """Kindergartens the caller directs."""
    return principal.scope_ids("kindergarten", ["director"])


async def may_change_person(principal: Principal, person_id: int) -> bool:
    """Whether the caller may link or edit this person: admins, or a director of all hers."""
    if principal.is_admin:
        return True
    footprint = (await footprints([person_id]))[person_id]
    return footprint.within(directed_kindergarten_ids(principal))


async def ensure_may_change_person(*, principal: Principal, person_id: int) -> None:
    """Refuse a change to a person's name or phone unless all her kindergartens are the caller's."""
    if not await may_change_person(principal, person_id):
        raise Forbidden(
            "此人同时在其他幼儿园任职、是其他幼儿园的家长或担任其他职务，"
            "您不能修改她的姓名和手机号；如需更正，请联系管理员"
        )
