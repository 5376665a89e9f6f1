"""Reading notices: one notice as the caller may see it, the sent list, my notices.

Recipients see the content, their own receipt and answer, and totals; never another
family's name (see present.public_totals).
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.expressions import Case, Q, When

from server.common.auth import Principal
from server.common.errors import DomainError
from server.notices import access, feedback, outbox, present
from server.notices.access import Seat
from server.notices.models import (
    AckMode,
    Notice,
    NoticeFeedback,
    NoticeRecipient,
    NoticeRsvp,
    NoticeStatus,
)
from server.orgs import service as orgs

SENT = (NoticeStatus.PUBLISHED, NoticeStatus.CANCELLED)


async def get_notice(*, principal: Principal, notice_id: int) -> dict:
    """One notice as the caller may see it: sender's view or recipient's view."""
    notice, seat = await access.get_notice(principal=principal, notice_id=notice_id)
    if seat == Seat.RECIPIENT:
        return await recipient_view(principal=principal, notice=notice)
    return await present.sender_view(notice, manager=seat == Seat.MANAGER)


async def recipient_view(*, principal: Principal, notice: Notice) -> dict:
    """The notice, the caller's own receipt and answer, and totals (never who)."""
    receipt = await NoticeRecipient.get(notice_id=notice.id, person_id=principal.person_id)
    names = await orgs.kindergarten_names(kindergarten_ids={notice.kindergarten_id})
    activity = (await present.activity_views([notice])).get(notice.activity_id)
    data = present.content(
        notice, kindergarten_name=names.get(notice.kindergarten_id), activity=activity
    )
    answer = await NoticeRsvp.get_or_none(notice_id=notice.id, family=receipt.family)
    rating = await NoticeFeedback.get_or_none(notice_id=notice.id, family=receipt.family)
    data["me"] = {
        "read_at": present.iso(receipt.read_at),
        "confirmed_at": present.iso(receipt.confirmed_at),
        "rsvp": present.rsvp_view(notice, answer, await present.waitlist_position(answer)),
        "feedback": ({"stars": rating.stars, "comment": rating.comment} if rating else None),
        # Whether her family checked in to the linked activity, so it may rate it (the
        # mini-program shows the rating form only then, and says why otherwise).
        "attended": receipt.family in await feedback.attended_families(notice),
    }
    data["totals"] = present.public_totals(notice, (await present.counts([notice]))[notice.id])
    return data


async def list_sent(
    *,
    principal: Principal,
    status: str | None = None,
    kindergarten_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict:
    """Notices of the kindergartens the caller sends for (or leads), newest first."""
    query = Notice.all()
    managed = access.sender_kindergarten_ids(principal)
    if not principal.is_admin:
        # Leaders see what was sent, not the drafts.
        led = await orgs.kindergarten_ids_led(principal)
        query = query.filter(
            Q(kindergarten_id__in=list(managed))
            | Q(kindergarten_id__in=list(led), status__in=list(SENT))
        )
    if status:
        try:
            query = query.filter(status=NoticeStatus(status))
        except ValueError as exc:
            raise DomainError(
                "invalid_input", "状态参数须为 draft、scheduled、published 或 cancelled"
            ) from exc
    if kindergarten_id is not None:
        query = query.filter(kindergarten_id=kindergarten_id)
    total = await query.count()
    rows = await query.order_by("-created_at", "-id").offset(offset).limit(limit)
    mine = {n.id for n in rows if principal.is_admin or n.kindergarten_id in managed}
    return {"items": await present.sender_views(rows, managed=mine), "total": total}


async def list_mine(*, principal: Principal, limit: int = 50, offset: int = 0) -> dict:
    """Notices the caller received: unread first, then newest first."""
    if principal.person_id is None:
        return {"items": [], "total": 0, "unread": 0}
    query = NoticeRecipient.filter(
        person_id=principal.person_id,
        notice__status__in=[NoticeStatus.PUBLISHED, NoticeStatus.CANCELLED],
    )
    total = await query.count()
    unread = await query.filter(read_at__isnull=True).count()
    receipts = (
        await query.annotate(read_rank=Case(When(read_at__isnull=True, then="0"), default="1"))
        .order_by("read_rank", "-notice__published_at", "-id")
        .offset(offset)
        .limit(limit)
    )
    notices = {n.id: n for n in await Notice.filter(id__in=[r.notice_id for r in receipts])}
    names = await orgs.kindergarten_names(
        kindergarten_ids={n.kindergarten_id for n in notices.values()}
    )
    answers = await _family_answers(receipts)
    items = []
    for receipt in receipts:
        notice = notices[receipt.notice_id]
        answer = answers.get((notice.id, receipt.family))
        items.append(
            {
                "id": notice.id,
                "title": notice.title,
                "kindergarten_name": names.get(notice.kindergarten_id),
                "snippet": notice.body[: outbox.SNIPPET],
                "ack_mode": AckMode(notice.ack_mode).value,
                "deadline": present.iso(notice.deadline),
                "status": NoticeStatus(notice.status).value,
                "published_at": present.iso(notice.published_at),
                "version": notice.version,
                "read": receipt.read_at is not None,
                "confirmed": receipt.confirmed_at is not None,
                "rsvp_status": answer,
            }
        )
    return {"items": items, "total": total, "unread": unread}


async def _family_answers(receipts: Sequence[NoticeRecipient]) -> dict[tuple[int, str], str]:
    if not receipts:
        return {}
    rows = await NoticeRsvp.filter(
        notice_id__in=[r.notice_id for r in receipts],
        family__in=list({r.family for r in receipts}),
    ).values_list("notice_id", "family", "status")
    return {(nid, fam): str(status) for nid, fam, status in rows}
