"""The aggregate queries behind every report: grouped in the database, never row by row.

Reports are a read model over the activity, check-in and organisation tables: reading
them through the other domains' services would mean loading check-ins into Python, so
this module (and only this one) reads those tables directly, with parameterised SQL
that runs on PostgreSQL and SQLite alike (see sql.py).

An activity *counts* (is "held") when it is finished, or published and over by the
moment of the report, and it started inside the window; drafts and cancelled activities
never count. Attendance figures leave out family activities (家长开放日, 亲子活动).
"""

# ruff: noqa: S608 -- every value is a bound parameter (Sql.p); f-strings only splice this
# module's own SQL fragments and the placeholders, never user text.

from __future__ import annotations

import asyncio
import json

from server.activities.models import (
    FAMILY_KINDS,
    SEND_KINDS,
    ActivityKind,
    ActivityStatus,
    AudienceMode,
)
from server.reports.periods import Period
from server.reports.sql import Sql, fetch, new_sql

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


def _ids(sql: Sql, column: str, ids: set[int] | None) -> str:
    return "" if ids is None else f" AND {sql.in_(column, sorted(ids))}"


def _month_index(sql: Sql, period: Period, column: str) -> str:
    """0-based month of the period a datetime column falls in (portable CASE)."""
    bounds = period.month_bounds[1:-1]
    if not bounds:
        return "0"
    col = sql.ts(column)
    whens = " ".join(f"WHEN {col} < {sql.p(b)} THEN {i}" for i, b in enumerate(bounds))
    return f"CASE {whens} ELSE {len(bounds)} END"


# ---- organisation lookups (small tables) ---------------------------------------------------


async def regions(ids: set[int] | None = None) -> dict[int, dict]:
    """Regions by id: name."""
    sql = new_sql()
    rows = await fetch(sql, f"SELECT id, name FROM region WHERE 1 = 1{_ids(sql, 'id', ids)}")
    return {r["id"]: r for r in rows}


async def alliances(
    *, ids: set[int] | None = None, region_ids: set[int] | None = None
) -> dict[int, dict]:
    """Alliances by id: name, region_id, lead_id."""
    sql = new_sql()
    where = _ids(sql, "id", ids) + _ids(sql, "region_id", region_ids)
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
        _ids(sql, "id", ids)
        + _ids(sql, "region_id", region_ids)
        + _ids(sql, "alliance_id", alliance_ids)
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
        + _ids(sql, "p.id", ids)
    )
    either = []
    if kindergarten_ids is not None:
        either.append(sql.in_("p.supporting_id", sorted(kindergarten_ids)))
        either.append(sql.in_("p.supported_id", sorted(kindergarten_ids)))
    if alliance_ids is not None:
        either.append(sql.in_("p.alliance_id", sorted(alliance_ids)))
    if either:
        where += f" AND ({' OR '.join(either)})"
    where += _ids(sql, "k.region_id", region_ids)
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


# ---- pairing figures -----------------------------------------------------------------------


async def pairing_facts(period: Period, pairing_ids: set[int] | None) -> dict[int, dict]:
    """Per pairing: activities held, 送教 课时 given (presenters' hours) and 专题讲座."""
    sql = new_sql()
    counts = await fetch(
        sql,
        "SELECT a.pairing_id AS id, COUNT(*) AS activities, "
        f"COUNT(CASE WHEN a.kind = {sql.p(ActivityKind.LECTURE.value)} THEN 1 END) AS lectures "
        f"FROM activity a WHERE a.pairing_id IS NOT NULL AND {held(sql, period)}"
        f"{_ids(sql, 'a.pairing_id', pairing_ids)} GROUP BY a.pairing_id",
    )
    sql = new_sql()
    hours = await fetch(
        sql,
        "SELECT a.pairing_id AS id, SUM(pr.hours) AS send_hours "
        "FROM activity a JOIN activity_presenter pr ON pr.activity_id = a.id "
        f"WHERE a.pairing_id IS NOT NULL AND {sql.in_('a.kind', SEND)} AND {held(sql, period)}"
        f"{_ids(sql, 'a.pairing_id', pairing_ids)} GROUP BY a.pairing_id",
    )
    out: dict[int, dict] = {
        r["id"]: {"activities": r["activities"], "lectures": r["lectures"], "send_hours": 0.0}
        for r in counts
    }
    for r in hours:
        out.setdefault(r["id"], {"activities": 0, "lectures": 0})["send_hours"] = float(
            r["send_hours"] or 0
        )
    return out


