"""Query strings of the report endpoints, and the answers the mini-program reads.

Answers are dataclasses (see server/checkin/schemas.py); the figures and targets are those of
server/reports/builders.py and targets.py, summaries those stored by summaries.py (older ones
may lack a newer key, so nothing is declared required).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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


# ---- answers ------------------------------------------------------------------------------


@dataclass
class TargetAnswer:
    """One target of DOMAIN.md: done against the goal, the pace and its state."""

    key: str
    label: str
    unit: str
    done: float | None
    target: float | None
    rate: float | None
    projected: float | None
    window: str | None
    status: str
    status_label: str


@dataclass
class NamedRef:
    """A kindergarten (or other unit) by id and name."""

    id: int | None
    name: str | None


@dataclass
class FamilyFigures:
    """Families at family activities: who came and how they rated it."""

    families_checked_in: int
    adults: int
    children: int
    rsvp: Any
    satisfaction: float | None
    satisfaction_count: int


@dataclass
class Figures:
    """What happened in the period (the keys a unit's kind has)."""

    activities: int
    teachers_reached: int
    checked_in: int
    expected: int
    attendance_rate: float | None
    families: FamilyFigures
    inspections: int
    pairings_given: int
    pairings_received: int


@dataclass
class ManualTarget:
    """A target recorded by hand: its goal as text and why it is not counted."""

    key: str
    label: str
    goal: str
    note: str


@dataclass
class PairingReport:
    """GET /reports/pairings/{id}: one pairing's figures and targets in a period."""

    pairing_id: int
    name: str
    supporting: NamedRef
    supported: NamedRef
    alliance_id: int | None
    region_id: int | None
    period: str
    figures: Figures
    targets: dict[str, TargetAnswer]
    score: float | None
    behind: list[str]
    manual: list[ManualTarget]
    ledger: dict[str, Any]


@dataclass
class KindergartenReport:
    """A kindergarten's figures and targets."""

    kindergarten_id: int
    name: str
    level: str | None
    alliance_id: int | None
    region_id: int | None
    period: str
    figures: Figures
    targets: dict[str, TargetAnswer]
    score: float | None
    behind: list[str]


@dataclass
class KindergartenReports:
    """GET /reports/kindergartens."""

    period: str
    items: list[KindergartenReport]


@dataclass
class AlertAnswer:
    """A pairing that, at its pace, will miss a target (`target` is the target's key)."""

    pairing_id: int
    name: str
    supporting: NamedRef
    supported: NamedRef
    alliance_id: int | None
    region_id: int | None
    period: str
    target: str
    label: str
    status: str
    status_label: str
    done: float | None
    goal: float | None
    projected: float | None
    elapsed: float
    message: str


@dataclass
class AlertsAnswer:
    """GET /reports/alerts."""

    period: str
    elapsed: float
    items: list[AlertAnswer]


@dataclass
class RankedUnit:
    """An alliance or pairing in the 通报 table."""

    id: int
    name: str
    rank: int | None
    score: float | None
    behind: list[str]
    targets: dict[str, TargetAnswer]


@dataclass
class RankingAnswer:
    """GET /reports/rankings."""

    by: str
    period: str
    items: list[RankedUnit]


@dataclass
class SummaryScopeAnswer:
    """Whose summary: a region, an alliance or the city."""

    kind: str
    id: int | None
    name: str


@dataclass
class SummaryRow:
    """A summary in the list (its page opens by id)."""

    id: int
    kind: str
    kind_label: str
    period: str
    period_label: str
    scope: SummaryScopeAnswer
    generated_at: str | None


@dataclass
class SummaryList:
    """GET /reports/summaries."""

    items: list[SummaryRow]


@dataclass
class KindCount:
    """Activities of one kind in the period."""

    kind: str
    count: int


@dataclass
class Rating:
    """Parents' satisfaction: the average of the stars and how many rated."""

    average: float | None
    count: int


@dataclass
class Happened:
    """What happened in the summary's period."""

    activities: int
    checkins: int
    expected: int
    attendance_rate: float | None
    send_hours: float
    presenter_hours: float
    attendee_hours: float
    teachers_reached: int
    families_checked_in: int
    posts_published: int
    by_kind: list[KindCount]
    satisfaction: Rating
    ledger: dict[str, Any]


@dataclass
class SummaryTargets:
    """The semester's targets of the scope and how many pairings are on track."""

    items: list[TargetAnswer]
    pairings: int
    pairings_on_track: int
    score: float | None


@dataclass
class SummaryAlert:
    """A progress alert as a summary keeps it."""

    pairing_id: int
    name: str
    target: str
    label: str
    status: str
    status_label: str
    done: float | None
    goal: float | None
    message: str


@dataclass
class SummaryAlerts:
    """The alerts of the period (the first few, and how many in all)."""

    count: int
    pairings: int
    items: list[SummaryAlert]


@dataclass
class SummaryAnswer:
    """GET /reports/summaries/latest and /{id}: one summary's page data."""

    id: int
    kind: str
    kind_label: str
    period: str
    period_label: str
    first_day: str
    last_day: str
    generated_at: str | None
    semester: str
    scope: SummaryScopeAnswer
    happened: Happened
    targets: SummaryTargets
    alerts: SummaryAlerts
    ranking: dict[str, Any]
    satisfaction: dict[str, Rating]
