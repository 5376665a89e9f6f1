"""Request bodies of the check-in endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field


class Location(BaseModel):
    """Where the phone says it is."""

    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    accuracy: float | None = Field(default=None, ge=0, le=100_000)


class CheckinBody(BaseModel):
    """A scan: the scene, the client's idempotency nonce, optional location and time."""

    scene: str = Field(min_length=1, max_length=64)
    nonce: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    location: Location | None = None
    #: When the phone scanned (for scans queued offline).
    scanned_at: datetime | None = None
    adults: int | None = Field(default=None, ge=0, le=10)
    children: int | None = Field(default=None, ge=0, le=10)


class ManualCheckinBody(BaseModel):
    """补签 by an organizer."""

    person_id: int = Field(gt=0)
    reason: str = Field(min_length=1, max_length=200)
    late: bool = False
    adults: int | None = Field(default=None, ge=0, le=10)
    children: int | None = Field(default=None, ge=0, le=10)


class AnnulBody(BaseModel):
    """Why a check-in is annulled."""

    reason: str = Field(min_length=1, max_length=200)


@dataclass
class OverviewHours:
    """Her 课时 this semester."""

    presenter_hours: float
    attendee_hours: float
    total_hours: float


@dataclass
class OverviewTarget:
    """One kindergarten's 送教课时 (given or received) against its pairings' targets."""

    key: str
    label: str
    unit: str
    done: float
    target: float
    rate: float | None
    status: str
    status_label: str
    kindergarten_id: int
    kindergarten_name: str


@dataclass
class NextActivity:
    """The soonest activity she is expected at that has not ended."""

    id: int
    title: str
    starts_at: str
    ends_at: str
    address: str | None
    checked_in: bool


@dataclass
class OverviewAnswer:
    """GET /me/overview: her semester at a glance (documents the answer; dataclasses, since
    sanic-ext copies a pydantic model's own JSON schema into the document with dangling $refs)."""

    semester: str
    hours: OverviewHours
    targets: list[OverviewTarget]
    next_activity: NextActivity | None
