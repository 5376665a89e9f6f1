"""Request bodies of the certificate endpoints."""

from __future__ import annotations

from typing import Literal

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
