"""Request bodies and queries of the ledger endpoints.

Types only: lengths and rules with Chinese messages live in the service. Amounts are
decimals (a JSON string such as "1280.50", or a number read through its decimal text).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    """Unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class LedgerPeriodQuery(BaseModel):
    """?semester=2026秋 or ?year=2026; neither means the current semester."""

    semester: str | None = Field(default=None, max_length=8)
    year: str | None = Field(default=None, max_length=5)


class DonationItemBody(Body):
    """One item: 教材, 图书, 玩具, 教具, 设备 or 其他, how many, and its estimated value."""

    category: str
    name: str
    quantity: int
    unit: str | None = None
    value: Decimal


class DonationBody(Body):
    """A donation: when, what, to whom (an alliance names the member), with which activity."""

    donated_on: date
    items: list[DonationItemBody]
    recipient_id: int | None = None
    activity_id: int | None = None
    note: str | None = None


class DonationPatch(Body):
    """Changes to an unconfirmed donation; items, when given, replace all items."""

    donated_on: date | None = None
    items: list[DonationItemBody] | None = None
    recipient_id: int | None = None
    activity_id: int | None = None
    note: str | None = None


class ItemOutcomeBody(Body):
    """What arrived of one item: received, short (with the quantity) or damaged (with a note)."""

    item_id: int
    outcome: str
    received_quantity: int | None = None
    note: str | None = None


class DonationConfirmBody(Body):
    """Every item's outcome; content_hash: the content the director looked at (optional)."""

    items: list[ItemOutcomeBody]
    content_hash: str | None = Field(default=None, max_length=64)


class LedgerReasonBody(Body):
    """Why a confirmation is withdrawn, or a line voided."""

    reason: str


class FundBody(Body):
    """Money allocated or spent: date, yuan to the fen, category, purpose; an alliance's
    牵头园 names the member the line concerns."""

    direction: str
    occurred_on: date
    amount: Decimal
    category: str
    purpose: str
    counterpart_id: int | None = None


class FundPatch(Body):
    """Changes to an unconfirmed fund line."""

    direction: str | None = None
    occurred_on: date | None = None
    amount: Decimal | None = None
    category: str | None = None
    purpose: str | None = None
    counterpart_id: int | None = None


class FundConfirmBody(Body):
    """content_hash: the content the director looked at (optional)."""

    content_hash: str | None = Field(default=None, max_length=64)
