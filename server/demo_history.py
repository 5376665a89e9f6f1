"""A semester of demo work in 湘江县, dated around today, so a new user sees every screen work.

Finished 送教 and 讲座 with presenters (class and 领域), check-ins, records and drawn
demo photos (two consented, one not); this
week's activities (one open for check-in right now); and 公众号 posts at each 三审 step: one
waiting for the demo director's review, one for the demo leader's 签发. Idempotent: an
activity is found by its host and title before it is made, so a second load adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from server.activities.codes import new_activity_code, new_activity_secret
from server.activities.models import (
    Activity,
    ActivityAudience,
    ActivityKind,
    ActivityStatus,
    AudienceMode,
    Presenter,
)
from server.archive import service as archive
from server.checkin import hours
from server.checkin.models import Checkin, CheckinMethod
from server.common.auth import Grant, Principal
from server.common.runtime import configured_calendar
from server.common.semester import semester_of, semester_range
from server.common.time import CHINA, now
from server.demo_ledger import load_ledger_demo
from server.demo_photos import demo_photo
from server.orgs.models import Kindergarten, Pairing, Person
from server.publicity import service as publicity
from server.publicity.models import Post


@dataclass(frozen=True)
class Lesson:
    """One presenter's part: the i-th staff member of the supporting side."""

    staff: int
    hours: float
    topic: str
    class_name: str = ""
    area: str = ""


@dataclass(frozen=True)
class Held:
    """A demo activity: who helps whom, when (days from today), what, and how it went."""

    supporting: str
    supported: str
    days: float  #: negative: in the past (finished); positive: to come; 0: open right now
    kind: ActivityKind
    title: str
    lessons: tuple[Lesson, ...]
    host_is_supporting: bool = False
    summary: str = ""
    reflection: str = ""
    #: "review": a post waiting for the director; "sign": waiting for the leader.
    post: str = ""


HISTORY = (
    Held(
        "qingshan", "shiqiao", -42, ActivityKind.SEND_TO_COUNTRYSIDE,
        "送教下乡：绘本教学示范课《小蝌蚪找妈妈》",
        (Lesson(2, 1, "示范课《小蝌蚪找妈妈》", "小一班", "语言"), Lesson(1, 0.5, "评课与说课")),
        summary="示范课后与村园教师逐环节评课，梳理了绘本提问的三个层次。",
        reflection="孩子们第一次完整地听完一本绘本，还争着讲后面的故事。村园老师说学会了怎么提问。",
    ),
    Held(
        "jiguan", "qingshan", -28, ActivityKind.JOINT_RESEARCH,
        "联合教研：区域活动材料投放",
        (Lesson(2, 1, "区域材料投放的层次性", "中一班", "科学"),),
        summary="两园教研组围绕科学区材料投放开展现场研讨，形成材料清单。",
        reflection="材料不在多，而在有层次；孩子能自己选、能反复玩，才是好材料。",
    ),
    Held(
        "shiyan", "jiguan", -14, ActivityKind.LECTURE,
        "专题讲座：幼小衔接中的习惯培养",
        (Lesson(1, 2, "幼小衔接中的学习习惯与生活习惯"),),
        host_is_supporting=True,
        summary="讲座结合大班一日生活案例，介绍了习惯培养的具体做法。",
        reflection="衔接不是提前学小学的知识，而是培养孩子能坚持、会整理、敢提问的习惯。",
        post="review",
    ),
    Held(
        "qingshan", "shiqiao", -7, ActivityKind.SEND_TO_COUNTRYSIDE,
        "送教下乡：科学活动《沉与浮》",
        (Lesson(3, 1, "科学活动《沉与浮》", "大一班", "科学"), Lesson(1, 0.5, "评课")),
        summary="执教教师引导幼儿猜想、操作、记录，村园教师现场观摩并参与评课。",
        reflection="让孩子先猜再试，记录表比结论更重要。我们园也要把材料准备起来。",
        post="sign",
    ),
    Held(
        "shiyan", "chengnan", -3, ActivityKind.OBSERVATION,
        "教学观摩：大班户外自主游戏",
        (Lesson(3, 1, "户外自主游戏的观察与支持", "大一班", "健康"),),
        host_is_supporting=True,
        summary="城南幼儿园教师观摩户外自主游戏，并就教师观察记录进行交流。",
    ),
    Held(
        "qingshan", "shiqiao", 0, ActivityKind.SEND_TO_COUNTRYSIDE,
        "送教下乡：音乐活动《小雨沙沙》",
        (Lesson(2, 1, "音乐活动《小雨沙沙》", "中一班", "艺术"),),
    ),
    Held(
        "shiyan", "yuying", 3, ActivityKind.SAME_LESSON,
        "同课异构：中班数学《按规律排序》",
        (Lesson(3, 1, "中班数学《按规律排序》", "中一班", "科学"),),
    ),
)  # fmt: skip

#: Attending staff of the supported side (indices of STAFF: 主任, 教研组长, 教师, 保育员).
ATTENDEES = (1, 2, 3, 4)


def _day(days: float) -> datetime:
    """A 9:00 start `days` from today, kept inside this semester for the past ones."""
    today = now().astimezone(CHINA)
    start = today.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=days)
    if days == 0:
        return today - timedelta(minutes=15)  # open for check-in right now
    if days < 0:
        first, _ = semester_range(semester_of(now(), configured_calendar()), configured_calendar())
        earliest = datetime.combine(first, start.timetz())
        start = max(start, earliest + timedelta(days=abs(days) / 7))
        start = min(start, today - timedelta(hours=3))
    return start


