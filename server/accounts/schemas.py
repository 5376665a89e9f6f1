"""Request bodies of the accounts endpoints, and the answers the mini-program reads.

Answers are dataclasses: sanic-ext copies a pydantic model's own JSON schema into the document
with dangling $refs, and a dataclass comes out inline (see server/checkin/schemas.py).
"""

from __future__ import annotations

from dataclasses import dataclass
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


# ---- answers ----------------------------------------------------------------------------


@dataclass
class RoleAnswer:
    """A role as the clients show it: the scope's kind, id and Chinese name (全部 for all)."""

    role: str
    scope_kind: str
    scope_id: int | None
    scope_name: str | None


@dataclass
class PersonAnswer:
    """GET /me: the account, the person bound to it (none before an invitation) and her roles."""

    account_id: int
    bound: bool
    id: int | None
    name: str | None
    roles: list[RoleAnswer]


@dataclass
class SessionAnswer:
    """Login, refresh and redeeming an invitation: a new pair of tokens and who holds them."""

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    person: PersonAnswer


@dataclass
class WebLoginAnswer:
    """The console login code the phone scanned is confirmed for its user."""

    confirmed: bool
