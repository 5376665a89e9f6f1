"""Notices: write a draft, publish it now or at a set time, change it, cancel it, read it.

Publishing resolves the audience to NoticeRecipient rows in one transaction and then
hands one message per recipient to the delivery engine; `announced_at` records that the
hand-over happened, so the minute job can finish a publication a crash interrupted.
Editing a published notice bumps its version and tells those who already read it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server.activities import service as activities
from server.audit import service as audit
from server.common.auth import Principal
from server.common.errors import DomainError, NotFound
from server.common.time import china, now
from server.jobs import failures
from server.notices import access, failing, outbox, present, rsvp
from server.notices import audience as audiences
from server.notices import notice_rules as rules
from server.notices.feedback import satisfaction as satisfaction  # for the summaries domain
from server.notices.models import ACK_LABELS as ACK_LABELS  # for the console's form
from server.notices.models import (
    AckMode,
    Notice,
    NoticeRecipient,
    NoticeRsvp,
    NoticeStatus,
)

log = logging.getLogger("songjiao.notices")

#: What may no longer change once people have the notice in hand.
LOCKED_AFTER_PUBLISH = ("audience", "ack_mode", "capacity_unit", "activity_id")
#: Patch fields that may be sent as null (cleared: no deadline, no limit, no activity).
NULLABLE = frozenset({"deadline", "capacity", "activity_id"})
UNPUBLISHED = (NoticeStatus.DRAFT, NoticeStatus.SCHEDULED)
CANCELLED_ACTIVITY = "关联的活动已取消，不能再发布这条通知"
BATCH = 1000
ANNOUNCE_GRACE = timedelta(minutes=1)
#: The cron job that publishes scheduled notices and finishes interrupted announcements.
PUBLISH_JOB = "notices.publish_due"


# ---- checks ---------------------------------------------------------------------------------


async def _linked_activity(
    principal: Principal, *, activity_id: int | None, kindergarten_id: int
) -> dict | None:
    """The activity a notice may link to: hosted by its kindergarten or run by the caller."""
    if activity_id is None:
        return None
    try:
        activity = await activities.get_activity(principal=principal, activity_id=activity_id)
    except NotFound as exc:
        raise DomainError("invalid_activity", "关联的活动不存在或您无权查看") from exc
    if activity["host_id"] != kindergarten_id and not activity["can_manage"]:
        raise DomainError("invalid_activity", "只能关联本园主办或您负责组织的活动")
    if activity["status"] in ("cancelled", "finished"):
        raise DomainError("invalid_activity", f"关联的活动{activity['status_label']}，不能再发通知")
    return activity


def _ensure_not_cancelled(notice: Notice) -> None:
    if notice.status == NoticeStatus.CANCELLED:
        raise DomainError("notice_cancelled", "通知已取消，不能再修改", status=409)


async def _clean(principal: Principal, notice: Notice | None, data: dict) -> dict:
    """Model attributes from given fields, each checked; `notice` is None for a new one."""
    for name, value in data.items():
        if value is None and name not in NULLABLE:
            raise DomainError("invalid_input", f"字段 {name} 不能为空")
    kindergarten_id = notice.kindergarten_id if notice else data["kindergarten_id"]
    out: dict = {}
    if "title" in data:
        out["title"] = rules.clean_title(data["title"])
    if "body" in data:
        out["body"] = rules.clean_body(data["body"])
    if "images" in data:
        out["images"] = rules.clean_images(data["images"])
    if "attachments" in data:
        out["attachments"] = rules.clean_attachments(data["attachments"])
    if "audience" in data:
        out["audience"] = await audiences.clean_audience(
            kindergarten_id=kindergarten_id, audience=data["audience"]
        )
    if "ack_mode" in data:
        out["ack_mode"] = rules.parse_ack_mode(data["ack_mode"])
    if "capacity_unit" in data:
        out["capacity_unit"] = rules.parse_capacity_unit(data["capacity_unit"])
    if "capacity" in data:
        out["capacity"] = rules.check_capacity(data["capacity"])
    if "deadline" in data:
        out["deadline"] = rules.aware(data["deadline"])
        if notice is None or out["deadline"] != notice.deadline:
            rules.check_deadline(out["deadline"], at=now())
    adults = data.get("max_adults", notice.max_adults if notice else 2)
    children = data.get("max_children", notice.max_children if notice else 2)
    rules.check_family_limits(adults, children)
    out.update(max_adults=adults, max_children=children)
    if "activity_id" in data:
        out["activity_id"] = data["activity_id"]
        activity = await _linked_activity(
            principal, activity_id=data["activity_id"], kindergarten_id=kindergarten_id
        )
        mode = out.get("ack_mode", notice.ack_mode if notice else AckMode.READ)
        deadline = out.get("deadline", notice.deadline if notice else None)
        cleared = notice is not None and "deadline" in data  # a patch that asks for none
        if activity and mode == AckMode.RSVP and deadline is None and not cleared:
            # An RSVP for an activity closes when the activity starts, unless told otherwise.
            out["deadline"] = datetime.fromisoformat(activity["starts_at"])
            rules.check_deadline(out["deadline"], at=now())
    return out


# ---- create, change ---------------------------------------------------------------------------


async def create_notice(*, principal: Principal, kindergarten_id: int, **data) -> dict:
    """A draft notice of a kindergarten the caller sends for."""
    await access.ensure_can_send(principal=principal, kindergarten_id=kindergarten_id)
    data = {"audience": data.pop("audience", None), **data}
    fields = await _clean(principal, None, {"kindergarten_id": kindergarten_id, **data})
    async with in_transaction():
        notice = await Notice.create(
            kindergarten_id=kindergarten_id, created_by_id=principal.person_id, **fields
        )
        await audit.record_action(
            actor_id=principal.person_id,
            action="notice.create",
            target_type="notice",
            target_id=notice.id,
        )
    return await present.sender_view(notice, manager=True)


async def create_and_publish(
    *,
    principal: Principal,
    kindergarten_id: int,
    send: str = "draft",
    publish_at: datetime | None = None,
    **data,
) -> tuple[dict, str]:
    """Create a draft, then publish it now ("now"), at `publish_at` ("schedule") or not ("draft").

    The draft stays when publishing is refused; the message (Chinese) tells the sender what
    happened to it.
    """
    created = await create_notice(principal=principal, kindergarten_id=kindergarten_id, **data)
    if send == "draft":
        return created, "草稿已保存"
    when = publish_at if send == "schedule" else None
    if send == "schedule" and when is None:
        return created, "草稿已保存；定时发送请填写发送时间"
    try:
        await publish_notice(principal=principal, notice_id=created["id"], publish_at=when)
    except DomainError as exc:
        return created, f"草稿已保存，但未能发送：{exc.message}"
    return created, "已定时发送" if when else "已发送"


async def update_notice(*, principal: Principal, notice_id: int, changes: dict) -> dict:
    """Change a notice; a published one gets a new version its readers hear of."""
    notice = await access.get_managed_notice(principal=principal, notice_id=notice_id)
    _ensure_not_cancelled(notice)
    published = notice.status == NoticeStatus.PUBLISHED
    if published:
        locked = [k for k in LOCKED_AFTER_PUBLISH if k in changes and _differs(notice, k, changes)]
        if locked:
            raise DomainError(
                "locked_after_publish",
                "通知已发布，不能再修改发送对象、回执方式、名额单位或关联活动；如需调整请取消后重新发布",
                status=409,
                details={"fields": locked},
            )
        changes = {k: v for k, v in changes.items() if k not in LOCKED_AFTER_PUBLISH}
    fields = await _clean(principal, notice, changes)
    fields = {k: v for k, v in fields.items() if getattr(notice, k) != v}
    deadline = fields.get("deadline")
    if notice.status == NoticeStatus.SCHEDULED and deadline and deadline <= notice.publish_at:
        raise DomainError("deadline_before_publish", "截止时间须晚于定时发布时间")
    if "deadline" in fields:
        # A new deadline gets its own automatic reminders.
        fields["auto_reminders_done"] = []
    if not fields:
        return await present.sender_view(notice, manager=True)
    promoted: list[NoticeRsvp] = []
    async with in_transaction():
        locked_notice = await Notice.select_for_update().get(id=notice.id)
        if locked_notice.status != notice.status:
            raise DomainError("conflict", "通知状态已变化，请刷新后再试")
        if published and "capacity" in fields and notice.ack_mode == AckMode.RSVP:
            await rsvp.check_capacity_change(locked_notice, fields["capacity"])
        update = dict(fields, updated_at=china(now()))
        if published:
            update["version"] = F("version") + 1
        await Notice.filter(id=notice.id).update(**update)
        fresh = await Notice.get(id=notice.id)
        if published and notice.ack_mode == AckMode.RSVP:
            promoted = await rsvp.promote(fresh)
        await audit.record_action(
            actor_id=principal.person_id,
            action="notice.update",
            target_type="notice",
            target_id=notice.id,
            detail={"fields": sorted(fields), "version": fresh.version},
        )
    if published:
        await _tell_readers(fresh)
        await rsvp.tell_promoted(fresh, promoted)
    return await present.sender_view(fresh, manager=True)


def _differs(notice: Notice, name: str, changes: dict) -> bool:
    if name == "audience":
        return audiences.normalise(changes[name]) != audiences.normalise(notice.audience)
    return changes[name] != getattr(notice, name)


async def _tell_readers(notice: Notice) -> None:
    """Those who already read the notice hear that it changed (once per version)."""
    readers = await NoticeRecipient.filter(
        notice_id=notice.id, read_at__not_isnull=True
    ).values_list("person_id", flat=True)
    activity = (await present.activity_views([notice])).get(notice.activity_id)
    await outbox.send(
        notice=notice,
        person_ids=readers,
        kind=outbox.KIND_UPDATED,
        key=f"notice:{notice.id}:edit:{notice.version}",
        note="您已阅读的通知内容有更新，请重新查看",
        activity=activity,
    )


# ---- publish ------------------------------------------------------------------------------


async def publish_notice(
    *, principal: Principal, notice_id: int, publish_at: datetime | None = None
) -> dict:
    """Publish a draft now, or schedule it for `publish_at`."""
    notice = await access.get_managed_notice(principal=principal, notice_id=notice_id)
    if notice.status not in UNPUBLISHED:
        _ensure_not_cancelled(notice)
        raise DomainError("already_published", "通知已发布", status=409)
    # Sent again by hand: an earlier scheduled attempt's failures start from nothing.
    await failures.clear_failure(job=PUBLISH_JOB, item=failing.item(notice.id, "publish"))
    at = china(now())
    rules.check_deadline(notice.deadline, at=at)
    if notice.activity_id and await rsvp.cancelled_activity_ids({notice.activity_id}):
        raise DomainError("activity_cancelled", CANCELLED_ACTIVITY, status=409)
    # Checked again now: classes or staff may have changed since the draft was written.
    spec = await audiences.clean_audience(
        kindergarten_id=notice.kindergarten_id, audience=notice.audience
    )
    await audiences.resolve(kindergarten_id=notice.kindergarten_id, audience=spec)
    when = rules.aware(publish_at)
    if when is not None and when > at:
        rules.check_publish_at(when, notice.deadline, at=at)
        done = await Notice.filter(id=notice.id, status__in=UNPUBLISHED).update(
            status=NoticeStatus.SCHEDULED, publish_at=when, publish_error="", updated_at=at
        )
        if not done:
            raise DomainError("conflict", "通知状态已变化，请刷新后再试")
        action = "notice.schedule"
    else:
        if not await publish(notice_id=notice.id, at=at):
            raise DomainError("conflict", "通知状态已变化，请刷新后再试")
        action = "notice.publish"
    await audit.record_action(
        actor_id=principal.person_id, action=action, target_type="notice", target_id=notice.id
    )
    return await present.sender_view(await Notice.get(id=notice.id), manager=True)


async def publish(*, notice_id: int, at: datetime) -> bool:
    """Resolve the audience, store the recipients and announce; False if not unpublished.

    Safe to run twice: the status moves once, and the announcement key is idempotent.
    """
    at = china(at)
    notice = await Notice.get_or_none(id=notice_id)
    if notice is None or notice.status not in UNPUBLISHED:
        return False
    try:
        if notice.activity_id and await rsvp.cancelled_activity_ids({notice.activity_id}):
            # An invitation set for a day that was cancelled since must not go out.
            raise DomainError("activity_cancelled", CANCELLED_ACTIVITY, status=409)
        people = await audiences.resolve(
            kindergarten_id=notice.kindergarten_id, audience=notice.audience
        )
    except DomainError as exc:
        if notice.status == NoticeStatus.SCHEDULED:
            # Nobody to send to at the set time: back to the sender, with the reason.
            await Notice.filter(id=notice.id, status=NoticeStatus.SCHEDULED).update(
                status=NoticeStatus.DRAFT, publish_error=f"定时发布失败：{exc.message}"[:200]
            )
            return False
        raise
    async with in_transaction():
        done = await Notice.filter(id=notice.id, status__in=UNPUBLISHED).update(
            status=NoticeStatus.PUBLISHED, published_at=at, publish_error="", updated_at=at
        )
        if not done:
            return False
        await NoticeRecipient.bulk_create(
            [
                NoticeRecipient(
                    notice_id=notice.id,
                    person_id=p.person_id,
                    role=p.role,
                    family=p.family,
                    class_id=p.class_id,
                )
                for p in people
            ],
            batch_size=BATCH,
        )
    await announce(notice_id=notice.id)
    return True


async def announce(*, notice_id: int) -> bool:
    """Hand the publication message to the delivery engine; False if it failed (retried)."""
    notice = await Notice.get(id=notice_id)
    people = await NoticeRecipient.filter(notice_id=notice.id).values_list("person_id", flat=True)
    activity = (await present.activity_views([notice])).get(notice.activity_id)
    try:
        await outbox.send(
            notice=notice,
            person_ids=people,
            kind=outbox.KIND_PUBLISHED,
            key=outbox.published_key(notice.id),
            note=outbox.action_hint(notice),
            activity=activity,
        )
    except Exception as exc:  # noqa: BLE001 - the minute job announces it again, up to a cap
        log.error("notice %s not announced yet: %s", notice.id, type(exc).__name__)
        await _announce_failed(notice.id, exc)
        return False
    await Notice.filter(id=notice.id).update(announced_at=china(now()), publish_error="")
    await failures.clear_failure(job=PUBLISH_JOB, item=failing.item(notice.id, "announce"))
    return True


async def _announce_failed(notice_id: int, exc: BaseException) -> None:
    """Count the failure; the sender sees it on the notice's page, and the final one."""
    reason = failures.reason_of(exc)
    item = failing.item(notice_id, "announce")
    if await failures.record_failure(job=PUBLISH_JOB, item=item, reason=f"发送失败：{reason}"):
        shown = (
            f"发送失败：已自动重试 {failures.MAX_ATTEMPTS} 次仍未发出（{reason}）。"
            "请点击「重新发送」，或联系管理员"
        )
    else:
        shown = f"发送未完成，系统正在自动重试：{reason}"
    await Notice.filter(id=notice_id).update(publish_error=shown[:200])


