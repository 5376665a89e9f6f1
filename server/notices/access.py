"""Who may send, manage or read a notice.

Senders: directors and organizers of the notice's kindergarten, and admins. Leaders see
notices of kindergartens in their region or alliance, as roll-ups without names.
Recipients see a published notice with totals only.
"""

from __future__ import annotations

from enum import StrEnum

from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.notices.models import Notice, NoticeRecipient, NoticeStatus
from server.orgs import service as orgs

SENDERS = ("director", "organizer")
STAFF = ("teacher", "organizer", "director")


class Seat(StrEnum):
    """How the caller looks at a notice."""

    MANAGER = "manager"  #: may edit, publish, remind; sees names
    LEADER = "leader"  #: read-only roll-ups, no names
    RECIPIENT = "recipient"  #: her own receipt and totals


def sender_kindergarten_ids(principal: Principal) -> set[int]:
    """Kindergartens whose notices the caller may send (admins: see is_admin)."""
    return principal.scope_ids("kindergarten", SENDERS)


async def ensure_can_send(*, principal: Principal, kindergarten_id: int) -> None:
    """Refuse unless the caller directs or organizes at this kindergarten (or is admin)."""
    if principal.is_admin:
        if not await orgs.kindergarten_names(kindergarten_ids={kindergarten_id}):
            raise NotFound("幼儿园")
        return
    if kindergarten_id not in sender_kindergarten_ids(principal):
        raise Forbidden("您只能以本园名义发送通知（园长或保教主任）")


def can_manage(principal: Principal, notice: Notice) -> bool:
    """True when the caller may change the notice and see who read it."""
    return principal.is_admin or notice.kindergarten_id in sender_kindergarten_ids(principal)


async def seat_of(principal: Principal, notice: Notice) -> Seat | None:
    """The caller's view of the notice, or None when it is not for her eyes."""
    if can_manage(principal, notice):
        return Seat.MANAGER
    sent = notice.status in (NoticeStatus.PUBLISHED, NoticeStatus.CANCELLED)
    if sent and notice.kindergarten_id in await orgs.kindergarten_ids_led(principal):
        return Seat.LEADER
    if (
        principal.person_id
        and notice.status in (NoticeStatus.PUBLISHED, NoticeStatus.CANCELLED)
        and await NoticeRecipient.exists(notice_id=notice.id, person_id=principal.person_id)
    ):
        return Seat.RECIPIENT
    return None


async def get_notice(*, principal: Principal, notice_id: int) -> tuple[Notice, Seat]:
    """The notice and the caller's seat; 404 when she may not see it."""
    notice = await Notice.get_or_none(id=notice_id)
    if notice is None:
        raise NotFound("通知")
    seat = await seat_of(principal, notice)
    if seat is None:
        raise await _refusal(principal, notice)
    return notice, seat


async def get_managed_notice(*, principal: Principal, notice_id: int) -> Notice:
    """The notice if the caller may manage it; 403 if she only sees it, else 404."""
    notice, seat = await get_notice(principal=principal, notice_id=notice_id)
    if seat != Seat.MANAGER:
        raise Forbidden("只有本园园长、保教主任或管理员可以管理该通知")
    return notice


async def get_recipient(*, principal: Principal, notice_id: int) -> tuple[Notice, NoticeRecipient]:
    """The published notice and the caller's receipt; not_recipient when she has none."""
    notice = await Notice.get_or_none(id=notice_id)
    if notice is None:
        raise NotFound("通知")
    receipt = None
    if principal.person_id:
        receipt = await NoticeRecipient.get_or_none(
            notice_id=notice.id, person_id=principal.person_id
        )
    if receipt is None:
        if await seat_of(principal, notice) is None:
            raise await _refusal(principal, notice)
        raise _not_recipient()
    return notice, receipt


async def _refusal(principal: Principal, notice: Notice) -> DomainError:
    """not_recipient for people of the notice's kindergarten, else not found."""
    if notice.status in (NoticeStatus.PUBLISHED, NoticeStatus.CANCELLED):
        if notice.kindergarten_id in principal.scope_ids("kindergarten", STAFF):
            return _not_recipient()
        children = principal.scope_ids("child", ["parent"])
        if children and notice.kindergarten_id in await orgs.kindergartens_of_children(
            child_ids=children
        ):
            return _not_recipient()
    return NotFound("通知")


def _not_recipient() -> DomainError:
    return DomainError("not_recipient", "您不在该通知的接收范围内", status=403)