async def visit_months(period: Period, pairing_ids: set[int] | None) -> dict[int, set[int]]:
    """Per pairing: the months of the period (0-based) with an activity held at the supported
    kindergarten — 每个月有专人到被帮扶单位."""
    sql = new_sql()
    month = _month_index(sql, period, "a.starts_at")
    rows = await fetch(
        sql,
        f"SELECT a.pairing_id AS id, {month} AS month FROM activity a "
        "JOIN pairing p ON p.id = a.pairing_id "
        f"WHERE a.host_id = p.supported_id AND {held(sql, period)}"
        f"{_ids(sql, 'a.pairing_id', pairing_ids)} GROUP BY 1, 2",
    )
    out: dict[int, set[int]] = {}
    for r in rows:
        out.setdefault(r["id"], set()).add(int(r["month"]))
    return out


async def shadow_teachers(period: Period, pairing_ids: set[int] | None) -> dict[int, int]:
    """Per pairing: teachers of the supported kindergarten who checked in (not annulled) at
    a held 跟岗学习 of the pairing — 每学期至少选派1名教师跟岗学习."""
    sql = new_sql()
    rows = await fetch(
        sql,
        "SELECT a.pairing_id AS id, COUNT(DISTINCT c.person_id) AS n FROM activity a "
        "JOIN pairing p ON p.id = a.pairing_id "
        "JOIN checkin c ON c.activity_id = a.id "
        "JOIN teacher t ON t.person_id = c.person_id AND t.kindergarten_id = p.supported_id "
        f"WHERE a.kind = {sql.p(ActivityKind.SHADOWING.value)} AND c.annulled_at IS NULL "
        f"AND {held(sql, period)}{_ids(sql, 'a.pairing_id', pairing_ids)} "
        "GROUP BY a.pairing_id",
    )
    return {r["id"]: int(r["n"]) for r in rows}


async def trainings_attended(period: Period, pairing_ids: set[int] | None) -> dict[int, int]:
    """Per pairing: held 业务培训 (wherever held, whoever ran them) at which a teacher of
    the supported kindergarten checked in (not annulled) — 每年至少2次集中培训."""
    sql = new_sql()
    rows = await fetch(
        sql,
        "SELECT p.id AS id, COUNT(DISTINCT a.id) AS n FROM pairing p "
        "JOIN teacher t ON t.kindergarten_id = p.supported_id "
        "JOIN checkin c ON c.person_id = t.person_id "
        "JOIN activity a ON a.id = c.activity_id "
        f"WHERE a.kind = {sql.p(ActivityKind.TRAINING.value)} AND c.annulled_at IS NULL "
        f"AND {held(sql, period)}{_ids(sql, 'p.id', pairing_ids)} GROUP BY p.id",
        heavy=True,
    )
    return {r["id"]: int(r["n"]) for r in rows}


async def lead_openings(period: Period, alliance_ids: set[int] | None) -> dict[int, int]:
    """Per alliance: held 教学观摩 hosted by its lead kindergarten — 总园每学期至少一次
    半日活动开放."""
    sql = new_sql()
    rows = await fetch(
        sql,
        "SELECT al.id AS id, COUNT(*) AS n FROM alliance al "
        "JOIN activity a ON a.host_id = al.lead_id "
        f"WHERE a.kind = {sql.p(ActivityKind.OBSERVATION.value)} AND {held(sql, period)}"
        f"{_ids(sql, 'al.id', alliance_ids)} GROUP BY al.id",
    )
    return {r["id"]: int(r["n"]) for r in rows}


# ---- kindergarten and alliance figures ----------------------------------------------------


async def key_teachers(period: Period, kindergarten_ids: set[int] | None) -> dict[int, dict]:
    """Per kindergarten: active 骨干教师, and how many presented at a 送教 held in the period.

    For the whole city the presenters of the period are hashed once; for a few
    kindergartens each key teacher is looked up by person (index on presenter.person_id).
    """
    sql = new_sql()
    if kindergarten_ids is None:
        given = (
            "t.person_id IN (SELECT pr.person_id FROM activity_presenter pr "
            "JOIN activity a ON a.id = pr.activity_id "
            f"WHERE {sql.in_('a.kind', SEND)} AND {held(sql, period)})"
        )
    else:
        given = (
            "EXISTS (SELECT 1 FROM activity_presenter pr JOIN activity a ON a.id = pr.activity_id "
            f"WHERE pr.person_id = t.person_id AND {sql.in_('a.kind', SEND)} "
            f"AND {held(sql, period)})"
        )
    rows = await fetch(
        sql,
        "SELECT t.kindergarten_id AS id, COUNT(*) AS key_teachers, "
        f"COUNT(CASE WHEN {given} THEN 1 END) AS key_sent "
        f"FROM teacher t WHERE t.is_key_teacher AND t.active"
        f"{_ids(sql, 't.kindergarten_id', kindergarten_ids)} GROUP BY t.kindergarten_id",
    )
    return {r["id"]: {"key_teachers": r["key_teachers"], "key_sent": r["key_sent"]} for r in rows}


