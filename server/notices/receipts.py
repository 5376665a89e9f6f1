"""Read receipts and confirmations, and the roll-ups senders and leaders see.

Names appear only in the sender's view (the kindergarten's directors and organizers,
admins); leaders get the same roll-up without names; recipients get totals only (see
service.recipient_view). Children's names appear nowhere.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden
from server.common.time import china, now
from server.notices import access, outbox, present
from server.notices.access import Seat
from server.notices.models import (
    RSVP_LABELS,
    AckMode,
    Notice,
    NoticeRecipient,
    NoticeRsvp,
    NoticeStatus,
    RsvpStatus,
)
from server.orgs import service as orgs

log = logging.getLogger("songjiao.notices")
STAFF_GROUP = "教职工"


async def mark_read(*, principal: Principal, notice_id: int) -> dict:
    """The caller opened the notice in the mini-program."""
    notice, receipt = await access.get_recipient(principal=principal, notice_id=notice_id)
    at = china(now())
    await NoticeRecipient.filter(id=receipt.id, read_at__isnull=True).update(read_at=at)
    await outbox.mark_inbox_read(notice_id=notice.id, person_id=receipt.person_id)
    await receipt.refresh_from_db()
    return {"notice_id": notice.id, "read_at": present.iso(receipt.read_at)}


async def confirm(*, principal: Principal, notice_id: int) -> dict:
    """The caller confirms she received the notice (confirm mode)."""
    notice, receipt = await access.get_recipient(principal=principal, notice_id=notice_id)
    if notice.status == NoticeStatus.CANCELLED:
        raise DomainError("notice_cancelled", "通知已取消，无需确认", status=409)
    if notice.ack_mode != AckMode.CONFIRM:
        raise DomainError("not_confirm", "该通知无需确认收到", status=409)
    at = china(now())
    if notice.deadline is not None and at >= notice.deadline and receipt.confirmed_at is None:
        raise DomainError("deadline_passed", "确认已截止")
    await NoticeRecipient.filter(id=receipt.id, read_at__isnull=True).update(read_at=at)
    await NoticeRecipient.filter(id=receipt.id, confirmed_at__isnull=True).update(confirmed_at=at)
    await outbox.mark_inbox_read(notice_id=notice.id, person_id=receipt.person_id)
    await receipt.refresh_from_db()
    return {
        "notice_id": notice.id,
        "read_at": present.iso(receipt.read_at),
        "confirmed_at": present.iso(receipt.confirmed_at),
        "message": "已确认收到",
    }


def _group() -> dict:
    return {
        "recipients": 0,
        "read": 0,
        "unread": 0,
        "confirmed": 0,
        "rsvp_yes": 0,
        "rsvp_waitlisted": 0,
        "rsvp_no": 0,
        "unanswered": 0,
        "adults": 0,
        "children": 0,
    }


def _add(group: dict, receipt: NoticeRecipient) -> None:
    group["recipients"] += 1
    group["read" if receipt.read_at else "unread"] += 1
    if receipt.confirmed_at:
        group["confirmed"] += 1


def _add_family(group: dict, answer: NoticeRsvp | None) -> None:
    status = RsvpStatus(answer.status) if answer else None
    if status == RsvpStatus.CONFIRMED:
        group["rsvp_yes"] += 1
        group["adults"] += answer.adults
        group["children"] += answer.children
    elif status == RsvpStatus.WAITLISTED:
        group["rsvp_waitlisted"] += 1
    elif status == RsvpStatus.DECLINED:
        group["rsvp_no"] += 1
    else:
        group["unanswered"] += 1


#: Filters of the people list: who has not read, confirmed or answered yet.
PEOPLE_FILTERS = ("unread", "unconfirmed", "unanswered")


async def rollup(
    *,
    principal: Principal,
    notice_id: int,
    limit: int = 50,
    offset: int = 0,
    only: str | None = None,
    class_id: int | None = None,
) -> dict:
    """Who read, confirmed and answered, by class and kindergarten; names for senders.

    The people list (senders only) is one page of `limit` from `offset`, optionally only
    those who have not read, confirmed or answered, or only one class.
    """
    if only is not None and only not in PEOPLE_FILTERS:
        raise DomainError(
            "invalid_input",
            "筛选条件须为 unread（未读）、unconfirmed（未确认）或 unanswered（未回复）",
        )
    wanted_class = class_id  # the loop below reuses the name
    notice, seat = await access.get_notice(principal=principal, notice_id=notice_id)
    if seat == Seat.RECIPIENT:
        raise Forbidden("回执统计仅发送人、园长及上级领导可以查看")
    receipts = await NoticeRecipient.filter(notice_id=notice.id).order_by("class_id", "id")
    answers = {a.family: a for a in await NoticeRsvp.filter(notice_id=notice.id)}
    classes = await orgs.classes_of_kindergarten(kindergarten_id=notice.kindergarten_id)
    kindergarten_names = await orgs.kindergarten_names(kindergarten_ids={notice.kindergarten_id})
    by_class: dict[int | None, dict] = defaultdict(_group)
    total = _group()
    seen_families: set[str] = set()
    for receipt in receipts:
        _add(by_class[receipt.class_id], receipt)
        _add(total, receipt)
        if receipt.family not in seen_families:
            seen_families.add(receipt.family)
            _add_family(by_class[receipt.class_id], answers.get(receipt.family))
            _add_family(total, answers.get(receipt.family))
    rsvp_mode = notice.ack_mode == AckMode.RSVP
    class_rows = []
    for class_id, group in by_class.items():
        name, grade = classes.get(class_id, (STAFF_GROUP if class_id is None else "（已删除）", ""))
        class_rows.append({"class_id": class_id, "class_name": name, "grade": grade, **group})
    data = {
        "notice_id": notice.id,
        "ack_mode": AckMode(notice.ack_mode).value,
        "version": notice.version,
        "totals": total,
        "by_kindergarten": [
            {
                "kindergarten_id": notice.kindergarten_id,
                "kindergarten_name": kindergarten_names.get(notice.kindergarten_id),
                **total,
            }
        ],
        "by_class": class_rows,
        "names_visible": seat == Seat.MANAGER,
        "delivery": await _delivery(notice),
    }
    if rsvp_mode:
        data["capacity"] = notice.capacity
        data["places_left"] = (await present.counts([notice]))[notice.id]["places_left"]
    if seat == Seat.MANAGER:
        chosen = [
            r
            for r in receipts
            if (wanted_class is None or r.class_id == wanted_class) and _matches(r, answers, only)
        ]
        page = chosen[offset : offset + limit]
        data["people"] = await _people(notice, page, answers, classes)
        data["people_total"] = len(chosen)
        data["people_page"] = {
            "limit": limit,
            "offset": offset,
            "only": only,
            "class_id": wanted_class,
        }
    return data


def _matches(receipt: NoticeRecipient, answers: dict[str, NoticeRsvp], only: str | None) -> bool:
    if only == "unread":
        return receipt.read_at is None
    if only == "unconfirmed":
        return receipt.confirmed_at is None
    if only == "unanswered":
        return receipt.family not in answers
    return True


async def _people(
    notice: Notice,
    receipts: list[NoticeRecipient],
    answers: dict[str, NoticeRsvp],
    classes: dict[int, tuple[str, str]],
) -> list[dict]:
    """Each recipient with her receipt and her family's answer (senders only)."""
    names = await orgs.person_names(person_ids=[r.person_id for r in receipts])
    order = {r.id: i + 1 for i, r in enumerate(await present.waiting(notice.id))}
    out = []
    for receipt in receipts:
        answer = answers.get(receipt.family)
        status = RsvpStatus(answer.status) if answer else None
        out.append(
            {
                "person_id": receipt.person_id,
                "name": names.get(receipt.person_id),
                "role": receipt.role,
                "class_id": receipt.class_id,
                "class_name": classes.get(receipt.class_id, (STAFF_GROUP, ""))[0]
                if receipt.class_id or receipt.role == "staff"
                else None,
                "read_at": present.iso(receipt.read_at),
                "confirmed_at": present.iso(receipt.confirmed_at),
                "rsvp_status": status.value if status else None,
                "rsvp_label": RSVP_LABELS[status] if status else "未回复",
                "adults": answer.adults if answer else 0,
                "children": answer.children if answer else 0,
                "waitlist_position": order.get(answer.id) if answer else None,
            }
        )
    return out


async def _delivery(notice: Notice) -> dict | None:
    """How the publication message fared (queued/sent/failed/read), if known."""
    if notice.published_at is None:
        return None
    try:
        return await outbox.delivery_counts(key=outbox.published_key(notice.id))
    except Exception as exc:  # noqa: BLE001 - the roll-up stands without delivery figures
        log.warning("delivery counts of notice %s unavailable: %s", notice.id, type(exc).__name__)
        return None
