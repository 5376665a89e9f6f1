"""How notices look to senders, leaders and recipients (recipients see totals only)."""

from __future__ import annotations

from datetime import datetime

from tortoise.functions import Count, Sum

from server.activities import service as activities
from server.common.time import china
from server.notices import audience as audiences
from server.notices import notice_rules as rules
from server.notices.models import (
    ACK_LABELS,
    RSVP_LABELS,
    STATUS_LABELS,
    AckMode,
    CapacityUnit,
    Notice,
    NoticeRecipient,
    NoticeRsvp,
    NoticeStatus,
    RsvpStatus,
)
from server.orgs import service as orgs


def iso(moment: datetime | None) -> str | None:
    """A moment in China time, ISO 8601 (None stays None)."""
    return china(moment).isoformat() if moment else None


def seats(unit: CapacityUnit | str, adults: int, children: int) -> int:
    """Places one yes answer takes."""
    return 1 if unit == CapacityUnit.FAMILIES else adults + children


async def counts(notices: list[Notice]) -> dict[int, dict]:
    """Receipt and answer totals per notice: no names, safe for every viewer."""
    ids = [n.id for n in notices]
    out: dict[int, dict] = {
        n.id: {
            "recipients": 0,
            "read": 0,
            "confirmed": 0,
            "families": 0,
            "rsvp_yes": 0,
            "rsvp_waitlisted": 0,
            "rsvp_no": 0,
            "adults": 0,
            "children": 0,
            "places_taken": 0,
            "places_left": None,
        }
        for n in notices
    }
    if not ids:
        return out
    base = NoticeRecipient.filter(notice_id__in=ids)
    for key, query in (
        ("recipients", base),
        ("read", base.filter(read_at__not_isnull=True)),
        ("confirmed", base.filter(confirmed_at__not_isnull=True)),
    ):
        rows = await query.annotate(n=Count("id")).group_by("notice_id").values("notice_id", "n")
        for row in rows:
            out[row["notice_id"]][key] = row["n"]
    families = (
        await NoticeRecipient.filter(notice_id__in=ids)
        .distinct()
        .values_list("notice_id", "family")
    )
    for notice_id, _ in families:
        out[notice_id]["families"] += 1
    rows = (
        await NoticeRsvp.filter(notice_id__in=ids)
        .annotate(n=Count("id"), a=Sum("adults"), c=Sum("children"))
        .group_by("notice_id", "status")
        .values("notice_id", "status", "n", "a", "c")
    )
    for row in rows:
        entry = out[row["notice_id"]]
        status = RsvpStatus(row["status"])
        if status == RsvpStatus.CONFIRMED:
            entry["rsvp_yes"] = row["n"]
            entry["adults"] = int(row["a"] or 0)
            entry["children"] = int(row["c"] or 0)
        elif status == RsvpStatus.WAITLISTED:
            entry["rsvp_waitlisted"] = row["n"]
        elif status == RsvpStatus.DECLINED:
            entry["rsvp_no"] = row["n"]
    for notice in notices:
        entry = out[notice.id]
        if notice.ack_mode != AckMode.RSVP:
            continue
        taken = (
            entry["rsvp_yes"]
            if notice.capacity_unit == CapacityUnit.FAMILIES
            else entry["adults"] + entry["children"]
        )
        entry["places_taken"] = taken
        if notice.capacity is not None:
            entry["places_left"] = max(notice.capacity - taken, 0)
    return out


def public_totals(notice: Notice, entry: dict) -> dict:
    """What every recipient may see: totals, never who."""
    totals = {"recipients": entry["recipients"], "read": entry["read"]}
    if notice.ack_mode == AckMode.CONFIRM:
        totals["confirmed"] = entry["confirmed"]
    if notice.ack_mode == AckMode.RSVP:
        totals.update(
            rsvp_yes=entry["rsvp_yes"],
            rsvp_waitlisted=entry["rsvp_waitlisted"],
            places_left=entry["places_left"],
        )
    return totals


