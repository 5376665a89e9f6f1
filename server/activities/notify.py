"""Who hears what about an activity: announcements, moves, cancellations, reminders.

Events recorded by service.py are fanned out here through the delivery engine; the
reminders job asks here which activities are due. Every message carries an idempotency
key, so a job that runs twice (or a kick racing the cron) sends each message once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from server.activities.audience import expected_person_ids
from server.activities.hooks import checked_in_ids
from server.activities.models import (
    FAMILY_KINDS,
    STATUS_LABELS,
    Activity,
    ActivityEvent,
    ActivityInvitee,
    ActivityStatus,
    AudienceMode,
    Presenter,
)
from server.common.miniprogram_pages import ACTIVITY
from server.common.time import china, now
from server.delivery import service as delivery
from server.jobs import failures

log = logging.getLogger("songjiao.activities.notify")

DELIVER_JOB = "activities.deliver_events"
REMIND_JOB = "activities.send_reminders"

KIND_PUBLISHED = "activity_published"
KIND_CHANGED = "activity_changed"
KIND_CANCELLED = "activity_cancelled"
KIND_REMINDER = "activity_reminder"

#: The day-before reminder goes out when the start is this far away (a wide window,
#: so a scheduler that was down for hours still sends it; the key sends it once).
DAY_WINDOW = (timedelta(hours=20), timedelta(hours=28))
#: The hour-before reminder goes out when the start is this far away.
HOUR_WINDOW = (timedelta(minutes=45), timedelta(minutes=75))
#: A day-before reminder right after the announcement (or a move) repeats it: wait.
FRESH_NEWS = timedelta(hours=2)
#: Changes that mean new people may be concerned: they get the announcement.
MEMBER_FIELDS = frozenset({"audience", "audience_mode", "invitees", "presenters"})
WEEKDAYS = "一二三四五六日"
EVENTS_PER_RUN = 200


@dataclass
class Message:
    """One message to a set of people, as the delivery engine takes it."""

    kind: str
    key: str
    title: str
    body: str
    person_ids: set[int]
    fields: dict[str, str] = field(default_factory=dict)
    page: str = ""


# ---- texts ------------------------------------------------------------------------------


def _day(moment: datetime) -> str:
    local = china(moment)
    return f"{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）"


def when_text(starts: datetime, ends: datetime) -> str:
    """「3月5日（周四）09:00–11:30」, or both days when it spans midnight."""
    start, end = china(starts), china(ends)
    if start.date() == end.date():
        return f"{_day(start)}{start:%H:%M}–{end:%H:%M}"
    return f"{_day(start)}{start:%H:%M} 至 {_day(end)}{end:%H:%M}"


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _page(activity_id: int) -> str:
    return ACTIVITY.link(id=activity_id)


def _fields(title: str, starts: datetime, place: str, note: str, status: str) -> dict[str, str]:
    return {
        "title": title,
        "time": china(starts).isoformat(),
        "place": place or "见活动详情",
        "note": note,
        "status": status,
    }


def _place_text(address: str) -> str:
    return address or "（地点见活动详情）"


# ---- who ---------------------------------------------------------------------------------

#: Domains whose people signed up for an activity by answering (a notice's RSVP: confirmed
#: and waitlisted families) say who, per activity, so that a cancellation reaches them even
#: where the activity's own audience does not name them.
_SIGNED_UP: list[Callable[[int], Awaitable[set[int]]]] = []


def tell_signed_up_on_cancel(provider: Callable[[int], Awaitable[set[int]]]) -> None:
    """Register a source of people who signed up for an activity (told if it is cancelled)."""
    if provider not in _SIGNED_UP:
        _SIGNED_UP.append(provider)


async def signed_up_ids(activity_id: int) -> set[int]:
    """Everyone who signed up for the activity through another domain."""
    ids: set[int] = set()
    for provider in _SIGNED_UP:
        ids |= await provider(activity_id)
    return ids


def is_family_activity(activity: Activity) -> bool:
    """家长开放日 / 亲子活动 for families: the notices domain announces these."""
    return activity.kind in FAMILY_KINDS and activity.audience_mode == AudienceMode.FAMILIES


async def _named_ids(activity: Activity) -> set[int]:
    """Invitees and presenters (RSVP-yes families are invitees of a family activity)."""
    ids = set(
        await ActivityInvitee.filter(activity_id=activity.id).values_list("person_id", flat=True)
    )
    ids |= set(await Presenter.filter(activity_id=activity.id).values_list("person_id", flat=True))
    return ids


async def announce_ids(activity: Activity) -> set[int]:
    """Who is told of a published activity (families of a family activity hear by notice)."""
    if is_family_activity(activity):
        return set(
            await Presenter.filter(activity_id=activity.id).values_list("person_id", flat=True)
        )
    return await expected_person_ids(activity=activity)


async def reminder_ids(activity: Activity) -> set[int]:
    """Who is reminded: those expected (family activity: named people), not yet checked in."""
    if is_family_activity(activity):
        wanted = await _named_ids(activity)
    else:
        wanted = await expected_person_ids(activity=activity)
    return wanted - await checked_in_ids(activity.id)


# ---- messages for events -----------------------------------------------------------------


async def announcement(activity: Activity) -> Message:
    """「X」已发布, to everyone it concerns; one stable key, so people added later get it too."""
    when = when_text(activity.starts_at, activity.ends_at)
    place = _place_text(activity.address)
    return Message(
        kind=KIND_PUBLISHED,
        key=f"activity:{activity.id}:announce",
        title=f"「{activity.title}」已发布",
        body=f"时间：{when}\n地点：{place}\n请准时参加，到场后扫码签到。",
        person_ids=await announce_ids(activity),
        fields=_fields(
            activity.title,
            activity.starts_at,
            activity.address,
            "",
            STATUS_LABELS[ActivityStatus.PUBLISHED],
        ),
        page=_page(activity.id),
    )


def _move_lines(before: dict, after: dict) -> tuple[list[str], list[str]]:
    """(sentences for the body, short phrases for the note) describing a move."""
    body: list[str] = []
    note: list[str] = []
    old = (_parse(before.get("starts_at")), _parse(before.get("ends_at")))
    new = (_parse(after.get("starts_at")), _parse(after.get("ends_at")))
    if old != new and all(new):
        new_when = when_text(*new)
        old_when = when_text(*old) if all(old) else "原定时间"
        body.append(f"时间由 {old_when} 调整为 {new_when}")
        note.append(f"时间调整为{new_when}")
    if (before.get("address") or "") != (after.get("address") or ""):
        old_place = _place_text(before.get("address") or "")
        new_place = _place_text(after.get("address") or "")
        body.append(f"地点由 {old_place} 调整为 {new_place}")
        note.append(f"地点调整为{new_place}")
    return body, note


async def move_notice(activity: Activity, event: ActivityEvent) -> Message | None:
    """Before and after of a move, to everyone expected; None when only the map pin moved."""
    before, after = event.payload.get("before") or {}, event.payload.get("after") or {}
    body, note = _move_lines(before, after)
    if not body:
        # A corrected map pin: nobody reads coordinates, the geofence just follows.
        return None
    if len(note) == 2:
        subject = "时间地点调整"
    else:
        subject = "时间调整" if note[0].startswith("时间") else "地点调整"
    return Message(
        kind=KIND_CHANGED,
        key=f"activity:{activity.id}:event:{event.id}",
        title=f"「{activity.title}」{subject}",
        body="；".join(body) + "。请按新的安排参加。",
        person_ids=await expected_person_ids(activity=activity),
        fields=_fields(
            activity.title, activity.starts_at, activity.address, "；".join(note), "已调整"
        ),
        page=_page(activity.id),
    )


async def cancel_notice(activity: Activity, event: ActivityEvent) -> Message:
    """「X」已取消 with the reason and what was planned, to everyone expected."""
    reason = event.payload.get("reason") or activity.cancel_reason or "未说明"
    starts = _parse(event.payload.get("starts_at")) or activity.starts_at
    ends = _parse(event.payload.get("ends_at")) or activity.ends_at
    address = event.payload.get("address", activity.address)
    # One key for the audience and the families who signed up: each person hears it once.
    people = await expected_person_ids(activity=activity) | await signed_up_ids(activity.id)
    status = STATUS_LABELS[ActivityStatus.CANCELLED]
    # The title keyword leads every template (subscribe and 公众号 alike), so it carries
    # 已取消 in front, where shortening to a thing's 20 characters cannot cut it off.
    return Message(
        kind=KIND_CANCELLED,
        key=f"activity:{activity.id}:event:{event.id}",
        title=f"「{activity.title}」已取消",
        body=f"原定 {when_text(starts, ends)} 在 {_place_text(address)} 举行的活动已取消。\n"
        f"原因：{reason}",
        person_ids=people,
        fields=_fields(f"{status}：{activity.title}", starts, address, reason, status),
        page=_page(activity.id),
    )


async def messages_for_event(event: ActivityEvent, activity: Activity) -> list[Message]:
    """What an event tells whom (possibly nothing)."""
    status = ActivityStatus(activity.status)
    if event.kind == "cancelled":
        return [await cancel_notice(activity, event)]
    if status != ActivityStatus.PUBLISHED:
        # Cancelled or finished since: announcing or moving it now would mislead.
        return []
    changed = set(event.payload.get("fields") or ())
    out: list[Message] = []
    if event.kind == "published" or changed & MEMBER_FIELDS:
        # People added after publishing hear of it; the key skips those told before.
        out.append(await announcement(activity))
    if event.kind == "moved":
        notice = await move_notice(activity, event)
        if notice:
            out.append(notice)
    # Other updates (title, check-in window …) send nothing: reminders carry the news.
    return out


async def send(message: Message) -> int:
    """Hand a message to the delivery engine; how many deliveries it created."""
    if not message.person_ids:
        return 0
    result = await delivery.notify(
        person_ids=sorted(message.person_ids),
        kind=message.kind,
        key=message.key,
        title=message.title,
        body=message.body,
        fields=message.fields,
        page=message.page,
    )
    return result.created


# ---- events ------------------------------------------------------------------------------


async def deliver_event(event: ActivityEvent) -> int:
    """Fan one event out and mark it processed; raises when delivery failed (retry later)."""
    activity = await Activity.get(id=event.activity_id)
    created = 0
    for message in await messages_for_event(event, activity):
        created += await send(message)
    await ActivityEvent.filter(id=event.id, processed_at__isnull=True).update(processed_at=now())
    return created


EVENT_WORDS = {"published": "发布通知", "moved": "变更通知", "cancelled": "取消通知"}


def _event_item(event_id: int) -> str:
    return f"event:{event_id}"


async def given_up_event_ids() -> list[int]:
    """Events the fan-out gave up on after its retries (dead letters)."""
    items = await failures.given_up_items(job=DELIVER_JOB)
    return [int(item.split(":", 1)[1]) for item in items if item.startswith("event:")]


async def deliver_pending_events(*, limit: int = EVENTS_PER_RUN) -> dict:
    """Fan out every unprocessed event, oldest first; a failing one is retried up to a cap."""
    dead = await given_up_event_ids()
    events = (
        await ActivityEvent.filter(processed_at__isnull=True)
        .exclude(id__in=dead or [0])
        .order_by("id")
        .limit(limit)
    )
    done = failed = created = 0
    for event in events:
        try:
            created += await deliver_event(event)
            done += 1
        except Exception as exc:
            # The cron tries again; the messages' keys keep a second attempt from doubling.
            failed += 1
            log.warning(
                "activity event %s (activity %s) not delivered: %s",
                event.id,
                event.activity_id,
                type(exc).__name__,
            )
            what = EVENT_WORDS.get(event.kind, "通知")
            await failures.record_failure(
                job=DELIVER_JOB,
                item=_event_item(event.id),
                reason=f"活动（编号 {event.activity_id}）的{what}未能发出："
                f"{failures.reason_of(exc)}",
            )
        else:
            await failures.clear_failure(job=DELIVER_JOB, item=_event_item(event.id))
    return {"events": done, "failed": failed, "deliveries": created}


async def event_failure(*, activity_id: int) -> str | None:
    """The Chinese reason why a message about the activity could not go out, if one failed."""
    ids = await ActivityEvent.filter(
        activity_id=activity_id, processed_at__isnull=True
    ).values_list("id", flat=True)
    for event_id in sorted(ids, reverse=True):
        reason = await failures.failure_reason(job=DELIVER_JOB, item=_event_item(event_id))
        if reason:
            return reason
    return None


async def notify_events_soon() -> None:
    """Queue the event fan-out now; never fails the caller (the cron catches up)."""
    from server.common.runtime import current
    from server.jobs.broker import enqueue

    try:
        await enqueue(current().broker, DELIVER_JOB)
    except Exception as exc:
        log.warning("activity events not queued, the cron will deliver: %s", type(exc).__name__)


# ---- reminders ---------------------------------------------------------------------------


def _relative_day(starts: datetime, at: datetime) -> str:
    days = (china(starts).date() - china(at).date()).days
    return {0: "今天", 1: "明天", 2: "后天"}.get(days, _day(starts))


async def reminder(activity: Activity, *, which: str, at: datetime) -> Message:
    """The day-before ("day") or hour-before ("hour") reminder of an activity."""
    starts = china(activity.starts_at)
    if which == "day":
        title = f"「{activity.title}」{_relative_day(starts, at)}{starts:%H:%M}开始"
    else:
        title = f"「{activity.title}」将于{starts:%H:%M}开始"
    when = when_text(activity.starts_at, activity.ends_at)
    return Message(
        kind=KIND_REMINDER,
        key=f"activity:{activity.id}:remind:{which}:{starts.isoformat()}",
        title=title,
        body=f"时间：{when}\n地点：{_place_text(activity.address)}\n请准时参加，到场后扫码签到。",
        person_ids=await reminder_ids(activity),
        fields=_fields(activity.title, activity.starts_at, activity.address, "", "即将开始"),
        page=_page(activity.id),
    )


async def _due(at: datetime, window: tuple[timedelta, timedelta]) -> list[Activity]:
    # China time: SQLite compares the stored "+08:00" text, so the bounds must match it.
    low, high = china(at + window[0]), china(at + window[1])
    return (
        await Activity.filter(
            status=ActivityStatus.PUBLISHED, starts_at__gt=low, starts_at__lte=high
        )
        .order_by("starts_at", "id")
        .all()
    )


async def _fresh_news(activity: Activity, at: datetime) -> bool:
    """True when the announcement or a move went out moments ago (it said the same)."""
    return await ActivityEvent.filter(
        activity_id=activity.id,
        kind__in=("published", "moved"),
        created_at__gt=china(at - FRESH_NEWS),
        created_at__lte=china(at),
    ).exists()


async def send_due_reminders(*, at: datetime | None = None) -> dict:
    """Day-before and hour-before reminders of published activities due at `at`."""
    at = at or now()
    counts = {"day": 0, "hour": 0, "failed": 0}
    # Reminders given up after their retries are not tried every five minutes.
    dead = set(await failures.given_up_items(job=REMIND_JOB))
    for which, window in (("day", DAY_WINDOW), ("hour", HOUR_WINDOW)):
        for activity in await _due(at, window):
            if which == "day" and await _fresh_news(activity, at):
                continue
            item = f"activity:{activity.id}:{which}:{china(activity.starts_at).isoformat()}"
            if item in dead:
                continue
            try:
                counts[which] += await send(await reminder(activity, which=which, at=at))
            except Exception as exc:
                counts["failed"] += 1
                log.warning(
                    "%s reminder of activity %s not sent: %s",
                    which,
                    activity.id,
                    type(exc).__name__,
                )
                what = "开始前一天的提醒" if which == "day" else "开始前一小时的提醒"
                await failures.record_failure(
                    job=REMIND_JOB,
                    item=item,
                    reason=f"活动（编号 {activity.id}）{what}未能发出：{failures.reason_of(exc)}",
                )
            else:
                await failures.clear_failure(job=REMIND_JOB, item=item)
    return counts
