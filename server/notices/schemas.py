"""Request bodies of the notice endpoints, and the answers the mini-program reads.

Types only, with generous caps: the rules with Chinese messages and stable codes
(title length, at most 9 images, deadlines, capacity, headcounts) live in the service,
so every client gets the same explanation. Times without a timezone are China time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    """Unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class AttachmentIn(Body):
    """An attachment: a name and where to download it."""

    name: str
    url: str


class AudienceIn(Body):
    """Who gets the notice: the union of the parts given, all of the sending kindergarten."""

    kindergarten: bool = False  #: every family of the kindergarten
    grades: list[str] = Field(default_factory=list, max_length=10)
    class_ids: list[int] = Field(default_factory=list, max_length=200)
    parent_ids: list[int] = Field(default_factory=list, max_length=5000)
    teacher_ids: list[int] = Field(default_factory=list, max_length=2000)


class NoticeBody(Body):
    """A new notice (a draft until published)."""

    kindergarten_id: int = Field(gt=0)
    title: str
    body: str = ""
    images: list[str] = Field(default_factory=list, max_length=50)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=50)
    audience: AudienceIn
    ack_mode: str = "read"
    deadline: datetime | None = None
    capacity: int | None = None
    capacity_unit: str = "people"
    max_adults: int = 2
    max_children: int = 2
    activity_id: int | None = Field(default=None, gt=0)


class NoticePatch(Body):
    """Changes; after publication the audience, mode, unit and activity stay as they are."""

    title: str | None = None
    body: str | None = None
    images: list[str] | None = Field(default=None, max_length=50)
    attachments: list[AttachmentIn] | None = Field(default=None, max_length=50)
    audience: AudienceIn | None = None
    ack_mode: str | None = None
    deadline: datetime | None = None
    capacity: int | None = None
    capacity_unit: str | None = None
    max_adults: int | None = None
    max_children: int | None = None
    activity_id: int | None = Field(default=None, gt=0)


class PublishBody(Body):
    """Publish now (no publish_at, or one already past) or at publish_at."""

    publish_at: datetime | None = None


class CancelBody(Body):
    """Why the notice is withdrawn (recipients are told)."""

    reason: str = ""


class RsvpBody(Body):
    """A family's answer: yes with a headcount, or no."""

    answer: str
    adults: int = 1
    children: int = 0


class FeedbackBody(Body):
    """1–5 stars and an optional comment."""

    stars: int
    comment: str = ""


# ---- answers (dataclasses: see server/checkin/schemas.py) --------------------------------


@dataclass
class MyNoticeRow:
    """A notice the caller received, with her own state."""

    id: int
    title: str
    kindergarten_name: str | None
    snippet: str
    ack_mode: str
    deadline: str | None
    status: str
    published_at: str | None
    version: int
    read: bool
    confirmed: bool
    rsvp_status: str | None


@dataclass
class MyNotices:
    """GET /me/notices: unread first, then newest first."""

    items: list[MyNoticeRow]
    total: int
    unread: int


@dataclass
class NoticeAttachment:
    """A file linked from a notice (another site's address)."""

    name: str
    url: str


@dataclass
class NoticeActivity:
    """The activity a notice invites to."""

    id: int
    title: str
    kind: str
    status: str
    address: str | None
    starts_at: str | None
    ends_at: str | None


@dataclass
class RsvpView:
    """A family's own answer."""

    status: str
    status_label: str
    answer: str
    adults: int
    children: int
    waitlist_position: int | None
    updated_at: str | None


@dataclass
class NoticeFeedbackView:
    """A family's own rating."""

    stars: int
    comment: str


@dataclass
class NoticeMine:
    """A recipient's own receipt, answer and rating, and whether her family attended."""

    read_at: str | None
    confirmed_at: str | None
    rsvp: RsvpView | None
    feedback: NoticeFeedbackView | None
    attended: bool


@dataclass
class NoticeTotals:
    """What every recipient may see: totals, never who (the RSVP ones for RSVP notices)."""

    recipients: int
    read: int
    confirmed: int
    rsvp_yes: int
    rsvp_waitlisted: int
    places_left: int | None


@dataclass
class NoticeAnswer:
    """GET /notices/{id}: the content; a recipient also gets `me` and `totals`, a sender
    (or a leader) `counts` and the audience in words instead."""

    id: int
    kindergarten_id: int
    kindergarten_name: str | None
    title: str
    body: str
    images: list[str]
    attachments: list[NoticeAttachment]
    ack_mode: str
    ack_mode_label: str
    deadline: str | None
    status: str
    status_label: str
    published_at: str | None
    version: int
    activity: NoticeActivity | None
    cancel_reason: str | None
    rsvp_closed: str | None
    capacity: int | None
    capacity_unit: str
    max_adults: int | None
    max_children: int | None
    me: NoticeMine
    totals: NoticeTotals


@dataclass
class ReadAnswer:
    """POST /notices/{id}/read."""

    notice_id: int
    read_at: str | None


@dataclass
class RsvpAnswer:
    """POST and DELETE /notices/{id}/rsvp: the family's answer now, what it means, the totals."""

    rsvp: RsvpView | None
    message: str
    totals: NoticeTotals
