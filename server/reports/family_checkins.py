"""Families at family activities (家长开放日, 亲子活动): check-ins, adults and children per
host kindergarten or per pairing, and the pairing of rated activities (parents.py adds
the notices domain's figures).
"""

# ruff: noqa: S608 -- every value is a bound parameter (Sql.p); f-strings only splice this
# package's own SQL fragments and the placeholders, never user text.

from __future__ import annotations

from server.reports.conditions import FAMILY, held, ids_in
from server.reports.periods import Period
from server.reports.sql import fetch, new_sql


async def family_checkins(period: Period, kindergarten_ids: set[int] | None) -> dict[int, dict]:
    """Per host kindergarten: families checked in at 家长开放日 / 亲子活动, adults, children."""
    sql = new_sql()
    rows = await fetch(
        sql,
        "SELECT a.host_id AS id, COUNT(*) AS families, COALESCE(SUM(c.adults), 0) AS adults, "
        "COALESCE(SUM(c.children), 0) AS children "
        "FROM activity a JOIN checkin c ON c.activity_id = a.id "
        f"WHERE c.annulled_at IS NULL AND {sql.in_('a.kind', FAMILY)} AND {held(sql, period)}"
        f"{ids_in(sql, 'a.host_id', kindergarten_ids)} GROUP BY a.host_id",
        heavy=True,
    )
    return {
        r["id"]: {
            "families": int(r["families"]),
            "adults": int(r["adults"]),
            "children": int(r["children"]),
        }
        for r in rows
    }


async def family_checkins_by_pairing(period: Period) -> dict[int, dict]:
    """Per pairing of the activity: families checked in at its 家长开放日 / 亲子活动."""
    sql = new_sql()
    rows = await fetch(
        sql,
        "SELECT a.pairing_id AS id, COUNT(*) AS families, COALESCE(SUM(c.adults), 0) AS adults, "
        "COALESCE(SUM(c.children), 0) AS children "
        "FROM activity a JOIN checkin c ON c.activity_id = a.id "
        f"WHERE c.annulled_at IS NULL AND a.pairing_id IS NOT NULL "
        f"AND {sql.in_('a.kind', FAMILY)} AND {held(sql, period)} GROUP BY a.pairing_id",
        heavy=True,
    )
    return {
        int(r["id"]): {
            "families": int(r["families"]),
            "adults": int(r["adults"]),
            "children": int(r["children"]),
        }
        for r in rows
    }


async def pairings_of_activities(activity_ids: set[int]) -> dict[int, int]:
    """The pairing of each activity that has one (activities of no pairing are left out)."""
    if not activity_ids:
        return {}
    sql = new_sql()
    rows = await fetch(
        sql,
        "SELECT a.id AS id, a.pairing_id AS pairing_id FROM activity a "
        f"WHERE a.pairing_id IS NOT NULL{ids_in(sql, 'a.id', activity_ids)}",
    )
    return {int(r["id"]): int(r["pairing_id"]) for r in rows}
