"""SQL conditions shared by the report queries (the modules named in this docstring).

Reports are a read model over the activity, check-in and organisation tables: reading
them through the other domains' services would mean loading check-ins into Python, so
the reports' query modules (units, target_counts, attendance_counts, family_checkins,
activity_totals), and only they, read those tables directly, grouped in the database and
never row by row, with parameterised SQL that runs on PostgreSQL and SQLite alike (see
sql.py).

An activity *counts* (is "held") when it is finished, or published and over by the
moment of the report, and it started inside the window; drafts and cancelled activities
never count. Attendance figures leave out family activities (家长开放日, 亲子活动).
"""

from __future__ import annotations

from server.activities.service import FAMILY_KINDS, SEND_KINDS, ActivityStatus
from server.reports.periods import Period
from server.reports.sql import Sql

SEND = sorted(k.value for k in SEND_KINDS)
FAMILY = sorted(k.value for k in FAMILY_KINDS)


def held(sql: Sql, period: Period, *, alias: str = "a") -> str:
    """The activity happened within the period, up to the period's `asof` moment."""
    return (
        f"({alias}.status = {sql.p(ActivityStatus.FINISHED.value)} OR "
        f"({alias}.status IN ({sql.p(ActivityStatus.PUBLISHED.value)}, "
        f"{sql.p(ActivityStatus.ONGOING.value)}) "
        f"AND {sql.ts(alias + '.ends_at')} <= {sql.p(period.asof)})) "
        f"AND {sql.between(alias + '.starts_at', period.since, period.asof)}"
    )


def ids_in(sql: Sql, column: str, ids: set[int] | None) -> str:
    """` AND column IN (…)`, or nothing when `ids` is None (no filter)."""
    return "" if ids is None else f" AND {sql.in_(column, sorted(ids))}"


def month_index(sql: Sql, period: Period, column: str) -> str:
    """0-based month of the period a datetime column falls in (portable CASE)."""
    bounds = period.month_bounds[1:-1]
    if not bounds:
        return "0"
    col = sql.ts(column)
    whens = " ".join(f"WHEN {col} < {sql.p(b)} THEN {i}" for i, b in enumerate(bounds))
    return f"CASE {whens} ELSE {len(bounds)} END"
