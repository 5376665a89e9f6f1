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


class SummaryScopeQuery(BaseModel):
    """?scope=region:3 (alliance:5, city); the caller's own scope when absent."""

    scope: str | None = Field(default=None, max_length=32)


class SummaryListQuery(SummaryScopeQuery):
    """Filters of the summaries list: scope, kind (weekly, semester), period (2026-W10, 2026春)."""

    kind: Literal["weekly", "semester"] | None = None
    period: str | None = Field(default=None, max_length=16)
    limit: int = Field(default=20, ge=1, le=100)
