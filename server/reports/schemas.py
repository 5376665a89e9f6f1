"""Query strings of the report endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class PeriodQuery(BaseModel):
    """?semester=2026秋 or ?year=2026; neither means the current semester."""

    semester: str | None = Field(default=None, max_length=8)
    year: str | None = Field(default=None, max_length=4)


class SemesterQuery(BaseModel):
    """?semester=2026秋; the current semester when absent."""

    semester: str | None = Field(default=None, max_length=8)


class RankingQuery(PeriodQuery):
    """The period and what to rank: alliances or pairings."""

    by: Literal["alliance", "pairing"] = "alliance"
