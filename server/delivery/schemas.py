"""Request bodies of the delivery endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SubscriptionReportBody(BaseModel):
    """What wx.requestSubscribeMessage answered, per template id."""

    results: dict[str, Literal["accept", "reject", "ban", "filter"]] = Field(
        min_length=1, max_length=20
    )
