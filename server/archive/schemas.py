"""Request bodies of the archive endpoints, and the answers the mini-program reads.

Types only: lengths and rules with Chinese messages live in the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    """Unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class RecordBody(Body):
    """The record texts to write; fields left out stay as they are."""

    plan: str | None = None
    measures: str | None = None
    summary: str | None = None
    reflection: str | None = None


class FilePatch(Body):
    """A file's caption, or a photo's publication consent."""

    caption: str | None = None
    consent: bool | None = None


class ConfirmBody(Body):
    """The side to confirm for; left out, the caller's own side."""

    side: Literal["supporting", "supported"] | None = None


class ReopenBody(Body):
    """Why the confirmations are withdrawn."""

    reason: str


class WithdrawBody(Body):
    """Why the consent is withdrawn (optional, ≤ 100 characters)."""

    reason: str | None = None


# ---- answers (dataclasses: see server/checkin/schemas.py) --------------------------------


@dataclass
class FileAnswer:
    """A photo or attachment as clients list it (never its place on disk)."""

    id: int
    activity_id: int
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    caption: str | None
    consent: bool
    uploaded_by_id: int | None
    created_at: str | None
    url: str


@dataclass
class FileList:
    """GET /activities/{id}/files."""

    items: list[FileAnswer]


@dataclass
class RecordTexts:
    """The record's texts (empty when not written yet)."""

    plan: str
    measures: str
    summary: str
    reflection: str


@dataclass
class CardAttendance:
    """How many checked in."""

    checked_in: int


@dataclass
class Confirmer:
    """Who confirmed a side."""

    id: int
    name: str | None


@dataclass
class CardSide:
    """One side of the 帮扶记录卡: its kindergarten, state and who confirmed when."""

    label: str
    kindergarten_id: int | None
    state: str
    confirmed_by: Confirmer | None
    confirmed_at: str | None


@dataclass
class CardSides:
    """The 帮扶园 (supporting) and the 被帮扶园 (supported)."""

    supporting: CardSide
    supported: CardSide


@dataclass
class ConsentWithdrawal:
    """A photo's publication consent withdrawn: which photo, who (not a parent's name), why."""

    file_id: int
    by: str
    role: str
    reason: str | None
    at: str


@dataclass
class RecordCardAnswer:
    """GET /activities/{id}/record-card and its confirmation: the record, files, both sides."""

    activity_id: int
    title: str
    kind: str
    starts_at: str
    ends_at: str
    record: RecordTexts
    files: list[FileAnswer]
    photo_count: int
    attachment_count: int
    attendance: CardAttendance
    sides: CardSides
    locked: bool
    needs_reconfirmation: bool
    state_label: str
    content_hash: str | None
    consent_withdrawals: list[ConsentWithdrawal]
