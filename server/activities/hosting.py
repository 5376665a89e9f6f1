"""Checks that need the database: who may host where, whom, and for which audience.

Every refusal about an id outside the caller's sight answers like one for an id that does
not exist: ids are sequential, so any difference would let an organizer map other regions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from server.activities import access
from server.activities.models import HELP_GIVEN_KINDS, Activity, ActivityKind, AudienceMode
from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.orgs import service as orgs

#: One answer for an id that does not exist and one outside the caller's sight: ids are
#: sequential, so any difference would let an organizer map other regions.
UNKNOWN_PAIRING = ("invalid_pairing", "所选结对不存在，或主办园不是该结对中的一方")
UNKNOWN_ALLIANCE = ("invalid_alliance", "所选联盟不存在，或主办园不是该联盟的成员园")
UNKNOWN_PEOPLE = (
    "unknown_people",
    "所选人员不存在，或不是主办园、结对园或所属联盟成员园的教职工",
)


#: A host the caller may not hold activities at answers like one that does not exist.
UNKNOWN_HOST = "您只能在本园、所帮扶的被帮扶园（须选择有效期内的结对）或所牵头联盟的幼儿园组织活动"


async def check_host(
    principal: Principal,
    *,
    host_id: int,
    pairing_id: int | None,
    alliance_id: int | None,
    day: date,
) -> None:
    """Who may host where.

    Runners host at their own kindergarten; the 帮扶园's runners also at the 被帮扶园 of a
    pairing whose cycle holds the activity's day (送教下乡 happens there and counts as
    每月到园 only there); an alliance lead's runners at its member kindergartens.
    """
    if principal.is_admin:
        return
    mine = principal.scope_ids("kindergarten", access.RUNNERS)
    if host_id in mine:
        return
    if alliance_id is not None:
        lead = await orgs.alliance_lead_id(alliance_id=alliance_id)
        if lead in mine and host_id in await orgs.alliance_member_ids(alliance_id=alliance_id):
            return
    if pairing_id is not None:
        sides = await orgs.pairing_sides(pairing_id=pairing_id)
        if sides and sides[0] in mine and sides[1] == host_id:
            pairing = await orgs.get_pairing(principal=principal, pairing_id=pairing_id)
            start = date.fromisoformat(pairing["cycle_start"])
            end = date.fromisoformat(pairing["cycle_end"])
            if start <= day <= end:
                return
            raise DomainError(
                "pairing_not_active",
                f"活动日期 {day.isoformat()} 不在该结对的帮扶周期（{start.isoformat()} 至 "
                f"{end.isoformat()}）内，不能在被帮扶园举办",
            )
    # Unknown kindergartens and other kindergartens get this same answer (ids are sequential).
    raise Forbidden(UNKNOWN_HOST)


async def check_links(
    principal: Principal, *, host_id: int, pairing_id: int | None, alliance_id: int | None
) -> None:
    """The pairing has the host as one side, the alliance holds it, the caller manages it."""
    visible = await orgs.visible_kindergarten_ids(principal)
    if pairing_id is not None:
        sides = set(await orgs.pairing_sides(pairing_id=pairing_id))
        # A pairing the caller cannot see is answered as one that does not exist.
        if host_id not in sides or (visible is not None and not sides & visible):
            raise DomainError(*UNKNOWN_PAIRING)
    if alliance_id is not None:
        members = await orgs.alliance_member_ids(alliance_id=alliance_id)
        alliances = await orgs.visible_alliance_ids(principal)
        if host_id not in members or (alliances is not None and alliance_id not in alliances):
            raise DomainError(*UNKNOWN_ALLIANCE)
    probe = Activity(host_id=host_id, pairing_id=pairing_id, alliance_id=alliance_id)
    if not await access.can_manage(principal, probe):
        raise Forbidden(UNKNOWN_HOST)
    if principal.is_admin:
        await orgs.ensure_can_view_kindergarten(principal=principal, kindergarten_id=host_id)


async def reach(*, host_id: int, pairing_id: int | None, alliance_id: int | None) -> set[int]:
    """Kindergartens whose staff may present at or be invited to the activity."""
    ids = {host_id}
    if pairing_id is not None:
        ids |= set(await orgs.pairing_sides(pairing_id=pairing_id))
    if alliance_id is not None:
        ids |= await orgs.alliance_member_ids(alliance_id=alliance_id)
    return ids


async def check_people(
    person_ids: Sequence[int], *, reach: set[int], already: set[int] | frozenset[int] = frozenset()
) -> None:
    """Presenters and invitees are staff of the activity's kindergartens (or already on it).

    Anyone else, existing or not, gets one answer naming no id: ids are sequential.
    """
    wanted = set(person_ids) - set(already)
    if not wanted:
        return
    if wanted - await orgs.staff_among(person_ids=wanted, kindergarten_ids=reach):
        raise DomainError(*UNKNOWN_PEOPLE)


async def audience_ids(
    principal: Principal,
    *,
    mode: AudienceMode,
    given: list[int],
    host_id: int,
    pairing_id: int | None,
    alliance_id: int | None,
    kind: ActivityKind | None = None,
) -> list[int]:
    """The audience kindergartens: checked against the caller's sight, defaulted.

    By default a pairing's activity is for the staff of both its sides and the host; a 送教
    or a 跟岗学习 is help given to the supported side, so it is for the supported
    kindergarten's staff alone: the sending side comes as presenters and organizer, and is
    not counted among "N名教师参加" (issue 16, item 14; docs/decisions.md).
    """
    if mode == AudienceMode.ALLIANCE and alliance_id is None:
        raise DomainError("invalid_audience", "面向联盟的活动须选择所属联盟")
    if mode in (AudienceMode.INVITED, AudienceMode.ALLIANCE):
        return []
    sides = tuple(await orgs.pairing_sides(pairing_id=pairing_id)) if pairing_id else ()
    wanted = list(dict.fromkeys(given))
    if not wanted:
        if mode == AudienceMode.KINDERGARTENS and kind in HELP_GIVEN_KINDS and len(sides) == 2:
            return [sides[1]]
        return sorted({host_id} | (set(sides) if mode == AudienceMode.KINDERGARTENS else set()))
    own = {host_id} | set(sides)
    if alliance_id is not None:
        own |= await orgs.alliance_member_ids(alliance_id=alliance_id)
    visible = await orgs.visible_kindergarten_ids(principal)
    for kid in wanted:
        if kid in own or (visible is not None and kid in visible):
            continue
        refusal = DomainError("invalid_audience", f"幼儿园（编号 {kid}）不存在或不在您的范围内")
        if visible is not None:
            raise refusal
        try:  # an admin sees every kindergarten: only existence is left to check
            await orgs.ensure_can_view_kindergarten(principal=principal, kindergarten_id=kid)
        except NotFound as exc:
            raise refusal from exc
    return wanted


async def host_place(principal: Principal, host_id: int) -> dict:
    """The host kindergarten's address and coordinates, to default the venue."""
    try:
        host = await orgs.get_kindergarten(principal=principal, kindergarten_id=host_id)
    except NotFound:
        return {}
    return {"address": host.get("address") or "", "lat": host.get("lat"), "lng": host.get("lng")}
