"""What other domains call: queue messages to people and groups, and count how they went."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.functions import Count

from server.common.time import now
from server.delivery import inbox
from server.delivery.groups import queue_group_message
from server.delivery.models import Delivery, DeliveryStatus
from server.delivery.sending import enqueue_deliveries

MESSAGE_KINDS = (
    "notice",
    "notice_updated",
    "notice_reminder",
    "activity_published",
    "activity_changed",
    "activity_cancelled",
    "activity_reminder",
    "feedback_request",
    "summary",
    "alert",
)
KEY_LIMIT = 128
TITLE_LIMIT = 200
PAGE_LIMIT = 256
_CHUNK = 1000


@dataclass
class NotifyResult:
    """What one notify() call did."""

    created: int  #: new deliveries queued now
    skipped: int  #: people who already had this message (same key)
    delivery_ids: list[int]


def _check(kind: str, key: str, page: str | None = None) -> None:
    if kind not in MESSAGE_KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    if not key or len(key) > KEY_LIMIT:
        raise ValueError(f"message key must be 1 to {KEY_LIMIT} characters")
    if page is not None and len(page) > PAGE_LIMIT:
        raise ValueError(f"page must be at most {PAGE_LIMIT} characters")


async def notify(
    *,
    person_ids: Iterable[int],
    kind: str,
    key: str,
    title: str,
    body: str,
    fields: dict[str, str] | None = None,
    page: str | None = None,
) -> NotifyResult:
    """Queue one message per person (idempotent per (key, person)); the inbox always gets it.

    Call it after the transaction that made the message's subject has committed: the send
    jobs start at once and read the rows from other connections. Rows a job could not see
    are queued again by the sweeper.
    """
    _check(kind, key, page)
    people = sorted(set(person_ids))
    batch = uuid.uuid4().hex
    values = {str(k): "" if v is None else str(v) for k, v in (fields or {}).items()}
    title = title[:TITLE_LIMIT]
    skipped = 0
    created_ids: list[int] = []
    for start in range(0, len(people), _CHUNK):
        chunk = people[start : start + _CHUNK]
        existing = set(
            await Delivery.filter(key=key, person_id__in=chunk).values_list("person_id", flat=True)
        )
        fresh = [p for p in chunk if p not in existing]
        skipped += len(existing)
        if not fresh:
            continue
        stamp = now()
        await Delivery.bulk_create(
            [
                Delivery(
                    key=key,
                    person_id=p,
                    kind=kind,
                    title=title,
                    body=body,
                    field_values=values,
                    page=page,
                    notify_batch=batch,
                    enqueued_at=stamp,
                )
                for p in fresh
            ],
            batch_size=500,
            ignore_conflicts=True,
        )
        mine = await Delivery.filter(key=key, notify_batch=batch, person_id__in=fresh).values_list(
            "id", flat=True
        )
        # A concurrent call with the same key may have won some rows: those are skipped here.
        skipped += len(fresh) - len(mine)
        mine = sorted(mine)
        created_ids.extend(mine)
        # Queued chunk by chunk: the workers start on the first while the rest is written.
        if mine:
            await enqueue_deliveries(mine, stamped=True)
    return NotifyResult(created=len(created_ids), skipped=skipped, delivery_ids=created_ids)


async def delivery_counts(*, key: str) -> dict[str, int]:
    """How the message `key` stands: queued (including being sent), sent, failed, read."""
    counts = {"queued": 0, "sent": 0, "failed": 0, "read": 0}
    rows = (
        await Delivery.filter(key=key)
        .annotate(n=Count("id"))
        .group_by("status")
        .values_list("status", "n")
    )
    for status, n in rows:
        name = DeliveryStatus(status)
        bucket = "queued" if name == DeliveryStatus.SENDING else name.value
        counts[bucket] += n
    return counts


async def notify_group(
    *, group: str, kind: str, key: str, markdown: str, image_png: bytes | None = None
) -> bool:
    """Post to a configured WeCom group robot once per key; False when the group is unknown."""
    _check(kind, key)
    return await queue_group_message(
        group=group, kind=kind, key=key, markdown=markdown, image_png=image_png
    )


async def mark_subject_read(*, person_id: int, key_prefix: str) -> int:
    """The person read the subject in the app: its messages in her inbox are read too."""
    return await inbox.mark_read_by_subject(person_id=person_id, key_prefix=key_prefix)
