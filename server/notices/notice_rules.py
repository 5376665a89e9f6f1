"""The rules a notice's fields obey, each refusal with a stable code and Chinese words."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlparse

from server.common.errors import DomainError
from server.common.time import CHINA
from server.notices.models import AckMode, CapacityUnit

TITLE_MAX = 64
#: Said to a family answering a notice whose linked activity was cancelled.
RSVP_CLOSED_CANCELLED = "活动已取消，报名已关闭"
BODY_MAX = 5000
MAX_IMAGES = 9
MAX_ATTACHMENTS = 5
URL_MAX = 500
ATTACHMENT_NAME_MAX = 64
#: Bounds of the per-family headcount limits a sender may set.
MAX_ADULTS_LIMIT = 10
MAX_CHILDREN_LIMIT = 10
MAX_CAPACITY = 100_000
REASON_MAX = 200


def aware(moment: datetime | None) -> datetime | None:
    """A time with its zone; times sent without one are read as China time."""
    if moment is None:
        return None
    # Stored in China time: SQLite compares the stored "+08:00" text.
    return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment.astimezone(CHINA)


def clean_title(value: str | None) -> str:
    """A trimmed title of 1..64 characters."""
    title = (value or "").strip()
    if not 1 <= len(title) <= TITLE_MAX:
        raise DomainError("invalid_title", f"通知标题须为 1 至 {TITLE_MAX} 个字")
    return title


def clean_body(value: str | None) -> str:
    """The body as plain text, at most 5000 characters."""
    body = (value or "").strip()
    if len(body) > BODY_MAX:
        raise DomainError("body_too_long", f"通知正文不能超过 {BODY_MAX} 个字")
    return body


def _url(value: str, *, what: str) -> str:
    url = (value or "").strip()
    parsed = urlparse(url)
    if len(url) > URL_MAX or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise DomainError(
            "invalid_url", f"{what}须为 http(s) 开头的网址，且不超过 {URL_MAX} 个字符"
        )
    return url


def clean_images(values: list[str] | None) -> list[str]:
    """At most 9 image URLs."""
    images = list(values or [])
    if len(images) > MAX_IMAGES:
        raise DomainError("too_many_images", f"图片最多 {MAX_IMAGES} 张")
    return [_url(v, what="图片地址") for v in images]


def clean_attachments(values: list[dict] | None) -> list[dict]:
    """At most 5 attachments, each a name and a URL."""
    items = list(values or [])
    if len(items) > MAX_ATTACHMENTS:
        raise DomainError("too_many_attachments", f"附件最多 {MAX_ATTACHMENTS} 个")
    out = []
    for item in items:
        name = (item.get("name") or "").strip()
        if not 1 <= len(name) <= ATTACHMENT_NAME_MAX:
            raise DomainError("invalid_attachment", f"附件名称须为 1 至 {ATTACHMENT_NAME_MAX} 个字")
        out.append({"name": name, "url": _url(item.get("url") or "", what="附件地址")})
    return out


def parse_ack_mode(value: str | None) -> AckMode:
    """read, confirm or rsvp."""
    try:
        return AckMode(value or AckMode.READ)
    except ValueError as exc:
        raise DomainError(
            "invalid_ack_mode", "回执方式须为 read（阅读即可）、confirm（确认收到）或 rsvp（报名）"
        ) from exc


def parse_capacity_unit(value: str | None) -> CapacityUnit:
    """people or families."""
    try:
        return CapacityUnit(value or CapacityUnit.PEOPLE)
    except ValueError as exc:
        raise DomainError(
            "invalid_capacity_unit", "名额单位须为 people（按人数）或 families（按家庭）"
        ) from exc


def check_capacity(capacity: int | None) -> int | None:
    """None (unlimited) or 1..100000."""
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError(
            "invalid_capacity", f"名额须为 1 至 {MAX_CAPACITY} 之间的整数，不限名额请留空"
        )
    return capacity


def check_family_limits(max_adults: int, max_children: int) -> None:
    """How many adults (1..10) and children (0..10) one family may bring."""
    if not 1 <= max_adults <= MAX_ADULTS_LIMIT:
        raise DomainError("invalid_limits", f"每户成人上限须为 1 至 {MAX_ADULTS_LIMIT}")
    if not 0 <= max_children <= MAX_CHILDREN_LIMIT:
        raise DomainError("invalid_limits", f"每户幼儿上限须为 0 至 {MAX_CHILDREN_LIMIT}")


def check_deadline(deadline: datetime | None, *, at: datetime) -> None:
    """A deadline, when given, lies in the future."""
    if deadline is not None and deadline <= at:
        raise DomainError("deadline_past", "截止时间已过，请选择一个将来的时间")


def check_publish_at(publish_at: datetime, deadline: datetime | None, *, at: datetime) -> None:
    """A scheduled moment lies in the future and before the deadline."""
    if publish_at <= at:
        raise DomainError("publish_at_past", "定时发布时间须晚于现在")
    if deadline is not None and deadline <= publish_at:
        raise DomainError("deadline_before_publish", "截止时间须晚于定时发布时间")


def clean_reason(value: str | None) -> str:
    """An optional reason, at most 200 characters."""
    reason = (value or "").strip()
    if len(reason) > REASON_MAX:
        raise DomainError("text_too_long", f"原因不能超过 {REASON_MAX} 个字")
    return reason
