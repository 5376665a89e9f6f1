"""The units reports are about, read from the organisation tables (small): regions,
alliances, kindergartens, and pairings whose cycle overlaps a period.
"""

# ruff: noqa: S608 -- every value is a bound parameter (Sql.p); f-strings only splice this
# package's own SQL fragments and the placeholders, never user text.

from __future__ import annotations

import json

from server.reports.conditions import ids_in
from server.reports.periods import Period
from server.reports.sql import fetch, new_sql


async def regions(ids: set[int] | None = None) -> dict[int, dict]:
    """Regions by id: name."""
    sql = new_sql()
    rows = await fetch(sql, f"SELECT id, name FROM region WHERE 1 = 1{ids_in(sql, 'id', ids)}")
    return {r["id"]: r for r in rows}


async def alliances(
    *, ids: set[int] | None = None, region_ids: set[int] | None = None
) -> dict[int, dict]:
    """Alliances by id: name, region_id, lead_id."""
    sql = new_sql()
    where = ids_in(sql, "id", ids) + ids_in(sql, "region_id", region_ids)
    rows = await fetch(sql, f"SELECT id, name, region_id, lead_id FROM alliance WHERE 1 = 1{where}")
    return {r["id"]: r for r in rows}


async def kindergartens(
    *,
    ids: set[int] | None = None,
    region_ids: set[int] | None = None,
    alliance_ids: set[int] | None = None,
) -> dict[int, dict]:
    """Kindergartens by id: name, level, region_id, alliance_id."""
    sql = new_sql()
    where = (
        ids_in(sql, "id", ids)
        + ids_in(sql, "region_id", region_ids)
        + ids_in(sql, "alliance_id", alliance_ids)
    )
    rows = await fetch(
        sql,
        f"SELECT id, name, level, region_id, alliance_id FROM kindergarten WHERE 1 = 1{where}",
    )
    return {r["id"]: r for r in rows}


async def pairings(
    period: Period,
    *,
    ids: set[int] | None = None,
    kindergarten_ids: set[int] | None = None,
    alliance_ids: set[int] | None = None,
    region_ids: set[int] | None = None,
) -> dict[int, dict]:
    """Pairings whose cycle overlaps the period, by id, with their stored targets.

    `kindergarten_ids` and `alliance_ids` widen each other (a pairing with a side among
    the kindergartens, or in one of the alliances); `region_ids` is the supported
    kindergarten's region, where the work is done.
    """
    sql = new_sql()
    where = (
        f"p.cycle_start <= {sql.p(period.last)} AND p.cycle_end >= {sql.p(period.first)}"
        + ids_in(sql, "p.id", ids)
    )
    either = []
    if kindergarten_ids is not None:
        either.append(sql.in_("p.supporting_id", sorted(kindergarten_ids)))
        either.append(sql.in_("p.supported_id", sorted(kindergarten_ids)))
    if alliance_ids is not None:
        either.append(sql.in_("p.alliance_id", sorted(alliance_ids)))
    if either:
        where += f" AND ({' OR '.join(either)})"
    where += ids_in(sql, "k.region_id", region_ids)
    rows = await fetch(
        sql,
        "SELECT p.id, p.supporting_id, p.supported_id, p.alliance_id, p.targets, "
        "p.cycle_start, p.cycle_end, k.region_id "
        "FROM pairing p JOIN kindergarten k ON k.id = p.supported_id "
        f"WHERE {where}",
    )
    for r in rows:
        if isinstance(r["targets"], str | bytes):
            r["targets"] = json.loads(r["targets"] or "{}")
    return {r["id"]: r for r in rows}
