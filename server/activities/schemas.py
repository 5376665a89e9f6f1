"""Request bodies of the activity endpoints, and the answers the mini-program reads.

Types only: the rules with Chinese messages and stable codes (title length, time
window, coordinates, radius, hours, people) live in the service, so every client gets
the same explanation. Times without a timezone are read as China time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    """Unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class PresenterIn(Body):
    """Someone who presents, with the 课时 she gives, her topic, class and 领域."""

    person_id: int = Field(gt=0)
    hours: float = 1
    topic: str = ""
    class_name: str = ""
    subject_area: str = ""


class ActivityBody(Body):
    """A new activity; the check-in window defaults around the start and end."""

    title: str
    kind: str
    host_id: int = Field(gt=0)
    pairing_id: int | None = Field(default=None, gt=0)
    alliance_id: int | None = Field(default=None, gt=0)
    address: str = ""
    lat: float | None = None
    lng: float | None = None
    radius_m: int = 500
    starts_at: datetime
    ends_at: datetime
    checkin_opens_at: datetime | None = None
    late_after: datetime | None = None
    checkin_closes_at: datetime | None = None
    audience_mode: str | None = None
    audience_kindergarten_ids: list[int] = Field(default_factory=list, max_length=200)
    invitee_ids: list[int] = Field(default_factory=list, max_length=2000)
    presenters: list[PresenterIn] = Field(default_factory=list, max_length=100)
    attendee_hours: float = 0
    plan: str = ""
    measures: str = ""
    rotate_seconds: int = 15


class ActivityPatch(Body):
    """Changes to a draft or published activity; lists replace the old ones."""

    title: str | None = None
    kind: str | None = None
    pairing_id: int | None = Field(default=None, gt=0)
    alliance_id: int | None = Field(default=None, gt=0)
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    radius_m: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    checkin_opens_at: datetime | None = None
    late_after: datetime | None = None
    checkin_closes_at: datetime | None = None
    audience_mode: str | None = None
    audience_kindergarten_ids: list[int] | None = Field(default=None, max_length=200)
    invitee_ids: list[int] | None = Field(default=None, max_length=2000)
    presenters: list[PresenterIn] | None = Field(default=None, max_length=100)
    attendee_hours: float | None = None
    plan: str | None = None
    measures: str | None = None
    rotate_seconds: int | None = None


class CancelBody(Body):
    """Why the activity is cancelled (everyone concerned is told)."""

    reason: str


# ---- answers (dataclasses: see server/checkin/schemas.py) --------------------------------


@dataclass
class ActivityRow:
    """An activity as list rows show it (China times, status as of now, never the secret)."""

    id: int
    title: str
    kind: str
    status: str
    status_label: str
    host_id: int
    host_name: str | None
    pairing_id: int | None
    alliance_id: int | None
    address: str
    starts_at: str
    ends_at: str
    audience_mode: str
    version: int


@dataclass
class ActivityList:
    """GET /activities: one page of rows and how many there are in all."""

    items: list[ActivityRow]
    total: int


@dataclass
class AudienceKindergarten:
    """A kindergarten whose staff or families the activity is for."""

    id: int
    name: str


@dataclass
class PresenterAnswer:
    """Who presents what (names for staff only)."""

    person_id: int
    name: str | None
    hours: float
    topic: str | None
    class_name: str | None
    subject_area: str | None


@dataclass
class ActivityDetail(ActivityRow):
    """GET /activities/{id}: the row plus window, venue, audience, presenters and can_manage."""

    lat: float | None
    lng: float | None
    radius_m: int | None
    checkin_opens_at: str | None
    late_after: str | None
    checkin_closes_at: str | None
    audience_label: str
    audience: list[AudienceKindergarten]
    invitees_count: int
    presenters: list[PresenterAnswer]
    presenters_count: int
    attendee_hours: float
    plan: str
    measures: str
    rotate_seconds: int
    cancel_reason: str | None
    created_by_id: int | None
    created_at: str | None
    updated_at: str | None
    can_manage: bool


@dataclass
class RotatingCodeAnswer:
    """GET /activities/{id}/rotating-code: the current step's scene, lifetime and image."""

    scene: str
    step: int
    expires_in: float
    rotate_seconds: int
    image_url: str
    status: str
    checkin_open: bool