async def activity_views(notices: list[Notice]) -> dict[int, dict]:
    """Linked activities as notices show them, by activity id."""
    ids = {n.activity_id for n in notices if n.activity_id}
    if not ids:
        return {}
    briefs = await activities.activity_briefs(activity_ids=list(ids))
    return {
        aid: {
            "id": aid,
            "title": b["title"],
            "kind": b["kind"],
            "status": b["status"],
            "address": b["address"],
            "starts_at": iso(b["starts_at"]),
            "ends_at": iso(b["ends_at"]),
        }
        for aid, b in briefs.items()
    }


def content(notice: Notice, *, kindergarten_name: str | None, activity: dict | None) -> dict:
    """The notice as everyone who may see it reads it."""
    status = NoticeStatus(notice.status)
    mode = AckMode(notice.ack_mode)
    data = {
        "id": notice.id,
        "kindergarten_id": notice.kindergarten_id,
        "kindergarten_name": kindergarten_name,
        "title": notice.title,
        "body": notice.body,
        "images": notice.images,
        "attachments": notice.attachments,
        "ack_mode": mode.value,
        "ack_mode_label": ACK_LABELS[mode],
        "deadline": iso(notice.deadline),
        "status": status.value,
        "status_label": STATUS_LABELS[status],
        "published_at": iso(notice.published_at),
        "version": notice.version,
        "activity": activity,
        "cancel_reason": notice.cancel_reason,
    }
    if mode == AckMode.RSVP:
        closed = None
        if status == NoticeStatus.CANCELLED:
            closed = "通知已取消，无需再回复"
        elif activity and activity["status"] == "cancelled":
            closed = rules.RSVP_CLOSED_CANCELLED
        data.update(
            rsvp_closed=closed,
            capacity=notice.capacity,
            capacity_unit=CapacityUnit(notice.capacity_unit).value,
            max_adults=notice.max_adults,
            max_children=notice.max_children,
        )
    return data


async def sender_views(notices: list[Notice], *, managed: set[int]) -> list[dict]:
    """Notices as their senders and leaders see them, with totals."""
    totals = await counts(notices)
    names = await orgs.kindergarten_names(kindergarten_ids={n.kindergarten_id for n in notices})
    linked = await activity_views(notices)
    out = []
    for notice in notices:
        data = content(
            notice,
            kindergarten_name=names.get(notice.kindergarten_id),
            activity=linked.get(notice.activity_id),
        )
        data.update(
            audience=notice.audience,
            publish_at=iso(notice.publish_at),
            publish_error=notice.publish_error,
            announced=notice.announced_at is not None,
            created_at=iso(notice.created_at),
            updated_at=iso(notice.updated_at),
            counts=totals[notice.id],
            can_manage=notice.id in managed,
        )
        out.append(data)
    return out


async def sender_view(notice: Notice, *, manager: bool) -> dict:
    """One notice for its sender (or a leader), with the audience in words."""
    data = (await sender_views([notice], managed={notice.id} if manager else set()))[0]
    classes = await orgs.classes_of_kindergarten(kindergarten_id=notice.kindergarten_id)
    data["audience_label"] = audiences.label(
        notice.audience, {cid: name for cid, (name, _) in classes.items()}
    )
    return data


def rsvp_view(notice: Notice, rsvp: NoticeRsvp | None, position: int | None) -> dict | None:
    """A family's own answer."""
    if rsvp is None:
        return None
    status = RsvpStatus(rsvp.status)
    return {
        "status": status.value,
        "status_label": RSVP_LABELS[status],
        "answer": "yes" if status in (RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED) else "no",
        "adults": rsvp.adults,
        "children": rsvp.children,
        "waitlist_position": position,
        "updated_at": iso(rsvp.updated_at),
    }


async def waitlist_position(rsvp: NoticeRsvp | None) -> int | None:
    """1 for the first waiting family, None when not waiting."""
    if rsvp is None or rsvp.status != RsvpStatus.WAITLISTED:
        return None
    order = await waiting(rsvp.notice_id)
    return [r.id for r in order].index(rsvp.id) + 1


async def waiting(notice_id: int) -> list[NoticeRsvp]:
    """The waitlist in its order: who joined first, first."""
    return (
        await NoticeRsvp.filter(notice_id=notice_id, status=RsvpStatus.WAITLISTED)
        .order_by("queued_at", "id")
        .all()
    )