async def _publish_failed(notice_id: int, exc: BaseException) -> None:
    """A scheduled notice that cannot be published goes back to its sender after the cap."""
    log.error("scheduled notice %s not published: %s", notice_id, type(exc).__name__)
    reason = failures.reason_of(exc)
    item = failing.item(notice_id, "publish")
    if await failures.record_failure(job=PUBLISH_JOB, item=item, reason=f"发送失败：{reason}"):
        await Notice.filter(id=notice_id, status=NoticeStatus.SCHEDULED).update(
            status=NoticeStatus.DRAFT,
            publish_error=f"定时发布失败：已自动重试 {failures.MAX_ATTEMPTS} 次（{reason}）"[:200],
        )


async def retry_announce(*, principal: Principal, notice_id: int) -> dict:
    """The sender sends a publication again that the system gave up on."""
    notice = await access.get_managed_notice(principal=principal, notice_id=notice_id)
    if notice.status != NoticeStatus.PUBLISHED:
        _ensure_not_cancelled(notice)
        raise DomainError("not_published", "通知尚未发布", status=409)
    if notice.announced_at is not None:
        raise DomainError("already_announced", "通知已发出，无需重新发送", status=409)
    await failures.clear_failure(job=PUBLISH_JOB, item=failing.item(notice.id, "announce"))
    sent = await announce(notice_id=notice.id)
    await audit.record_action(
        actor_id=principal.person_id,
        action="notice.announce_again",
        target_type="notice",
        target_id=notice.id,
        detail={"sent": sent},
    )
    return await present.sender_view(await Notice.get(id=notice.id), manager=True)


