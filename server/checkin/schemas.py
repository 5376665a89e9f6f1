"""Request bodies of the check-in endpoints, and the answers the mini-program reads."""

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


@dataclass
class CheckinView:
    """A check-in as the person who made it sees it (times are China time)."""

    id: int
    activity_id: int
    method: str
    late: bool
    offline: bool
    scanned_at: str
    created_at: str | None
    outside_geofence: bool
    no_location: bool
    adults: int
    children: int
    checkout_at: str | None
    annulled: bool


@dataclass
class ActivityBrief:
    """What a scan's answer says of its activity: enough to name it on the phone."""

    id: int
    title: str
    starts_at: str
    ends_at: str
    address: str | None


@dataclass
class CheckinAnswer:
    """POST /checkins: checked_in or already_checked_in (a refusal is a 422 with its reason)."""

    status: str
    reason: str | None
    message: str
    checkin: CheckinView | None
    activity: ActivityBrief | None
    hours: float | None


@dataclass
class AttendanceRow(CheckinView):
    """A check-in on the organizer's list, with who, why and what needs a look."""

    person_id: int
    name: str
    annul_reason: str | None
    manual_reason: str | None
    distance_m: float | None
    rsvp: str | None
    concerns: list[str]


@dataclass
class AttendanceCounts:
    """The live figures of an activity."""

    expected: int
    checked_in: int
    late: int
    absent: int
    presenters: int
    others: int
    scanned: int
    flagged: int
    adults: int
    children: int


@dataclass
class AbsentPerson:
    """Someone expected who has not checked in."""

    person_id: int
    name: str


@dataclass
class AttendanceAnswer:
    """GET /activities/{id}/attendance."""

    counts: AttendanceCounts
    checkins: list[AttendanceRow]
    review: list[AttendanceRow]
    absent: list[AbsentPerson]


@dataclass
class CheckoutAnswer(CheckinView):
    """POST /checkins/{id}/checkout: the check-in, minutes on site and the 课时 they earn."""

    minutes_on_site: int
    hours: float
    message: str


@dataclass
class MyCheckin(CheckinView):
    """One of the caller's check-ins with its activity and the 课时 earned there."""

    title: str
    kind: str
    hours: float


@dataclass
class HoursEntry:
    """课时 from one activity, as presenter or attendee."""

    activity_id: int
    title: str
    kind: str
    role: str
    hours: float


@dataclass
class HoursAnswer:
    """GET /me/hours: a semester's 课时, split by role, with the activities."""

    semester: str
    presenter_hours: float
    attendee_hours: float
    total_hours: float
    entries: list[HoursEntry]
