"""What happened in a window, for the leaders' summaries: held activities by kind and the
课时 given and earned, for all the keys of a level together.
"""

# ruff: noqa: S608 -- every value is a bound parameter (Sql.p); f-strings only splice this
# package's own SQL fragments and the placeholders, never user text.

from __future__ import annotations

from server.reports.attendance_counts import activity_keys
from server.reports.conditions import FAMILY, SEND
from server.reports.periods import Period
from server.reports.sql import fetch, new_sql


async def activities_by_kind(period: Period, level: str, ids: set[int] | None) -> dict[str, int]:
    """Held activities of `level`'s keys (all keys together), counted by kind."""
    sql = new_sql()
    acts = activity_keys(sql, level, period, ids)
    rows = await fetch(
        sql,
        f"WITH acts AS ({acts}) "
        "SELECT kind, COUNT(DISTINCT activity_id) AS n FROM acts GROUP BY kind",
    )
    return {r["kind"]: int(r["n"]) for r in rows}


async def hours_given(period: Period, level: str, ids: set[int] | None) -> dict[str, float]:
    """课时 of `level`'s keys together: presenters' hours (送教 and all kinds) and the
    attendee hours earned by check-ins not annulled at non-family activities."""
    sql = new_sql()
    acts = activity_keys(sql, level, period, ids)
    send = sql.in_("x.kind", SEND)
    presented = await fetch(
        sql,
        f"WITH acts AS ({acts}), x AS (SELECT DISTINCT activity_id, kind FROM acts) "
        "SELECT COALESCE(SUM(pr.hours), 0) AS presenter_hours, "
        f"COALESCE(SUM(CASE WHEN {send} THEN pr.hours END), 0) AS send_hours "
        "FROM x JOIN activity_presenter pr ON pr.activity_id = x.activity_id",
    )
    sql = new_sql()
    acts = activity_keys(sql, level, period, ids)
    family = sql.in_("x.kind", FAMILY)
    attended = await fetch(
        sql,
        f"WITH acts AS ({acts}), x AS (SELECT DISTINCT activity_id, kind FROM acts) "
        "SELECT COALESCE(SUM(a.attendee_hours), 0) AS attendee_hours "
        "FROM x JOIN activity a ON a.id = x.activity_id "
        "JOIN checkin c ON c.activity_id = x.activity_id "
        f"WHERE c.annulled_at IS NULL AND NOT ({family})",
    )
    row = presented[0] if presented else {}
    return {
        "send_hours": round(float(row.get("send_hours") or 0), 2),
        "presenter_hours": round(float(row.get("presenter_hours") or 0), 2),
        "attendee_hours": round(
            float((attended[0] if attended else {}).get("attendee_hours") or 0), 2
        ),
    }