async def publish_due(*, at: datetime) -> dict:
    """Publish scheduled notices whose time came; finish interrupted announcements."""
    due = await Notice.filter(status=NoticeStatus.SCHEDULED, publish_at__lte=china(at)).values_list(
        "id", flat=True
    )
    published: list[int] = []
    for nid in due:
        # One notice that cannot be published must not hold up the others.
        try:
            if await publish(notice_id=nid, at=at):
                published.append(nid)
        except Exception as exc:  # noqa: BLE001 - counted, capped and shown to the sender
            await _publish_failed(nid, exc)
    # Left a minute to the request that is announcing it right now.
    pending = await Notice.filter(
        status=NoticeStatus.PUBLISHED,
        announced_at__isnull=True,
        published_at__lte=china(at - ANNOUNCE_GRACE),
    ).values_list("id", flat=True)
    # Given up after the cap: the sender sees why and may send again; no quiet loop.
    dead = await failures.given_up(
        job=PUBLISH_JOB, items=[failing.item(nid, "announce") for nid in pending]
    )
    announced = [
        nid
        for nid in pending
        if nid not in published
        and failing.item(nid, "announce") not in dead
        and await announce(notice_id=nid)
    ]
    return {"published": published, "announced": announced, "given_up": len(dead)}


# ---- cancel -------------------------------------------------------------------------------


