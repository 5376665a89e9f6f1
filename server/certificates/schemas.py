"""Request bodies of the certificate endpoints, and the answer the mini-program reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field


class CertificateBody(BaseModel):
    """Which period (2026秋, 2026春 or the year 2026; default this semester) and issuer."""

    period: str | None = Field(default=None, max_length=8)
    #: region: the region's education bureau (default); alliance: the kindergarten's alliance.
    issuer: Literal["region", "alliance"] | None = None


class CertificateBatchBody(BaseModel):
    """A director's batch: the period and the issuer, as for one certificate."""

    period: str | None = Field(default=None, max_length=8)
    issuer: Literal["region", "alliance"] | None = None


# ---- answers (dataclasses: see server/checkin/schemas.py) --------------------------------


@dataclass
class CertificateAnswer:
    """A certificate as its holder and her director see it; `entries` are the ledger's rows as
    printed (activity_id, role, hours, date, title, kind, host)."""

    id: int
    number: str
    person_id: int
    holder_name: str
    kindergarten_id: int
    kindergarten_name: str
    period: str
    period_label: str
    issuer: str
    issuer_name: str
    total_hours: float
    presenter_hours: float
    attendee_hours: float
    entries: list[dict[str, Any]]
    issued_at: str
    issued_by_id: int | None
    pdf_url: str
    verify_url: str
