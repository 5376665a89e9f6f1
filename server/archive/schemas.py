"""Request bodies of the archive endpoints.

Types only: lengths and rules with Chinese messages live in the service.
"""

from __future__ import annotations

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
