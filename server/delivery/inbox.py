"""The in-app inbox: every message to a person, read or not."""

from __future__ import annotations

from server.common.auth import Principal
from server.common.errors import NotFound
from server.common.time import now
from server.delivery.models import Delivery, DeliveryStatus
from server.delivery.templates import KIND_NAMES


def inbox_item(d: Delivery) -> dict:
    """A message as its person sees it."""
    return {
        "id": d.id,
        "kind": d.kind,
        "kind_name": KIND_NAMES.get(d.kind, d.kind),
        "title": d.title,
        "body": d.body,
        "fields": d.field_values or {},
        "page": d.page,
        "read": d.status == DeliveryStatus.READ,
        "created_at": d.created_at.isoformat(),
        "read_at": d.read_at.isoformat() if d.read_at else None,
    }


async def list_inbox(*, principal: Principal, limit: int, offset: int, unread_only: bool) -> dict:
    """The caller's own messages, newest first, with the unread count."""
    if principal.person_id is None:
        return {"items": [], "total": 0, "unread": 0, "limit": limit, "offset": offset}
    mine = Delivery.filter(person_id=principal.person_id)
    unread = await mine.exclude(status=DeliveryStatus.READ).count()
    shown = mine.exclude(status=DeliveryStatus.READ) if unread_only else mine
    total = unread if unread_only else await mine.count()
    rows = await shown.order_by("-created_at", "-id").offset(offset).limit(limit)
    return {
        "items": [inbox_item(d) for d in rows],
        "total": total,
        "unread": unread,
        "limit": limit,
        "offset": offset,
    }


async def mark_read(*, principal: Principal, delivery_id: int) -> dict:
    """Mark one of the caller's messages read (again is harmless)."""
    if principal.person_id is None:
        raise NotFound("消息")
    mine = Delivery.filter(id=delivery_id, person_id=principal.person_id)
    await mine.exclude(status=DeliveryStatus.READ).update(status=DeliveryStatus.READ, read_at=now())
    row = await mine.first()
    if row is None:
        raise NotFound("消息")
    return inbox_item(row)


async def mark_read_by_subject(*, person_id: int, key_prefix: str) -> int:
    """Mark read a person's messages about one subject (keys starting with `key_prefix`)."""
    if not key_prefix:
        raise ValueError("key_prefix must not be empty")
    return (
        await Delivery.filter(person_id=person_id, key__startswith=key_prefix)
        .exclude(status=DeliveryStatus.READ)
        .update(status=DeliveryStatus.READ, read_at=now())
    )