async def cancel_notice(*, principal: Principal, notice_id: int, reason: str = "") -> dict:
    """Withdraw a notice; recipients of a published one are told, invitations withdrawn."""
    notice = await access.get_managed_notice(principal=principal, notice_id=notice_id)
    if notice.status == NoticeStatus.CANCELLED:
        raise DomainError("notice_cancelled", "通知已取消", status=409)
    reason = rules.clean_reason(reason)
    was = NoticeStatus(notice.status)
    at = china(now())
    async with in_transaction():
        done = await Notice.filter(id=notice.id, status=was).update(
            status=NoticeStatus.CANCELLED, cancel_reason=reason, cancelled_at=at, updated_at=at
        )
        if not done:
            raise DomainError("conflict", "通知状态已变化，请刷新后再试")
        await rsvp.withdraw_invitations(notice)
        await audit.record_action(
            actor_id=principal.person_id,
            action="notice.cancel",
            target_type="notice",
            target_id=notice.id,
            reason=reason,
            detail={"was": was.value},
        )
    fresh = await Notice.get(id=notice.id)
    if was == NoticeStatus.PUBLISHED:
        people = await NoticeRecipient.filter(notice_id=notice.id).values_list(
            "person_id", flat=True
        )
        await outbox.send(
            notice=fresh,
            person_ids=people,
            kind=outbox.KIND_UPDATED,
            key=f"notice:{notice.id}:cancelled",
            title=f"通知已取消：{fresh.title}"[:64],
            note=f"该通知已取消{('：' + reason) if reason else ''}",
        )
    return await present.sender_view(fresh, manager=True)
