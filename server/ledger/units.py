"""The unit whose books a line belongs to (a pairing, or an alliance's own books), and who
may see, record and confirm in it.

- A pairing's parties are its two kindergartens: the 帮扶园 gives, the 被帮扶园 receives.
- An alliance's parties are its members: the 牵头园 gives (and keeps the books), each other
  member receives; a fund line is between the 牵头园 and the member it concerns.
- Seeing: organizers and directors of a party, leaders whose region or alliance holds a
  party, admins. Teachers and parents are refused by the routes; parents see the 公示 once
  it is published as a 公众号 post. Anything outside the caller's sight answers exactly as
  a unit that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.orgs import service as orgs

KINDS = ("pairing", "alliance")
KIND_LABELS = {"pairing": "结对", "alliance": "联盟"}
#: Roles that keep a kindergarten's books (record lines, upload photos and receipts).
KEEPERS = ("organizer", "director")


@dataclass(frozen=True)
class Unit:
    """A pairing or an alliance, with its parties and the side that gives."""

    kind: str
    id: int
    name: str
    #: The 帮扶园 of a pairing, the 牵头园 of an alliance (None: an alliance without a lead).
    giver_id: int | None
    #: Both kindergartens of a pairing; every member of an alliance.
    parties: frozenset[int]
    names: dict[int, str]

    @property
    def key(self) -> dict:
        """The filter of this unit's lines."""
        return {"pairing_id": self.id} if self.kind == "pairing" else {"alliance_id": self.id}

    @property
    def receiver_id(self) -> int | None:
        """A pairing's 被帮扶园 (an alliance names the receiving member on each line)."""
        if self.kind != "pairing":
            return None
        return next(iter(self.parties - {self.giver_id}), None)

    def label(self) -> str:
        """结对 or 联盟."""
        return KIND_LABELS[self.kind]


def missing(kind: str) -> NotFound:
    """The answer for a unit that does not exist or is not in sight."""
    return NotFound(KIND_LABELS.get(kind, "结对"))


async def load_unit(*, kind: str, unit_id: int) -> Unit:
    """The unit with its parties (no scope check); NotFound when it does not exist."""
    if kind == "pairing":
        sides = await orgs.pairing_sides(pairing_id=unit_id)
        if not sides:
            raise missing(kind)
        names = await orgs.kindergarten_names(kindergarten_ids=set(sides))
        name = f"{names.get(sides[0], '')}—{names.get(sides[1], '')}"
        return Unit(kind, unit_id, name, sides[0], frozenset(sides), names)
    if kind != "alliance":
        raise missing(kind)
    name = await orgs.alliance_name(alliance_id=unit_id)
    if name is None:
        raise missing(kind)
    members = await orgs.alliance_member_ids(alliance_id=unit_id)
    lead = await orgs.alliance_lead_id(alliance_id=unit_id)
    names = await orgs.kindergarten_names(kindergarten_ids=set(members))
    return Unit(kind, unit_id, name, lead if lead in members else None, frozenset(members), names)


def keeps_books_of(principal: Principal) -> set[int]:
    """Kindergartens whose books the caller keeps (organizer or director)."""
    return principal.scope_ids("kindergarten", KEEPERS)


def directs(principal: Principal) -> set[int]:
    """Kindergartens the caller directs."""
    return principal.scope_ids("kindergarten", ["director"])


async def sees(principal: Principal, unit: Unit) -> bool:
    """Whether the caller may see the unit's books."""
    if principal.is_admin:
        return True
    if keeps_books_of(principal) & unit.parties:
        return True
    if unit.kind == "alliance" and unit.id in principal.scope_ids("alliance", ["leader"]):
        return True
    return bool(await orgs.kindergarten_ids_led(principal) & unit.parties)


async def visible_unit(principal: Principal, *, kind: str, unit_id: int) -> Unit:
    """The unit if the caller may see it; else exactly the answer for an unknown one."""
    unit = await load_unit(kind=kind, unit_id=unit_id)
    if not await sees(principal, unit):
        raise missing(kind)
    return unit


def ensure_giver(principal: Principal, unit: Unit) -> int:
    """The giving side, if the caller keeps its books (admins too); refused otherwise."""
    if unit.giver_id is None:
        raise DomainError(
            "no_lead_kindergarten",
            "该联盟尚未设置牵头园，设置后由牵头园登记捐赠与经费",
            status=409,
        )
    if principal.is_admin or unit.giver_id in keeps_books_of(principal):
        return unit.giver_id
    who = "帮扶园" if unit.kind == "pairing" else "联盟牵头园"
    raise Forbidden(f"只有{who}的园长或组织者可以登记捐赠")


def recording_side(principal: Principal, unit: Unit) -> int:
    """The party a fund line is recorded for: the caller's own (the giving side first)."""
    mine = keeps_books_of(principal) & unit.parties
    if unit.giver_id is not None and (principal.is_admin or unit.giver_id in mine):
        return unit.giver_id
    if mine:
        return min(mine)
    raise Forbidden("只有结对双方或联盟成员园的园长、组织者可以登记经费")


def counterpart_of(unit: Unit, recorder_id: int, counterpart_id: int | None) -> int:
    """The side that confirms a fund line recorded by `recorder_id`.

    A pairing's other kindergarten; in an alliance the member named (when the 牵头园 records)
    or the 牵头园 (when a member records). A kindergarten outside the unit is answered as
    one that does not exist.
    """
    if unit.kind == "pairing":
        other = unit.parties - {recorder_id}
        if counterpart_id is not None and counterpart_id not in other:
            raise _not_that(unit, counterpart_id, "经费须由结对的另一方确认")
        return next(iter(other))
    if unit.giver_id is None:
        raise DomainError(
            "no_lead_kindergarten", "该联盟尚未设置牵头园，设置后由牵头园登记经费", status=409
        )
    if recorder_id != unit.giver_id:
        if counterpart_id is not None and counterpart_id != unit.giver_id:
            raise _not_that(unit, counterpart_id, "成员园登记的经费由联盟牵头园确认")
        return unit.giver_id
    if counterpart_id is None:
        raise DomainError("counterpart_required", "请选择这笔经费涉及的联盟成员园（由其园长确认）")
    if counterpart_id not in unit.parties - {unit.giver_id}:
        raise _not_that(unit, counterpart_id, "请选择牵头园以外的联盟成员园")
    return counterpart_id


def recipient_of(unit: Unit, recipient_id: int | None) -> int:
    """The receiving kindergarten of a donation: the 被帮扶园, or the alliance member named."""
    if unit.kind == "pairing":
        receiver = unit.receiver_id
        if recipient_id is not None and recipient_id != receiver:
            raise _not_that(unit, recipient_id, "结对的捐赠由被帮扶园接收")
        return receiver
    if recipient_id is None:
        raise DomainError("recipient_required", "请选择接收捐赠的联盟成员园")
    if recipient_id not in unit.parties - {unit.giver_id}:
        raise _not_that(unit, recipient_id, "请选择牵头园以外的联盟成员园")
    return recipient_id


def _not_that(unit: Unit, kindergarten_id: int, why: str) -> DomainError:
    """A party of the unit in the wrong place is told why; anything else is unknown."""
    if kindergarten_id in unit.parties:
        return DomainError("invalid_kindergarten", why)
    return NotFound("幼儿园")
