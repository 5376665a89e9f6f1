"""Request bodies of the activity endpoints.

Types only: the rules with Chinese messages and stable codes (title length, time
window, coordinates, radius, hours, people) live in the service, so every client gets
the same explanation. Times without a timezone are read as China time.
"""

from __future__ import annotations

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