def _status(days: float) -> ActivityStatus:
    if days < 0:
        return ActivityStatus.FINISHED
    return ActivityStatus.ONGOING if days == 0 else ActivityStatus.PUBLISHED


async def _activity(
    held: Held, kgs: dict[str, Kindergarten], staff: dict[tuple[str, int], Person]
) -> tuple[Activity, bool]:
    host = kgs[held.supporting if held.host_is_supporting else held.supported]
    found = await Activity.get_or_none(host=host, title=held.title)
    if found is not None:
        return found, False
    pairing = await Pairing.get(supporting=kgs[held.supporting], supported=kgs[held.supported])
    start = _day(held.days)
    activity = await Activity.create(
        title=held.title,
        kind=held.kind,
        pairing=pairing,
        host=host,
        created_by=staff[(host_key(held), 1)],
        address=host.address,
        lat=host.lat,
        lng=host.lng,
        radius_m=500,
        starts_at=start,
        ends_at=start + timedelta(hours=2, minutes=30),
        checkin_opens_at=start - timedelta(minutes=30),
        late_after=start + timedelta(minutes=10),
        checkin_closes_at=start + timedelta(hours=2, minutes=30),
        audience_mode=AudienceMode.KINDERGARTENS,
        status=_status(held.days),
        attendee_hours=2,
        plan=f"{held.title.split('：')[-1]}：通过示范与研讨，帮助被帮扶园教师提升保教能力。",
        summary=held.summary,
        reflection=held.reflection,
        code=new_activity_code(),
        secret=new_activity_secret(),
    )
    for kg in {kgs[held.supporting], kgs[held.supported]}:
        await ActivityAudience.create(activity=activity, kindergarten=kg)
    for lesson in held.lessons:
        await Presenter.create(
            activity=activity,
            person=staff[(held.supporting, lesson.staff)],
            hours=lesson.hours,
            topic=lesson.topic,
            class_name=lesson.class_name,
            subject_area=lesson.area,
        )
    return activity, True


def host_key(held: Held) -> str:
    """The key of the kindergarten that hosts the activity."""
    return held.supporting if held.host_is_supporting else held.supported


async def _check_ins(activity: Activity, held: Held, staff: dict) -> None:
    if held.days > 0:
        return
    # Right now only two have scanned, so the demo teacher can still check in herself.
    attendees = ATTENDEES[:1] if held.days == 0 else ATTENDEES
    for n, i in enumerate(attendees):
        await Checkin.create(
            activity=activity,
            person=staff[(held.supported, i)],
            method=CheckinMethod.DYNAMIC if n % 2 else CheckinMethod.STATIC,
            late=n == len(attendees) - 1 and held.days < 0,
            scanned_at=activity.starts_at - timedelta(minutes=20 - 4 * n),
            adults=1,
        )


async def _credit(activity: Activity, held: Held) -> None:
    """The hours ledger as the real flow leaves it: each check-in credited (at the scan),
    presenters once the activity has finished. Idempotent, so older demo data is mended."""
    await hours.settle_attendees(activity_id=activity.id)
    if held.days < 0:
        await hours.credit_presenters(activity_id=activity.id)


def _principal(person: Person, role: str, kindergarten_id: int) -> Principal:
    return Principal(
        account_id=0,
        person_id=person.id,
        session_id="demo",
        grants=(Grant(role, "kindergarten", kindergarten_id),),
    )


async def _photos(activity: Activity, held: Held, kgs: dict, staff: dict, settings) -> None:
    """Two consented demo photos, and one without consent to show what is refused."""
    if held.days >= 0 or settings is None:
        return
    host = host_key(held)
    organizer = _principal(staff[(host, 1)], "organizer", kgs[host].id)
    subject = held.title.split("：")[-1]
    shots = (
        (f"{subject}活动现场", True),
        ("教师现场评课研讨", True),
        ("幼儿近景（未同意公开）", False),
    )
    for n, (caption, consent) in enumerate(shots):
        await archive.upload_file(
            principal=organizer,
            activity_id=activity.id,
            kind="photo",
            data=demo_photo(caption, seed=activity.id * 10 + n),
            filename=f"demo-{n + 1}.jpg",
            caption=caption,
            consent=consent,
            data_dir=settings.data_dir,
            max_bytes=settings.max_upload_mb * 1024 * 1024,
        )


async def _post(activity: Activity, held: Held, kgs: dict, staff: dict) -> None:
    if not held.post or await Post.exists(activity_id=activity.id):
        return
    host = host_key(held)
    writer = _principal(staff[(host, 1)], "organizer", kgs[host].id)
    post, _ = await publicity.create_post(principal=writer, activity_id=activity.id)
    await publicity.submit_post(principal=writer, post_id=post["id"])
    if held.post == "sign":
        director = _principal(staff[(host, 0)], "director", kgs[host].id)
        await publicity.approve_post(
            principal=director, post_id=post["id"], comment="内容翔实，同意发布"
        )


async def load_history(
    kgs: dict[str, Kindergarten], staff: dict[tuple[str, int], Person], settings=None
) -> int:
    """Add the demo semester's activities, check-ins, photos and posts; answers how many new."""
    made = 0
    for held in HISTORY:
        activity, new = await _activity(held, kgs, staff)
        if new:
            made += 1
            await _check_ins(activity, held, staff)
            await _photos(activity, held, kgs, staff, settings)
        await _credit(activity, held)
        await _post(activity, held, kgs, staff)
    await load_ledger_demo(kgs, staff)
    return made
