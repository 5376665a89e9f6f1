"""Attendance per pairing, alliance, region or kindergarten: activities held, check-ins,
teachers reached and expected ("held" and what leaves family activities out: see
conditions.py).
"""

# ruff: noqa: S608 -- every value is a bound parameter (Sql.p); f-strings only splice this
# package's own SQL fragments and the placeholders, never user text.

from __future__ import annotations

import asyncio

from server.activities.service import AudienceMode
from server.reports.conditions import FAMILY, held, ids_in
from server.reports.periods import Period
from server.reports.sql import Sql, added_up, dialect, fetch, new_sql


def activity_keys(sql: Sql, level: str, period: Period, ids: set[int] | None) -> str:
    """(activity_id, key, kind, audience_mode, alliance_id) of held activities per level.

    An activity belongs to its pairing; to its alliance, or its pairing's alliance; to the
    region of the host; and to every kindergarten it involves: the host and both sides of
    its pairing.
    """
    cols = "a.id AS activity_id, {key} AS key, a.kind, a.audience_mode, a.alliance_id"
    if level == "pairing":
        return (
            f"SELECT {cols.format(key='a.pairing_id')} FROM activity a "
            f"WHERE a.pairing_id IS NOT NULL AND {held(sql, period)}"
            f"{ids_in(sql, 'a.pairing_id', ids)}"
        )
    if level == "alliance":
        key = "COALESCE(a.alliance_id, p.alliance_id)"
        return (
            f"SELECT {cols.format(key=key)} FROM activity a "
            "LEFT JOIN pairing p ON p.id = a.pairing_id "
            f"WHERE {key} IS NOT NULL AND {held(sql, period)}{ids_in(sql, key, ids)}"
        )
    if level == "region":
        # Some regions: their kindergartens' activities through the (host_id, starts_at)
        # index. Filtering on k.region_id read the whole period's activities of the city
        # first (issue 18, one county: 6.3 -> 1.5 ms, in each of the two statements).
        hosts = (
            ""
            if ids is None
            else " AND a.host_id IN (SELECT r.id FROM kindergarten r WHERE "
            f"{sql.in_('r.region_id', sorted(ids))})"
        )
        return (
            f"SELECT {cols.format(key='k.region_id')} FROM activity a "
            f"JOIN kindergarten k ON k.id = a.host_id WHERE {held(sql, period)}{hosts}"
        )
    if level != "kindergarten":
        raise ValueError(level)
    return " UNION ".join(
        f"SELECT {cols.format(key=key)} FROM activity a {join} "
        f"WHERE {held(sql, period)}{ids_in(sql, key, ids)}"
        for key, join in (
            ("a.host_id", ""),
            ("p.supporting_id", "JOIN pairing p ON p.id = a.pairing_id"),
            ("p.supported_id", "JOIN pairing p ON p.id = a.pairing_id"),
        )
    )


async def attendance(
    period: Period, level: str, ids: set[int] | None, *, with_total: bool = False
) -> dict[int | None, dict]:
    """Per key of `level`: activities held, check-ins, teachers reached and expected.

    - activities: held activities of every kind;
    - checked_in: check-ins not annulled, at non-family activities;
    - reached: distinct people among those check-ins (unique teachers reached);
    - expected: per activity, invitees + presenters + active staff of the audience
      kindergartens (every member for alliance-wide activities), added up without
      removing people who are on two of those lists: the organizer's 应到 up to overlap.

    With `with_total`, key None holds the distinct people reached over all keys. The two
    halves run as two statements, side by side.
    """
    seen, expected = await asyncio.gather(
        _reached(period, level, ids, with_total=with_total), _expected(period, level, ids)
    )
    out: dict[int | None, dict] = {}
    for key, row in expected.items():
        out[key] = {"activities": row["activities"], "expected": row["expected"]}
        out[key].update(seen.get(key) or {"checked_in": 0, "reached": 0})
    if None in seen:
        out[None] = {"activities": 0, "expected": 0, **seen[None]}
    return out


#: On PostgreSQL, the region level's check-ins seen are read by this many statements side
#: by side, each for its own range of person ids (see `_reached`).
PERSON_PARTS = 2


async def _reached(
    period: Period, level: str, ids: set[int] | None, *, with_total: bool
) -> dict[int | None, dict]:
    """Check-ins and distinct people per key (and over all keys, key None).

    The region level is the report's longest statement (the city: every check-in of the
    period, grouped by region and person). On PostgreSQL it runs as PERSON_PARTS statements
    on as many connections, each for a range of person ids, so that both cores work on it
    instead of one alone at the end of the report (issue 18, the city: 132 -> 83 ms). A
    person is in exactly one range, so every count adds up across the parts.
    """
    parts = PERSON_PARTS if level == "region" and ids is None and dialect() == "postgres" else 1
    return await added_up(
        parts,
        lambda part: _reached_part(period, level, ids, with_total, part, parts),
        ("checked_in", "reached"),
    )


