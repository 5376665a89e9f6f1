"""Time helpers: aware datetimes, China time for people."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def china(dt: datetime) -> datetime:
    """`dt` in China Standard Time, for display."""
    return dt.astimezone(CHINA)
