"""Request bodies of the accounts endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class LoginBody(BaseModel):
    """A wx.login code."""

    code: str = Field(min_length=1, max_length=128)


class RefreshBody(BaseModel):
    """The refresh token from login."""

    refresh_token: str = Field(min_length=1, max_length=200)


class InvitationBody(BaseModel):
    """A new invitation code."""

    kind: Literal["teacher", "parent"]
    kindergarten_id: int = Field(gt=0)
    child_id: int | None = Field(default=None, gt=0)
    person_id: int | None = Field(default=None, gt=0)
    role: Literal["teacher", "organizer", "director"] = "teacher"
    expires_in_days: int = Field(default=7, ge=1, le=90)
    max_uses: int = Field(default=1, ge=1, le=500)


class RedeemBody(BaseModel):
    """Redeem an invitation: the code, and a name when the code names nobody."""

    code: str = Field(min_length=4, max_length=16)
    name: str | None = Field(default=None, max_length=32)
    relation: str | None = Field(default=None, max_length=8)


class GrantBody(BaseModel):
    """A role given to a person within a scope."""

    person_id: int = Field(gt=0)
    role: Literal["teacher", "organizer", "director", "leader", "admin"]
    scope_kind: Literal["global", "region", "alliance", "kindergarten"]
    scope_id: int = Field(default=0, ge=0)
