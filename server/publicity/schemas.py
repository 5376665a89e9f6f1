"""Request bodies of the publicity endpoints, and the answers the mini-program reads.

Types only: lengths and rules with Chinese messages live in the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    """Unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class CreateBody(Body):
    """Which consented photos to use (default: all of them, at most 9)."""

    photo_ids: list[int] | None = None


class RecapBody(Body):
    """The semester to look back on, e.g. 2026秋 (default: the current one)."""

    semester: str | None = None


class DisclosurePostBody(Body):
    """The 公示's period: a semester (2026秋) or a year (2026); default the current semester."""

    semester: str | None = None
    year: str | None = None


class PostPatch(Body):
    """What the author may change; each is checked again on save."""

    title: str | None = None
    digest: str | None = None
    html: str | None = None
    cover_file_id: int | None = None


class CommentBody(Body):
    """A review comment (required when sending back)."""

    comment: str | None = None


# ---- answers (dataclasses: see server/checkin/schemas.py) --------------------------------


@dataclass
class PostRow:
    """A post as lists show it."""

    id: int
    kind: str
    activity_id: int | None
    pairing_id: int | None
    alliance_id: int | None
    semester: str | None
    kindergarten_id: int | None
    title: str
    digest: str
    status: str
    status_label: str
    article_url: str | None
    updated_at: str | None


@dataclass
class PostList:
    """GET /posts: newest first."""

    items: list[PostRow]


@dataclass
class PostPhoto:
    """A photo of the post: usable (consent marked) or refused with the reason."""

    id: int
    caption: str | None
    src: str
    usable: bool
    reason: str | None


@dataclass
class PostStepAnswer:
    """One step of 撰稿 → 审核 → 签发: who, when, with what comment."""

    step: str
    label: str
    actor: str | None
    comment: str | None
    at: str


@dataclass
class PostActions:
    """What the caller may do with the post now."""

    edit: bool
    submit: bool
    approve: bool
    sign: bool
    send_back: bool
    mass_send: bool


@dataclass
class MassSend:
    """The 群发 of a post as WeChat reported it."""

    status: str
    label: str
    message: str | None
    wechat_status: str | None
    msg_id: str | None
    submitted_at: str | None
    sent_at: str | None
    total_count: int | None
    sent_count: int | None
    error_count: int | None
    article_url: str | None


@dataclass
class PostAnswer(PostRow):
    """GET /posts/{id} and every step's answer: body, photos, steps and allowed actions."""

    html: str
    author_name: str
    cover_file_id: int | None
    comment: str | None
    fail_code: str | None
    fail_message: str | None
    published_at: str | None
    photos: list[PostPhoto]
    mass: MassSend
    steps: list[PostStepAnswer]
    can: PostActions
    preview_url: str
