"""After an open day: a feedback request to the families who came, their stars, 家长满意度.

A family attended when any of its guardians checked in to the notice's linked activity
(a check-in an organizer annulled does not count). Each family gives one rating and may
change it. Comments are shown to the kindergarten's staff and leaders without names;
other parents see only the average and the count.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tortoise.expressions import Q

from server.checkin import facts as checkin_facts
from server.common.auth import Principal
from server.common.errors import DomainError
from server.common.time import CHINA, china
from server.notices import access, failing, outbox, present
from server.notices.access import Seat
from server.notices.models import Notice, NoticeFeedback, NoticeRecipient, NoticeStatus

#: How long after the activity late check-ins (补签) still bring a feedback request.
REQUEST_WINDOW = timedelta(days=3)
FEEDBACK_JOB = "notices.request_feedback"
COMMENT_MAX = 500


async def attended_families(notice: Notice) -> set[str]:
    """Families of the notice with at least one member checked in to its activity."""
    if not notice.activity_id:
        return set()
    came = await checkin_facts.checked_in_ids(activity_id=notice.activity_id)
    if not came:
        return set()
    return set(
        await NoticeRecipient.filter(notice_id=notice.id, person_id__in=list(came)).values_list(
            "family", flat=True
        )
    )


async def request_due(*, at: datetime) -> dict:
    """Ask the families who came to finished activities for feedback; safe to run twice."""
    notices = await Notice.filter(
        Q(activity__status="finished") | Q(activity__ends_at__lte=china(at)),
        status=NoticeStatus.PUBLISHED,
        activity_id__not_isnull=True,
        activity__ends_at__gte=china(at - REQUEST_WINDOW),
    ).exclude(activity__status="cancelled")
    asked: dict[int, int] = {}
    failed: list[int] = []
    # Given up after the cap (the sender was shown why): not tried every five minutes.
    dead = await failing.given_up_ids(
        job=FEEDBACK_JOB, notice_ids=[n.id for n in notices], step="feedback"
    )
    for notice in notices:
        if notice.id in dead:
            continue
        try:
            count = await _ask(notice, at=at)
        except Exception as exc:  # noqa: BLE001 - counted; given up after the cap, shown
            failed.append(notice.id)
            await failing.step_failed(
                job=FEEDBACK_JOB, notice_id=notice.id, step="feedback", what="评价邀请", exc=exc
            )
            continue
        if count:
            await failing.step_done(job=FEEDBACK_JOB, notice_id=notice.id, step="feedback")
            asked[notice.id] = count
    return {"asked": asked, "failed": failed}


async def _ask(notice: Notice, *, at: datetime) -> int:
    """Ask the attended families of one notice not asked yet; how many people were asked."""
    families = await attended_families(notice)
    if not families:
        return 0
    people = await NoticeRecipient.filter(
        notice_id=notice.id, family__in=list(families), feedback_requested_at__isnull=True
    ).values_list("person_id", flat=True)
    if not people:
        return 0
    await outbox.send(
        notice=notice,
        person_ids=people,
        kind=outbox.KIND_FEEDBACK,
        key=f"notice:{notice.id}:feedback",
        title=f"活动反馈：{notice.title}"[:64],
        note="感谢您参加本次活动，请为活动打分并留下建议",
    )
    await NoticeRecipient.filter(notice_id=notice.id, person_id__in=list(people)).update(
        feedback_requested_at=china(at)
    )
    return len(people)


def _check(stars: int, comment: str | None) -> str:
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise DomainError("invalid_stars", "评分须为 1 至 5 星")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError("comment_too_long", f"评价内容不能超过 {COMMENT_MAX} 个字")
    return comment


async def submit(
    *, principal: Principal, notice_id: int, stars: int, comment: str | None = ""
) -> dict:
    """The caller's family rates the activity it attended (once; a new rating replaces it)."""
    notice, receipt = await access.get_recipient(principal=principal, notice_id=notice_id)
    comment = _check(stars, comment)
    if not notice.activity_id:
        raise DomainError("no_activity", "该通知没有关联活动，无需评价", status=409)
    if receipt.family not in await attended_families(notice):
        raise DomainError("not_attended", "只有签到参加了活动的家庭可以评价", status=403)
    row, created = await NoticeFeedback.get_or_create(
        notice_id=notice.id,
        family=receipt.family,
        defaults={
            "kindergarten_id": notice.kindergarten_id,
            "person_id": principal.person_id,
            "stars": stars,
            "comment": comment,
        },
    )
    if not created:
        row.stars, row.comment, row.person_id = stars, comment, principal.person_id
        await row.save(update_fields=["stars", "comment", "person_id", "updated_at"])
    return {
        "stars": row.stars,
        "comment": row.comment,
        "message": "感谢您的评价" if created else "评价已更新",
    }


