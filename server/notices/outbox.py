"""The notices domain's one door to the delivery engine, and the words of its messages.

Every message carries an idempotency key: the same key to the same person is delivered
once, whatever runs twice (notice:<id>:published, :edit:<version>, :remind:<n> …).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from server.common.miniprogram_pages import NOTICE
from server.common.time import china
from server.notices.models import AckMode, Notice

SNIPPET = 60

KIND_PUBLISHED = "notice"
KIND_UPDATED = "notice_updated"
KIND_REMINDER = "notice_reminder"
KIND_FEEDBACK = "feedback_request"


def page_of(notice_id: int) -> str:
    """The mini-program page that opens the notice."""
    return NOTICE.link(id=notice_id)


def published_key(notice_id: int) -> str:
    """The idempotency key of the publication message."""
    return f"notice:{notice_id}:published"


async def notify(**message):
    """Hand a message to the delivery engine (server.delivery.service.notify)."""
    from server.delivery import service as delivery

    return await delivery.notify(**message)


async def delivery_counts(*, key: str) -> dict[str, int]:
    """Queued/sent/failed/read counts of one message key."""
    from server.delivery import service as delivery

    return await delivery.delivery_counts(key=key)


async def mark_inbox_read(*, notice_id: int, person_id: int) -> None:
    """Opening a notice reads every inbox message about it (published, edits, reminders)."""
    from server.delivery import service as delivery

    await delivery.mark_subject_read(person_id=person_id, key_prefix=f"notice:{notice_id}:")


def _when(moment: datetime | None) -> str:
    return china(moment).strftime("%m月%d日 %H:%M") if moment else ""


def _moment(value: datetime | str | None) -> datetime | None:
    """A moment from a model (datetime) or from an activity view (ISO text)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def _fields(notice: Notice, activity: dict | None, note: str) -> dict[str, str]:
    # A linked activity comes as its view (ISO text, as the api shows it), not as a model.
    moment = _moment((activity or {}).get("starts_at")) or notice.deadline or notice.published_at
    fields = {"title": notice.title, "note": note}
    if moment:
        fields["time"] = china(moment).isoformat()
    if activity and activity.get("address"):
        fields["place"] = activity["address"]
    return fields


def action_hint(notice: Notice) -> str:
    """What the recipient is asked to do, in a few words."""
    until = f"请于{_when(notice.deadline)}前" if notice.deadline else "请"
    if notice.ack_mode == AckMode.RSVP:
        return f"{until}回复是否参加"
    if notice.ack_mode == AckMode.CONFIRM:
        return f"{until}确认收到"
    return "请及时查看"


async def send(
    *,
    notice: Notice,
    person_ids: Iterable[int],
    kind: str,
    key: str,
    note: str,
    title: str | None = None,
    activity: dict | None = None,
):
    """One message about `notice` to `person_ids` under `key`."""
    ids = sorted(set(person_ids))
    if not ids:
        return None
    body = notice.body[:SNIPPET] + ("…" if len(notice.body) > SNIPPET else "")
    return await notify(
        person_ids=ids,
        kind=kind,
        key=key,
        title=title or notice.title,
        body=f"{note}。{body}" if body else note,
        fields=_fields(notice, activity, note),
        page=page_of(notice.id),
    )
