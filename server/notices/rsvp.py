"""RSVP: one answer per family, places, an ordered waitlist, invitations to the open day.

Capacity counts people (adults + children) by default, or families when the sender says
so. A yes that does not fit joins the waitlist (never refused); when places free up the
waitlist moves up strictly in order: the first waiting family is served first, and nobody
behind it jumps ahead even if a smaller family would fit. A yes family of a notice linked
to an activity is invited to it by name, so it may check in on the day.

Every change runs in a transaction holding the notice row, so two answers never take
the same last place.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from server.activities import notify as activity_notify
from server.activities import service as activities
from server.checkin import service as checkin_service
from server.common.auth import Principal
from server.common.errors import DomainError
from server.common.time import china, now
from server.notices import access, outbox, present
from server.notices import notice_rules as rules
from server.notices.models import (
    RSVP_LABELS,
    AckMode,
    CapacityUnit,
    Notice,
    NoticeRecipient,
    NoticeRsvp,
    NoticeStatus,
    RsvpStatus,
)

ANSWERS = ("yes", "no")
HOLDING = (RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED)


def _unit(notice: Notice) -> str:
    return "户" if notice.capacity_unit == CapacityUnit.FAMILIES else "人"


def _check_open(notice: Notice) -> None:
    if notice.status == NoticeStatus.CANCELLED:
        raise DomainError("notice_cancelled", "通知已取消，无需再回复", status=409)
    if notice.ack_mode != AckMode.RSVP:
        raise DomainError("not_rsvp", "该通知无需报名", status=409)


async def _check_activity_open(notice: Notice) -> None:
    """No answer (yes, no or withdrawn) for an activity that was cancelled."""
    if not notice.activity_id:
        return
    brief = (await activities.activity_briefs(activity_ids=[notice.activity_id])).get(
        notice.activity_id
    )
    if brief is not None and brief["status"] == "cancelled":
        raise DomainError("activity_cancelled", rules.RSVP_CLOSED_CANCELLED, status=409)


async def cancelled_activity_ids(activity_ids: set[int]) -> set[int]:
    """Those of `activity_ids` that were cancelled."""
    if not activity_ids:
        return set()
    briefs = await activities.activity_briefs(activity_ids=list(activity_ids))
    return {aid for aid, brief in briefs.items() if brief["status"] == "cancelled"}


def _check_deadline(notice: Notice) -> None:
    if notice.deadline is not None and now() >= notice.deadline:
        when = china(notice.deadline).strftime("%Y-%m-%d %H:%M")
        raise DomainError("deadline_passed", f"报名已于 {when} 截止，不能再报名或修改")


def _check_counts(notice: Notice, answer: str, adults: int, children: int) -> tuple[int, int]:
    if answer not in ANSWERS:
        raise DomainError("invalid_answer", "回复须为 yes（参加）或 no（不参加）")
    if answer == "no":
        return 0, 0
    if not 1 <= adults <= notice.max_adults:
        raise DomainError("adults_out_of_range", f"每户可报名成人 1 至 {notice.max_adults} 人")
    if not 0 <= children <= notice.max_children:
        raise DomainError("children_out_of_range", f"每户可报名幼儿 0 至 {notice.max_children} 人")
    return adults, children


async def _taken(notice: Notice, *, excluding: int | None = None) -> int:
    rows = NoticeRsvp.filter(notice_id=notice.id, status=RsvpStatus.CONFIRMED)
    if excluding is not None:
        rows = rows.exclude(id=excluding)
    return sum(
        present.seats(notice.capacity_unit, a, c)
        for a, c in await rows.values_list("adults", "children")
    )


async def _family_people(notice_id: int, family: str) -> list[int]:
    return list(
        await NoticeRecipient.filter(notice_id=notice_id, family=family).values_list(
            "person_id", flat=True
        )
    )


async def _invite(notice: Notice, row: NoticeRsvp) -> None:
    """A confirmed family may check in to the linked activity."""
    if not notice.activity_id:
        return
    people = await _family_people(notice.id, row.family)
    added = await activities.add_invitees(activity_id=notice.activity_id, person_ids=people)
    row.invited_person_ids = sorted(set(row.invited_person_ids or []) | set(added))


async def _uninvite(notice: Notice, row: NoticeRsvp) -> None:
    """Withdraw only the invitations this answer made (an organizer's own stay)."""
    if notice.activity_id and row.invited_person_ids:
        await activities.remove_invitees(
            activity_id=notice.activity_id, person_ids=row.invited_person_ids
        )
    row.invited_person_ids = []


async def answer_invitees(activity_id: int) -> set[int]:
    """People invited to an activity because their family said yes to its notice."""
    rows = await NoticeRsvp.filter(
        notice__activity_id=activity_id, status=RsvpStatus.CONFIRMED
    ).values_list("invited_person_ids", flat=True)
    return {p for people in rows for p in (people or [])}


def connect() -> None:
    """Keep these invitations when an organizer replaces the invitee list (safe to call again)."""
    activities.keep_answer_invitees(answer_invitees)


async def signed_up_people(activity_id: int) -> set[int]:
    """Everyone of a family that said yes (confirmed or waiting) to a notice of the activity."""
    rows = await NoticeRsvp.filter(
        notice__activity_id=activity_id,
        notice__status=NoticeStatus.PUBLISHED,
        status__in=list(HOLDING),
    ).values_list("notice_id", "family")
    people: set[int] = set()
    for notice_id, family in set(rows):
        people |= set(await _family_people(notice_id, family))
    return people


activity_notify.tell_signed_up_on_cancel(signed_up_people)


async def unconfirmed_answers(activity_id: int) -> dict[int, str]:
    """People of families waitlisted, saying no or withdrawn on a published notice of it.

    A family confirmed on another notice of the same activity is expected, not flagged.
    """
    rows = await NoticeRsvp.filter(
        notice__activity_id=activity_id, notice__status=NoticeStatus.PUBLISHED
    ).values_list("notice_id", "family", "status")
    flagged: dict[int, str] = {}
    confirmed: set[int] = set()
    for notice_id, family, status in rows:
        people = await _family_people(notice_id, family)
        if status == RsvpStatus.CONFIRMED:
            confirmed.update(people)
        else:  # waiting, said no, or withdrew the yes
            label = "已取消报名" if status == RsvpStatus.CANCELLED else RSVP_LABELS[status]
            flagged.update(dict.fromkeys(people, label))
    return {p: label for p, label in flagged.items() if p not in confirmed}


checkin_service.flag_answers(unconfirmed_answers)


async def confirmed_headcount(activity_id: int, person_id: int) -> tuple[int, int] | None:
    """(adults, children) of the person's family's confirmed yes to a notice of the activity."""
    rows = await NoticeRsvp.filter(
        notice__activity_id=activity_id,
        notice__status=NoticeStatus.PUBLISHED,
        status=RsvpStatus.CONFIRMED,
    ).values_list("notice_id", "family", "adults", "children")
    for notice_id, family, adults, children in rows:
        if person_id in await _family_people(notice_id, family):
            return adults, children
    return None


checkin_service.know_headcounts(confirmed_headcount)


async def promote(notice: Notice) -> list[NoticeRsvp]:
    """Move waiting families up, in order, while places allow (call in the transaction)."""
    promoted = []
    taken = await _taken(notice)
    for row in await present.waiting(notice.id):
        need = present.seats(notice.capacity_unit, row.adults, row.children)
        if notice.capacity is not None and taken + need > notice.capacity:
            break  # strictly in order: nobody jumps the first waiting family
        taken += need
        row.status = RsvpStatus.CONFIRMED
        row.revision += 1
        await _invite(notice, row)
        await row.save(update_fields=["status", "revision", "invited_person_ids", "updated_at"])
        promoted.append(row)
    return promoted


async def tell_promoted(notice: Notice, promoted: list[NoticeRsvp]) -> None:
    """Each promoted family hears it has a place now."""
    for row in promoted:
        await outbox.send(
            notice=notice,
            person_ids=await _family_people(notice.id, row.family),
            kind=outbox.KIND_UPDATED,
            key=f"notice:{notice.id}:promoted:{row.id}:{row.revision}",
            title=f"候补成功：{notice.title}"[:64],
            note="有名额空出，您家已由候补转为报名成功，请按时参加",
        )


async def check_capacity_change(notice: Notice, capacity: int | None) -> None:
    """Refuse a capacity below the places already confirmed."""
    if capacity is None:
        return
    taken = await _taken(notice)
    if capacity < taken:
        raise DomainError(
            "capacity_below_confirmed",
            f"已有 {taken} {_unit(notice)}报名成功，名额不能少于 {taken}",
            details={"confirmed": taken},
        )


async def withdraw_invitations(notice: Notice) -> None:
    """The notice is cancelled: the invitations its answers made go too."""
    for row in await NoticeRsvp.filter(notice_id=notice.id):
        if not row.invited_person_ids:
            continue
        await _uninvite(notice, row)
        await row.save(update_fields=["invited_person_ids", "updated_at"])


def _message(notice: Notice, row: NoticeRsvp, position: int | None) -> str:
    if row.status == RsvpStatus.CONFIRMED:
        return f"报名成功：成人 {row.adults} 人，幼儿 {row.children} 人"
    if row.status == RsvpStatus.WAITLISTED:
        return (
            f"名额已满，您家已进入候补第 {position} 位；有名额空出时将按报名先后自动递补，并通知您"
        )
    if row.status == RsvpStatus.DECLINED:
        return "已收到您的回复：不参加"
    return "已取消报名"


async def _answer_view(notice: Notice, row: NoticeRsvp) -> dict:
    position = await present.waitlist_position(row)
    totals = (await present.counts([notice]))[notice.id]
    return {
        "rsvp": present.rsvp_view(notice, row, position),
        "message": _message(notice, row, position),
        "totals": present.public_totals(notice, totals),
    }


async def answer(
    *, principal: Principal, notice_id: int, answer: str, adults: int = 1, children: int = 0
) -> dict:
    """The caller's family answers yes (with a headcount) or no."""
    notice, receipt = await access.get_recipient(principal=principal, notice_id=notice_id)
    _check_open(notice)
    await _check_activity_open(notice)
    _check_deadline(notice)
    adults, children = _check_counts(notice, answer, adults, children)
    promoted: list[NoticeRsvp] = []
    async with in_transaction():
        notice = await Notice.select_for_update().get(id=notice.id)
        _check_open(notice)
        # Again under the lock: a cancellation may have landed meanwhile.
        await _check_activity_open(notice)
        row = await NoticeRsvp.get_or_none(notice_id=notice.id, family=receipt.family)
        was = RsvpStatus(row.status) if row else None
        if row is None:
            row = NoticeRsvp(notice_id=notice.id, family=receipt.family, status=RsvpStatus.DECLINED)
        else:
            row.revision += 1
        row.person_id = principal.person_id
        need = present.seats(notice.capacity_unit, adults, children)
        if answer == "no":
            row.status, row.queued_at = RsvpStatus.DECLINED, None
        elif was == RsvpStatus.CONFIRMED:
            free = (
                None
                if notice.capacity is None
                else notice.capacity - await _taken(notice, excluding=row.id)
            )
            if free is not None and need > free:
                raise DomainError(
                    "not_enough_places",
                    f"剩余名额不足，无法改为 {need} {_unit(notice)}；您原有的报名保持不变",
                    status=409,
                )
        elif was != RsvpStatus.WAITLISTED:
            waiting = await NoticeRsvp.exists(notice_id=notice.id, status=RsvpStatus.WAITLISTED)
            fits = notice.capacity is None or (
                not waiting and await _taken(notice) + need <= notice.capacity
            )
            row.status = RsvpStatus.CONFIRMED if fits else RsvpStatus.WAITLISTED
            row.queued_at = None if fits else now()
        row.adults, row.children = adults, children
        if row.status == RsvpStatus.CONFIRMED:
            await _invite(notice, row)
        else:
            await _uninvite(notice, row)
        await row.save()
        if was == RsvpStatus.CONFIRMED or row.status == RsvpStatus.WAITLISTED:
            promoted = [p for p in await promote(notice) if p.id != row.id]
            if row.status == RsvpStatus.WAITLISTED:
                await row.refresh_from_db()
        await _mark_read(receipt)
    await tell_promoted(notice, promoted)
    return await _answer_view(notice, row)


async def cancel(*, principal: Principal, notice_id: int) -> dict:
    """The caller's family withdraws its answer; a freed place goes to the waitlist."""
    notice, receipt = await access.get_recipient(principal=principal, notice_id=notice_id)
    _check_open(notice)
    await _check_activity_open(notice)
    async with in_transaction():
        notice = await Notice.select_for_update().get(id=notice.id)
        row = await NoticeRsvp.get_or_none(notice_id=notice.id, family=receipt.family)
        if row is None or row.status == RsvpStatus.CANCELLED:
            raise DomainError("no_rsvp", "您家尚未报名，无需取消", status=409)
        was = RsvpStatus(row.status)
        row.status, row.queued_at = RsvpStatus.CANCELLED, None
        row.person_id = principal.person_id
        row.revision += 1
        await _uninvite(notice, row)
        await row.save()
        promoted = await promote(notice) if was == RsvpStatus.CONFIRMED else []
    await tell_promoted(notice, promoted)
    return await _answer_view(notice, row)


async def _mark_read(receipt: NoticeRecipient) -> None:
    if receipt.read_at is None:
        await NoticeRecipient.filter(id=receipt.id, read_at__isnull=True).update(
            read_at=china(now())
        )
        await outbox.mark_inbox_read(notice_id=receipt.notice_id, person_id=receipt.person_id)
