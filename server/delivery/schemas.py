"""Request bodies of the delivery endpoints, and the answers the mini-program reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field


class SubscriptionReportBody(BaseModel):
    """What wx.requestSubscribeMessage answered, per template id."""

    results: dict[str, Literal["accept", "reject", "ban", "filter"]] = Field(
        min_length=1, max_length=20
    )


# ---- answers (dataclasses: see server/checkin/schemas.py) --------------------------------


@dataclass
class InboxItem:
    """A message as its person sees it; `page` is the mini-program page it links to."""

    id: int
    kind: str
    kind_name: str
    title: str
    body: str | None
    fields: dict[str, Any]
    page: str | None
    read: bool
    created_at: str
    read_at: str | None


@dataclass
class InboxAnswer:
    """GET /inbox: newest first, with the unread count."""

    items: list[InboxItem]
    total: int
    unread: int
    limit: int
    offset: int


@dataclass
class SubscriptionItem:
    """A message kind: its template, messages still allowed, banned or not."""

    kind: str
    name: str
    template_id: str
    remaining: int
    banned: bool


@dataclass
class SubscriptionsAnswer:
    """GET and POST /subscriptions."""

    items: list[SubscriptionItem]
    template_ids: list[str]
