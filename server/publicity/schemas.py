"""Request bodies of the publicity endpoints.

Types only: lengths and rules with Chinese messages live in the service.
"""

from __future__ import annotations

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
