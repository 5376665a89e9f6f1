"""Reminders to those who have not read, confirmed or answered a notice.

Automatic: at each configured offset before the deadline (default 24 hours), once per
notice and offset; an offset whose moment fell before publication is skipped (the
notice itself just arrived). On demand: a sender reminds the same people, at most once
in ten minutes per notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import F, Q

from server.audit import service as audit
from server.common.auth import Principal
from server.common.errors import DomainError
from server.common.time import china, now
from server.notices import access, failing, outbox, rsvp
from server.notices.models import AckMode, Notice, NoticeRecipient, NoticeRsvp, NoticeStatus

MANUAL_INTERVAL = timedelta(minutes=10)
REMIND_JOB = "notices.remind_due"
PENDING_WORDS = {AckMode.READ: "阅读", AckMode.CONFIRM: "确认", AckMode.RSVP: "回复"}


async def pending_person_ids(notice: Notice) -> list[int]:
    """Recipients who still owe what the notice asks: a read, a confirmation, an answer."""
    receipts = NoticeRecipient.filter(notice_id=notice.id)
    if notice.ack_mode == AckMode.READ:
        rows = await receipts.filter(read_at__isnull=True).values_list("person_id", flat=True)
        return sorted(rows)
    if notice.ack_mode == AckMode.CONFIRM:
        rows = await receipts.filter(confirmed_at__isnull=True).values_list("person_id", flat=True)
        return sorted(rows)
    answered = set(await NoticeRsvp.filter(notice_id=notice.id).values_list("family", flat=True))
    return sorted(
        person
        for person, family in await receipts.values_list("person_id", "family")
        if family not in answered
    )


def _note(notice: Notice) -> str:
    word = PENDING_WORDS[AckMode(notice.ack_mode)]
    when = (
        f"，截止时间 {china(notice.deadline).strftime('%m月%d日 %H:%M')}" if notice.deadline else ""
    )
    return f"您还未{word}这条通知{when}"


async def _send(notice: Notice, people: list[int], key: str):
    return await outbox.send(
        notice=notice,
        person_ids=people,
        kind=outbox.KIND_REMINDER,
        key=key,
        title=f"提醒：{notice.title}"[:64],
        note=_note(notice),
    )


async def remind_now(*, principal: Principal, notice_id: int) -> dict:
    """Remind those who have not yet done what the notice asks (not twice in 10 minutes)."""
    notice = await access.get_managed_notice(principal=principal, notice_id=notice_id)
    if notice.status == NoticeStatus.CANCELLED:
        raise DomainError("notice_cancelled", "通知已取消，不能再提醒", status=409)
    if notice.status != NoticeStatus.PUBLISHED:
        raise DomainError("not_published", "通知尚未发布，不能提醒", status=409)
    if notice.activity_id and await rsvp.cancelled_activity_ids({notice.activity_id}):
        raise DomainError("activity_cancelled", "关联的活动已取消，不能再提醒", status=409)
    at = china(now())
    if notice.ack_mode != AckMode.READ and notice.deadline and at >= notice.deadline:
        raise DomainError("deadline_passed", "回复已截止，不能再提醒")
    people = await pending_person_ids(notice)
    word = PENDING_WORDS[AckMode(notice.ack_mode)]
    if not people:
        return {"reminded": 0, "message": f"所有人都已{word}，无需提醒"}
    # One conditional update decides between two clicks (or two senders) at once.
    done = await Notice.filter(
        Q(last_manual_remind_at__isnull=True)
        | Q(last_manual_remind_at__lte=china(at - MANUAL_INTERVAL)),
        id=notice.id,
    ).update(last_manual_remind_at=at, manual_reminders=F("manual_reminders") + 1)
    if not done:
        raise DomainError("rate_limited", "10 分钟内已提醒过，请稍后再试")
    number = (await Notice.get(id=notice.id)).manual_reminders
    await _send(notice, people, f"notice:{notice.id}:remind:{number}")
    await audit.record_action(
        actor_id=principal.person_id,
        action="notice.remind",
        target_type="notice",
        target_id=notice.id,
        detail={"reminded": len(people), "number": number},
    )
    return {"reminded": len(people), "message": f"已提醒 {len(people)} 位尚未{word}的人"}


async def remind_due(*, at: datetime, offsets_hours: list[int]) -> dict:
    """Send the automatic reminders whose moment came; safe to run twice."""
    offsets = sorted({h for h in offsets_hours if h > 0})
    if not offsets:
        return {"reminded": {}}
    notices = await Notice.filter(
        status=NoticeStatus.PUBLISHED,
        deadline__gt=china(at),
        deadline__lte=china(at + timedelta(hours=max(offsets))),
    )
    reminded: dict[int, int] = {}
    failed: list[int] = []
    # Nobody is asked to answer for a day that was cancelled.
    cancelled = await rsvp.cancelled_activity_ids({n.activity_id for n in notices if n.activity_id})
    for notice in notices:
        if notice.activity_id in cancelled:
            continue
        done = set(notice.auto_reminders_done or [])
        due = [h for h in offsets if h not in done and at >= notice.deadline - timedelta(hours=h)]
        if not due:
            continue
        try:
            count = await _remind_automatically(notice, due)
        except Exception as exc:  # noqa: BLE001 - counted; given up after the cap, shown
            failed.append(notice.id)
            given_up = await failing.step_failed(
                job=REMIND_JOB, notice_id=notice.id, step="remind", what="自动提醒", exc=exc
            )
            if not given_up:
                continue  # the next minute tries again
            count = 0
        else:
            await failing.step_done(job=REMIND_JOB, notice_id=notice.id, step="remind")
        if count:
            reminded[notice.id] = count
        await Notice.filter(id=notice.id).update(auto_reminders_done=sorted(done | set(due)))
    return {"reminded": reminded, "failed": failed}


async def _remind_automatically(notice: Notice, due: list[int]) -> int:
    """Send the reminder of the due offsets; how many people were reminded."""
    # Several offsets due at once (a late publication): one reminder is enough.
    if not any(notice.deadline - timedelta(hours=h) >= notice.published_at for h in due):
        return 0
    people = await pending_person_ids(notice)
    if people:
        stamp = china(notice.deadline).strftime("%Y%m%d%H%M")
        await _send(notice, people, f"notice:{notice.id}:remind:auto:{min(due)}h:{stamp}")
    return len(people)