async def inspections(period: Period, kindergarten_ids: set[int] | None) -> dict[int, int]:
    """Per kindergarten: 视导 activities held there in the period."""
    sql = new_sql()
    rows = await fetch(
        sql,
        "SELECT a.host_id AS id, COUNT(*) AS n FROM activity a "
        f"WHERE a.kind = {sql.p(ActivityKind.INSPECTION.value)} AND {held(sql, period)}"
        f"{_ids(sql, 'a.host_id', kindergarten_ids)} GROUP BY a.host_id",
    )
    return {r["id"]: r["n"] for r in rows}


async def alliance_activities(period: Period, alliance_ids: set[int] | None) -> dict[int, int]:
    """Per alliance: activities held in the period, the alliance's own and its pairings'.

    An activity counts for its own alliance, else for its pairing's. For a few alliances
    the two cases are asked separately, so that indexes serve them; for all, one scan.
    """
    sql = new_sql()
    if alliance_ids is None:
        key = "COALESCE(a.alliance_id, p.alliance_id)"
        text = (
            f"SELECT {key} AS id, COUNT(*) AS n FROM activity a "
            "LEFT JOIN pairing p ON p.id = a.pairing_id "
            f"WHERE {key} IS NOT NULL AND {held(sql, period)} GROUP BY 1"
        )
    else:
        text = (
            "SELECT a.alliance_id AS id, COUNT(*) AS n FROM activity a "
            f"WHERE {held(sql, period)}{_ids(sql, 'a.alliance_id', alliance_ids)} "
            "GROUP BY a.alliance_id UNION ALL "
            "SELECT p.alliance_id AS id, COUNT(*) AS n FROM activity a "
            "JOIN pairing p ON p.id = a.pairing_id "
            f"WHERE a.alliance_id IS NULL AND {held(sql, period)}"
            f"{_ids(sql, 'p.alliance_id', alliance_ids)} GROUP BY p.alliance_id"
        )
    out: dict[int, int] = {}
    for r in await fetch(sql, text):
        out[r["id"]] = out.get(r["id"], 0) + int(r["n"])
    return out


# ---- attendance ----------------------------------------------------------------------------


