"""Families at family activities (家长开放日, 亲子活动): check-ins, adults and children per
host kindergarten or per pairing, and the pairing of rated activities (parents.py adds
the notices domain's figures).
"""

# ruff: noqa: S608 -- every value is a bound parameter (Sql.p); f-strings only splice this
# package's own SQL fragments and the placeholders, never user text.

from __future__ import annotations

from server.reports.conditions import FAMILY, held, ids_in
from server.reports.periods import Period
from server.reports.sql import Sql, fetch, new_sql


def _families_per(sql: Sql, key: str, where: str) -> str:
    """Families checked in (not annulled), adults and children at held family activities
    matching `where`, grouped by the activity's column `key`.

    Family activities are a few of the period's activities and their check-ins a small share
    of all check-ins, so on PostgreSQL each activity's check-ins are read through the index on
    checkin.activity_id (a LATERAL aggregate per activity). As a plain join, the planner
    estimates every activity at the average number of check-ins and, once a semester has
    enough family activities (about 780 of 50,000 in bench/summary's city), switches to
    reading the whole check-in table: 3 ms became 500–1,000 ms. SQLite only has nested loops
    and has no LATERAL: the plain join.
    """
    if sql.postgres:
        return (
            f"SELECT a.{key} AS id, SUM(f.families) AS families, SUM(f.adults) AS adults, "
            "SUM(f.children) AS children FROM activity a CROSS JOIN LATERAL ("
            "SELECT COUNT(*) AS families, COALESCE(SUM(c.adults), 0) AS adults, "
            "COALESCE(SUM(c.children), 0) AS children FROM checkin c "
            "WHERE c.activity_id = a.id AND c.annulled_at IS NULL) f "
            f"WHERE f.families > 0 AND {where} GROUP BY a.{key}"
        )
    return (
        f"SELECT a.{key} AS id, COUNT(*) AS families, COALESCE(SUM(c.adults), 0) AS adults, "
        "COALESCE(SUM(c.children), 0) AS children "
        "FROM activity a JOIN checkin c ON c.activity_id = a.id "
        f"WHERE c.annulled_at IS NULL AND {where} GROUP BY a.{key}"
    )


def _figures(rows: list[dict]) -> dict[int, dict]:
    return {
        int(r["id"]): {
            "families": int(r["families"]),
            "adults": int(r["adults"]),
            "children": int(r["children"]),
        }
        for r in rows
    }


async def family_checkins(period: Period, kindergarten_ids: set[int] | None) -> dict[int, dict]:
    """Per host kindergarten: families checked in at 家长开放日 / 亲子活动, adults, children."""
    sql = new_sql()
    where = (
        f"{sql.in_('a.kind', FAMILY)} AND {held(sql, period)}"
        f"{ids_in(sql, 'a.host_id', kindergarten_ids)}"
    )
    return _figures(await fetch(sql, _families_per(sql, "host_id", where)))


async def family_checkins_by_pairing(period: Period) -> dict[int, dict]:
    """Per pairing of the activity: families checked in at its 家长开放日 / 亲子活动."""
    sql = new_sql()
    where = f"a.pairing_id IS NOT NULL AND {sql.in_('a.kind', FAMILY)} AND {held(sql, period)}"
    return _figures(await fetch(sql, _families_per(sql, "pairing_id", where)))


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
