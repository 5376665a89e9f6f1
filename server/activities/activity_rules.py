"""The rules an activity's fields obey, each refusal with a stable code and Chinese words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from server.activities.models import (
    FAMILY_KINDS,
    Activity,
    ActivityKind,
    ActivityStatus,
    AudienceMode,
)
from server.common.errors import DomainError
from server.common.time import CHINA

TITLE_MAX = 64
MAX_RADIUS_M = 50_000
#: 课时 one person can be credited for one activity; catches typos like 40 for 4.0.
MAX_HOURS = 24
DEFAULT_OPEN_BEFORE = timedelta(minutes=30)
DEFAULT_GRACE = timedelta(minutes=10)
MAX_OPEN_BEFORE = timedelta(hours=24)
MAX_CLOSE_AFTER = timedelta(hours=6)
ROTATE_RANGE = (10, 120)
AUDIENCE_LABELS = {
    AudienceMode.INVITED: "按名单邀请",
    AudienceMode.KINDERGARTENS: "指定幼儿园的教职工",
    AudienceMode.ALLIANCE: "联盟全体成员园",
    AudienceMode.FAMILIES: "指定幼儿园的家长",
}


@dataclass(frozen=True)
class Window:
    """When check-in opens, after when it is late, and when it closes."""

    opens: datetime
    late_after: datetime
    closes: datetime


def aware(moment: datetime) -> datetime:
    """A time with its zone; times sent without one are read as China time."""
    return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment


def clean_title(value: str | None) -> str:
    """A trimmed title of 1..64 characters."""
    title = (value or "").strip()
    if not 1 <= len(title) <= TITLE_MAX:
        raise DomainError("invalid_title", f"活动名称须为 1 至 {TITLE_MAX} 个字")
    return title


def clean_text(value: str | None, *, what: str, max_length: int) -> str:
    """Optional free text, trimmed, at most max_length characters."""
    text = (value or "").strip()
    if len(text) > max_length:
        raise DomainError("text_too_long", f"{what}不能超过 {max_length} 个字")
    return text


def parse_kind(value: str) -> ActivityKind:
    """An activity kind from its Chinese name."""
    try:
        return ActivityKind(value)
    except ValueError as exc:
        names = "、".join(k.value for k in ActivityKind)
        raise DomainError("invalid_kind", f"活动类型不正确，可选：{names}") from exc


def parse_audience_mode(value: str | None, kind: ActivityKind) -> AudienceMode:
    """The audience mode; family kinds default to families, others to kindergartens."""
    if value is None:
        return AudienceMode.FAMILIES if kind in FAMILY_KINDS else AudienceMode.KINDERGARTENS
    try:
        return AudienceMode(value)
    except ValueError as exc:
        names = "、".join(f"{m.value}（{label}）" for m, label in AUDIENCE_LABELS.items())
        raise DomainError("invalid_audience", f"参与范围不正确，可选：{names}") from exc


def default_window(starts: datetime, ends: datetime) -> Window:
    """Opens 30 min before the start, late 10 min after it, closes at the end."""
    return Window(
        opens=starts - DEFAULT_OPEN_BEFORE,
        late_after=min(starts + DEFAULT_GRACE, ends),
        closes=ends,
    )


def check_times(starts: datetime, ends: datetime, window: Window) -> None:
    """The activity ends after it starts, and the window sits around it."""
    if ends <= starts:
        raise DomainError("invalid_time", "活动结束时间必须晚于开始时间")
    if not window.opens <= window.late_after <= window.closes:
        raise DomainError(
            "invalid_window", "签到时间须满足：开始签到时间 ≤ 迟到起算时间 ≤ 签到截止时间"
        )
    if window.opens < starts - MAX_OPEN_BEFORE:
        raise DomainError("invalid_window", "签到最早只能在活动开始前 24 小时开放")
    if window.opens >= ends:
        raise DomainError("invalid_window", "签到必须在活动结束之前开放")
    if window.closes < starts:
        raise DomainError("invalid_window", "签到截止时间不能早于活动开始时间")
    if window.closes > ends + MAX_CLOSE_AFTER:
        raise DomainError("invalid_window", "签到截止时间最晚为活动结束后 6 小时")


def check_place(lat: float | None, lng: float | None, radius_m: int) -> None:
    """Both coordinates or neither, within range; a radius of 1 m .. 50 km."""
    if (lat is None) != (lng is None):
        raise DomainError("invalid_coordinates", "经度和纬度须同时填写")
    if lat is not None and not -90 <= lat <= 90:
        raise DomainError("invalid_coordinates", "纬度须在 -90 至 90 之间")
    if lng is not None and not -180 <= lng <= 180:
        raise DomainError("invalid_coordinates", "经度须在 -180 至 180 之间")
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise DomainError("invalid_radius", "签到范围半径须大于 0 米且不超过 50 公里")


def check_hours(value: float, *, what: str) -> float:
    """课时 of 0..24."""
    if not 0 <= value <= MAX_HOURS:
        raise DomainError("invalid_hours", f"{what}须在 0 至 {MAX_HOURS} 之间，不能为负数")
    return float(value)


def check_rotation(seconds: int) -> int:
    """How often the projector code changes."""
    low, high = ROTATE_RANGE
    if not low <= seconds <= high:
        raise DomainError("invalid_rotation", f"签到码刷新间隔须在 {low} 至 {high} 秒之间")
    return seconds


#: The five 领域 of the 3-6岁儿童学习与发展指南.
SUBJECT_AREAS = ("健康", "语言", "社会", "科学", "艺术")


def check_subject_area(value: str | None) -> str:
    """One of the five 领域 (with or without the word 领域), or empty."""
    area = (value or "").strip().removesuffix("领域")
    if area and area not in SUBJECT_AREAS:
        raise DomainError("invalid_subject_area", f"领域须为{'、'.join(SUBJECT_AREAS)}之一，或留空")
    return area


def clean_presenters(presenters: list[dict]) -> list[dict]:
    """Presenters with checked hours and topics; one entry per person."""
    seen: set[int] = set()
    cleaned = []
    for p in presenters:
        if p["person_id"] in seen:
            raise DomainError("duplicate_presenter", "同一人不能重复列为主讲人")
        seen.add(p["person_id"])
        cleaned.append(
            {
                "person_id": p["person_id"],
                "hours": check_hours(p.get("hours", 1), what="主讲课时"),
                "topic": clean_text(p.get("topic"), what="主讲内容", max_length=100),
                "class_name": clean_text(p.get("class_name"), what="授课班级", max_length=32),
                "subject_area": check_subject_area(p.get("subject_area")),
            }
        )
    return cleaned


#: Statuses in which an activity may still be changed (and cancelled).
EDITABLE = (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED)


def ensure_editable(activity: Activity) -> None:
    """Refuse changes to a finished or cancelled activity."""
    status = ActivityStatus(activity.status)
    if status == ActivityStatus.FINISHED:
        raise DomainError("not_editable", "活动已结束，不能再修改", status=409)
    if status == ActivityStatus.CANCELLED:
        raise DomainError("not_editable", "活动已取消，不能再修改", status=409)
