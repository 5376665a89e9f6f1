"""Request bodies of the notice endpoints.

Types only, with generous caps: the rules with Chinese messages and stable codes
(title length, at most 9 images, deadlines, capacity, headcounts) live in the service,
so every client gets the same explanation. Times without a timezone are China time.
"""

from __future__ import annotations

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