def _average(stars: list[int]) -> float | None:
    return round(sum(stars) / len(stars), 2) if stars else None


async def summary(*, principal: Principal, notice_id: int) -> dict:
    """Average and count for everyone; comments (without names) for staff and leaders."""
    notice, seat = await access.get_notice(principal=principal, notice_id=notice_id)
    rows = await NoticeFeedback.filter(notice_id=notice.id).order_by("-updated_at", "-id")
    stars = [r.stars for r in rows]
    data: dict = {"notice_id": notice.id, "count": len(rows), "average": _average(stars)}
    if seat == Seat.RECIPIENT:
        receipt = await NoticeRecipient.get(notice_id=notice.id, person_id=principal.person_id)
        mine = next((r for r in rows if r.family == receipt.family), None)
        data["mine"] = {"stars": mine.stars, "comment": mine.comment} if mine else None
        return data
    data["attended_families"] = len(await attended_families(notice))
    data["distribution"] = {str(n): stars.count(n) for n in range(1, 6)}
    data["comments"] = [
        {"stars": r.stars, "comment": r.comment, "at": present.iso(r.updated_at)}
        for r in rows
        if r.comment
    ]
    return data


def _moment(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return china(value if value.tzinfo else value.replace(tzinfo=CHINA))
    return datetime(value.year, value.month, value.day, tzinfo=CHINA)


async def satisfaction(
    *,
    kindergarten_ids: set[int] | list[int] | None,
    since: date | datetime,
    until: date | datetime,
) -> dict:
    """家长满意度: average stars of feedback given in [since, until), overall and per kindergarten.

    `kindergarten_ids` None: every kindergarten's feedback (a city-wide report).

    Dates are China days (`until` excluded). Returns {"average", "count", "by_kindergarten":
    {id: {"average", "count"}}, "by_activity": {activity id: {"average", "count", "stars"}}};
    average is None where nobody rated. by_activity holds the ratings of notices linked to an
    activity, so a pairing's figure can come from its own activities only.
    """
    chosen = {} if kindergarten_ids is None else {"kindergarten_id__in": list(kindergarten_ids)}
    rows = await NoticeFeedback.filter(
        **chosen, created_at__gte=_moment(since), created_at__lt=_moment(until)
    ).values_list("kindergarten_id", "stars", "notice__activity_id")
    per: dict[int, list[int]] = {}
    per_activity: dict[int, list[int]] = {}
    for kindergarten_id, stars, activity_id in rows:
        per.setdefault(kindergarten_id, []).append(stars)
        if activity_id:
            per_activity.setdefault(activity_id, []).append(stars)
    every = [row[1] for row in rows]
    return {
        "average": _average(every),
        "count": len(every),
        "by_kindergarten": {
            kid: {"average": _average(values), "count": len(values)} for kid, values in per.items()
        },
        "by_activity": {
            aid: {"average": _average(values), "count": len(values), "stars": sum(values)}
            for aid, values in per_activity.items()
        },
    }