def _person_range(part: int, parts: int) -> str:
    """` AND c.person_id` in the part-th of `parts` ranges of teachers' person ids.

    The bounds split the teachers' ids evenly by value; whatever they are, the ranges meet
    end to end (one computed bound, `<` below and `>=` above), so every check-in is in one.
    """
    if parts == 1:
        return ""

    def bound(i: int) -> str:
        return (
            "(SELECT COALESCE(MIN(t.person_id) + (MAX(t.person_id) - MIN(t.person_id)) "
            f"* {i} / {parts}, 0) FROM teacher t)"
        )

    lower = f" AND c.person_id >= {bound(part)}" if part > 0 else ""
    upper = f" AND c.person_id < {bound(part + 1)}" if part < parts - 1 else ""
    return lower + upper


async def _reached_part(
    period: Period, level: str, ids: set[int] | None, with_total: bool, part: int, parts: int
) -> list[dict]:
    sql = new_sql()
    acts = activity_keys(sql, level, period, ids)
    family = sql.in_("acts.kind", FAMILY)
    total = " UNION ALL SELECT NULL, 0, COUNT(DISTINCT person_id) FROM seen" if with_total else ""
    text = f"""
WITH acts AS ({acts}),
seen AS (
  SELECT acts.key, c.person_id, COUNT(*) AS n
  FROM acts JOIN checkin c ON c.activity_id = acts.activity_id
  WHERE c.annulled_at IS NULL AND NOT ({family}){_person_range(part, parts)}
  GROUP BY acts.key, c.person_id
)
SELECT key AS id, SUM(n) AS checked_in, COUNT(*) AS reached FROM seen GROUP BY key{total}
"""
    return await fetch(sql, text)


async def _expected(period: Period, level: str, ids: set[int] | None) -> dict[int, dict]:
    sql = new_sql()
    acts = activity_keys(sql, level, period, ids)
    family = sql.in_("acts.kind", FAMILY)
    mode_kg = sql.p(AudienceMode.KINDERGARTENS.value)
    mode_all = sql.p(AudienceMode.ALLIANCE.value)
    # An alliance-wide activity's audience: the kindergartens listed that are not members of
    # its alliance, then every member; each kindergarten once per activity with no UNION to
    # de-duplicate (issue 18, the city: 28,500 rows hashed, 68 -> 45 ms alone).
    text = f"""
WITH acts AS ({acts}),
staff AS (
  SELECT kindergarten_id, COUNT(*) AS n FROM teacher WHERE active GROUP BY kindergarten_id
),
audience AS (
  SELECT acts.key, aa.kindergarten_id
  FROM acts JOIN activity_audience aa ON aa.activity_id = acts.activity_id
  JOIN kindergarten m ON m.id = aa.kindergarten_id
  WHERE acts.audience_mode IN ({mode_kg}, {mode_all}) AND NOT ({family})
    AND NOT (acts.audience_mode = {mode_all} AND COALESCE(m.alliance_id = acts.alliance_id, FALSE))
  UNION ALL
  SELECT acts.key, k.id
  FROM acts JOIN kindergarten k ON k.alliance_id = acts.alliance_id
  WHERE acts.audience_mode = {mode_all} AND NOT ({family})
),
expected AS (
  SELECT x.key, SUM(x.n) AS n FROM (
    SELECT acts.key, COUNT(*) AS n FROM acts
      JOIN activity_invitee ai ON ai.activity_id = acts.activity_id
      WHERE NOT ({family}) GROUP BY acts.key
    UNION ALL
    SELECT acts.key, COUNT(*) AS n FROM acts
      JOIN activity_presenter pr ON pr.activity_id = acts.activity_id
      WHERE NOT ({family}) GROUP BY acts.key
    UNION ALL
    SELECT audience.key, SUM(staff.n) AS n FROM audience
      JOIN staff ON staff.kindergarten_id = audience.kindergarten_id GROUP BY audience.key
  ) x GROUP BY x.key
),
counted AS (SELECT key, COUNT(*) AS n FROM acts GROUP BY key)
SELECT counted.key AS id, counted.n AS activities, COALESCE(expected.n, 0) AS expected
FROM counted LEFT JOIN expected ON expected.key = counted.key
"""
    rows = await fetch(sql, text)
    return {
        r["id"]: {"activities": int(r["activities"]), "expected": int(r["expected"])} for r in rows
    }
