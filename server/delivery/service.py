"""What other domains call: queue messages to people and groups, and count how they went."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from taskiq.exceptions import SendTaskError
from tortoise import connections
from tortoise.functions import Count

from server.common.time import now
from server.delivery import inbox, template_results
from server.delivery.models import Delivery, DeliveryStatus
from server.delivery.sending import enqueue_deliveries
from server.delivery.wecom_robots import queue_group_message

log = logging.getLogger("songjiao.delivery")

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
    values = {str(k): "" if v is None else str(v) for k, v in (fields or {}).items()}
    message = {"key": key, "kind": kind, "title": title[:TITLE_LIMIT], "body": body, "page": page}
    skipped = 0
    created_ids: list[int] = []
    for start in range(0, len(people), _CHUNK):
        chunk = people[start : start + _CHUNK]
        mine = sorted(await _insert_new(message, values, chunk))
        # Those who already had this key (an earlier or concurrent call) are skipped.
        skipped += len(chunk) - len(mine)
        created_ids.extend(mine)
        # Queued chunk by chunk: the workers start on the first while the rest is written.
        if mine:
            await _queue_or_leave_to_sweeper(mine)
    return NotifyResult(created=len(created_ids), skipped=skipped, delivery_ids=created_ids)


async def _queue_or_leave_to_sweeper(ids: list[int]) -> None:
    """Queue the new rows' send jobs; with the queue (Redis) away, leave them to the sweeper.

    The rows are saved, so the caller's request succeeds. Without `enqueued_at` they are
    the first the next sweep (every few minutes) queues; jobs that did reach the queue
    may run as well, and the claim makes sure each message is sent once.
    """
    try:
        await enqueue_deliveries(ids, stamped=True)
    except SendTaskError as exc:
        await Delivery.filter(id__in=ids, status=DeliveryStatus.QUEUED).update(enqueued_at=None)
        log.warning(
            "%d deliveries not queued (%s); the sweeper queues them",
            len(ids),
            type(exc.__cause__ or exc).__name__,
        )


_INSERT_SQL = (
    'INSERT INTO "delivery" ("key", "kind", "title", "body", "fields", "page", "status", '
    '"attempts", "notify_batch", "created_at", "enqueued_at", "person_id") '
    "SELECT {marks}, {person} FROM {people} "
    'ON CONFLICT ("key", "person_id") DO NOTHING RETURNING "id"'
)


async def _insert_new(message: dict, values: dict[str, str], person_ids: list[int]) -> list[int]:
    """One statement: a row per person who has none for the key yet; the new rows' ids.

    Set-based because a city-wide notice is tens of thousands of rows: building a model
    object per row cost more than the database's work.
    """
    meta = Delivery._meta.fields_map
    stamp = meta["created_at"].to_db_value(now(), Delivery)
    params = [
        message["key"],
        message["kind"],
        message["title"],
        message["body"],
        json.dumps(values, ensure_ascii=False),
        message["page"],
        DeliveryStatus.QUEUED.value,
        0,
        uuid.uuid4().hex,
        stamp,
        stamp,
    ]
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        marks = ", ".join(f"${i}" for i in range(1, len(params) + 1))
        # Typed so asyncpg sends text (and a text array); the casts make them columns.
        marks = marks.replace("$5", "$5::text::jsonb")
        people = f"unnest(${len(params) + 1}::int[]) AS p(person_id)"
        sql = _INSERT_SQL.format(marks=marks, person="p.person_id", people=people)
        rows = await conn.execute_query_dict(sql, [*params, person_ids])
    else:
        marks = ", ".join("?" for _ in params)
        sql = _INSERT_SQL.format(
            marks=marks, person="CAST(value AS INTEGER)", people="json_each(?) WHERE true"
        )
        rows = await conn.execute_query_dict(sql, [*params, json.dumps(person_ids)])
    return [row["id"] for row in rows]


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
        # Unconfirmed: in her inbox, and its push probably went out (the console tells).
        bucket = {DeliveryStatus.SENDING: "queued", DeliveryStatus.UNCONFIRMED: "sent"}.get(
            name, name.value
        )
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


async def template_send_finished(*, msgid: int) -> bool:
    """WeChat reported on template message `msgid`: a failure marks its delivery failed."""
    return await template_results.settle_reported(msgid=msgid)