def _activity_keys(sql: Sql, level: str, period: Period, ids: set[int] | None) -> str:
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
            f"{_ids(sql, 'a.pairing_id', ids)}"
        )
    if level == "alliance":
        key = "COALESCE(a.alliance_id, p.alliance_id)"
        return (
            f"SELECT {cols.format(key=key)} FROM activity a "
            "LEFT JOIN pairing p ON p.id = a.pairing_id "
            f"WHERE {key} IS NOT NULL AND {held(sql, period)}{_ids(sql, key, ids)}"
        )
    if level == "region":
        return (
            f"SELECT {cols.format(key='k.region_id')} FROM activity a "
            "JOIN kindergarten k ON k.id = a.host_id "
            f"WHERE {held(sql, period)}{_ids(sql, 'k.region_id', ids)}"
        )
    if level != "kindergarten":
        raise ValueError(level)
    return " UNION ".join(
        f"SELECT {cols.format(key=key)} FROM activity a {join} "
        f"WHERE {held(sql, period)}{_ids(sql, key, ids)}"
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


async def _reached(
    period: Period, level: str, ids: set[int] | None, *, with_total: bool
) -> dict[int | None, dict]:
    sql = new_sql()
    acts = _activity_keys(sql, level, period, ids)
    family = sql.in_("acts.kind", FAMILY)
    total = " UNION ALL SELECT NULL, 0, COUNT(DISTINCT person_id) FROM seen" if with_total else ""
    text = f"""
WITH acts AS ({acts}),
seen AS (
  SELECT acts.key, c.person_id, COUNT(*) AS n
  FROM acts JOIN checkin c ON c.activity_id = acts.activity_id
  WHERE c.annulled_at IS NULL AND NOT ({family})
  GROUP BY acts.key, c.person_id
)
SELECT key AS id, SUM(n) AS checked_in, COUNT(*) AS reached FROM seen GROUP BY key{total}
"""
    rows = await fetch(sql, text, heavy=True)
    return {
        r["id"]: {"checked_in": int(r["checked_in"]), "reached": int(r["reached"])} for r in rows
    }


async def _expected(period: Period, level: str, ids: set[int] | None) -> dict[int, dict]:
    sql = new_sql()
    acts = _activity_keys(sql, level, period, ids)
    family = sql.in_("acts.kind", FAMILY)
    mode_kg = sql.p(AudienceMode.KINDERGARTENS.value)
    mode_all = sql.p(AudienceMode.ALLIANCE.value)
    text = f"""
WITH acts AS ({acts}),
staff AS (
  SELECT kindergarten_id, COUNT(*) AS n FROM teacher WHERE active GROUP BY kindergarten_id
),
audience AS (
  SELECT acts.key, aa.kindergarten_id, acts.activity_id
  FROM acts JOIN activity_audience aa ON aa.activity_id = acts.activity_id
  WHERE acts.audience_mode IN ({mode_kg}, {mode_all}) AND NOT ({family})
  UNION
  SELECT acts.key, k.id, acts.activity_id
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
    rows = await fetch(sql, text, heavy=True)
    return {
        r["id"]: {"activities": int(r["activities"]), "expected": int(r["expected"])} for r in rows
    }


async def family_checkins(period: Period, kindergarten_ids: set[int] | None) -> dict[int, dict]:
    """Per host kindergarten: families checked in at 家长开放日 / 亲子活动, adults, children."""
    sql = new_sql()
    rows = await fetch(
        sql,
        "SELECT a.host_id AS id, COUNT(*) AS families, COALESCE(SUM(c.adults), 0) AS adults, "
        "COALESCE(SUM(c.children), 0) AS children "
        "FROM activity a JOIN checkin c ON c.activity_id = a.id "
        f"WHERE c.annulled_at IS NULL AND {sql.in_('a.kind', FAMILY)} AND {held(sql, period)}"
        f"{_ids(sql, 'a.host_id', kindergarten_ids)} GROUP BY a.host_id",
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
        f"WHERE a.pairing_id IS NOT NULL{_ids(sql, 'a.id', activity_ids)}",
    )
    return {int(r["id"]): int(r["pairing_id"]) for r in rows}


# ---- what happened (leaders' summaries) ----------------------------------------------------


async def activities_by_kind(period: Period, level: str, ids: set[int] | None) -> dict[str, int]:
    """Held activities of `level`'s keys (all keys together), counted by kind."""
    sql = new_sql()
    acts = _activity_keys(sql, level, period, ids)
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
    acts = _activity_keys(sql, level, period, ids)
    send = sql.in_("x.kind", SEND)
    presented = await fetch(
        sql,
        f"WITH acts AS ({acts}), x AS (SELECT DISTINCT activity_id, kind FROM acts) "
        "SELECT COALESCE(SUM(pr.hours), 0) AS presenter_hours, "
        f"COALESCE(SUM(CASE WHEN {send} THEN pr.hours END), 0) AS send_hours "
        "FROM x JOIN activity_presenter pr ON pr.activity_id = x.activity_id",
    )
    sql = new_sql()
    acts = _activity_keys(sql, level, period, ids)
    family = sql.in_("x.kind", FAMILY)
    attended = await fetch(
        sql,
        f"WITH acts AS ({acts}), x AS (SELECT DISTINCT activity_id, kind FROM acts) "
        "SELECT COALESCE(SUM(a.attendee_hours), 0) AS attendee_hours "
        "FROM x JOIN activity a ON a.id = x.activity_id "
        "JOIN checkin c ON c.activity_id = x.activity_id "
        f"WHERE c.annulled_at IS NULL AND NOT ({family})",
        heavy=True,
    )
    row = presented[0] if presented else {}
    return {
        "send_hours": round(float(row.get("send_hours") or 0), 2),
        "presenter_hours": round(float(row.get("presenter_hours") or 0), 2),
        "attendee_hours": round(
            float((attended[0] if attended else {}).get("attendee_hours") or 0), 2
        ),
    }
