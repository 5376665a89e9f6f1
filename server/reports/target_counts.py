"""The counts targets are judged on, grouped per pairing, alliance or kindergarten:
送教课时 and 专题讲座, months visited, 跟岗学习 and 集中培训 attended, the lead's open days,
骨干教师 who gave a 送教, 视导 and alliance activities ("held": see conditions.py).
"""

# ruff: noqa: S608 -- every value is a bound parameter (Sql.p); f-strings only splice this
# package's own SQL fragments and the placeholders, never user text.

from __future__ import annotations

from server.activities.service import ActivityKind
from server.reports.conditions import SEND, held, ids_in, month_index
from server.reports.periods import Period
from server.reports.sql import added_up, dialect, fetch, new_sql


async def pairing_facts(period: Period, pairing_ids: set[int] | None) -> dict[int, dict]:
    """Per pairing: activities held, 送教 课时 given (presenters' hours) and 专题讲座."""
    sql = new_sql()
    counts = await fetch(
        sql,
        "SELECT a.pairing_id AS id, COUNT(*) AS activities, "
        f"COUNT(CASE WHEN a.kind = {sql.p(ActivityKind.LECTURE.value)} THEN 1 END) AS lectures "
        f"FROM activity a WHERE a.pairing_id IS NOT NULL AND {held(sql, period)}"
        f"{ids_in(sql, 'a.pairing_id', pairing_ids)} GROUP BY a.pairing_id",
    )
    sql = new_sql()
    hours = await fetch(
        sql,
        "SELECT a.pairing_id AS id, SUM(pr.hours) AS send_hours "
        "FROM activity a JOIN activity_presenter pr ON pr.activity_id = a.id "
        f"WHERE a.pairing_id IS NOT NULL AND {sql.in_('a.kind', SEND)} AND {held(sql, period)}"
        f"{ids_in(sql, 'a.pairing_id', pairing_ids)} GROUP BY a.pairing_id",
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
    month = month_index(sql, period, "a.starts_at")
    rows = await fetch(
        sql,
        f"SELECT a.pairing_id AS id, {month} AS month FROM activity a "
        "JOIN pairing p ON p.id = a.pairing_id "
        f"WHERE a.host_id = p.supported_id AND {held(sql, period)}"
        f"{ids_in(sql, 'a.pairing_id', pairing_ids)} GROUP BY 1, 2",
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
        f"AND {held(sql, period)}{ids_in(sql, 'a.pairing_id', pairing_ids)} "
        "GROUP BY a.pairing_id",
    )
    return {r["id"]: int(r["n"]) for r in rows}


#: On PostgreSQL, 集中培训 asked by region is read by this many statements side by side, each
#: for its share of the trainings (see trainings_attended).
TRAINING_PARTS = 2


async def trainings_attended(
    period: Period, pairing_ids: set[int] | None, *, region_ids: set[int] | None = None
) -> dict[int, int]:
    """Per pairing: held 业务培训 (wherever held, whoever ran them) at which a teacher of
    the supported kindergarten checked in (not annulled) — 每年至少2次集中培训.

    `region_ids` (with `pairing_ids` None): every pairing whose supported kindergarten is in
    those regions, so that a region report can ask before it has looked its pairings up.

    It reads every check-in at the year's trainings, whatever the scope (one county: 135,000
    index entries, the county report's longest statement, which ended alone on one core).
    Asked by region, on PostgreSQL, it runs as TRAINING_PARTS statements side by side, each
    for the trainings that start in its share of the window, so that both cores share it
    (issue 18, one county's report, alternating: 44.8 -> 41.7 ms median). A training is in
    one part only, so the counts add up. The city's report is busy on both cores
    throughout: there a second statement only adds work (216 -> 225 ms), so it runs whole.
    The share is a span of time, not `a.id % 2`: the planner took that for a few rows
    and looked each check-in's teacher up by index (24 -> 78 ms).
    """
    regions = region_ids if pairing_ids is None else None
    parts = TRAINING_PARTS if regions is not None and dialect() == "postgres" else 1
    counts = await added_up(
        parts, lambda part: _trainings_part(period, pairing_ids, regions, part, parts), ("n",)
    )
    return {pid: row["n"] for pid, row in counts.items()}


async def _trainings_part(
    period: Period,
    pairing_ids: set[int] | None,
    region_ids: set[int] | None,
    part: int,
    parts: int,
) -> list[dict]:
    sql = new_sql()
    if region_ids is not None:
        supported = (
            "SELECT q.supported_id FROM pairing q JOIN kindergarten r ON r.id = q.supported_id "
            f"WHERE {sql.in_('r.region_id', sorted(region_ids))}"
        )
        pairings = f" AND p.supported_id IN ({supported})"
    else:
        supported = (
            f"SELECT q.supported_id FROM pairing q WHERE 1 = 1{ids_in(sql, 'q.id', pairing_ids)}"
        )
        pairings = ids_in(sql, "p.id", pairing_ids)
    share = ""
    if parts > 1:
        # The window cut into `parts` spans of equal length; each training is in one.
        span = (period.asof - period.since) / parts
        if part > 0:
            share += f" AND {sql.ts('a.starts_at')} >= {sql.p(period.since + span * part)}"
        if part < parts - 1:
            share += f" AND {sql.ts('a.starts_at')} < {sql.p(period.since + span * (part + 1))}"
    return await fetch(
        sql,
        # Which supported kindergartens' teachers attended which trainings, once each, and
        # then the pairings: a DISTINCT per pairing over every matching check-in sorted
        # ~90,000 rows for the city (issue 18: 63 -> ~45 ms alone, same figures).
        "SELECT p.id AS id, COUNT(*) AS n FROM pairing p JOIN ("
        "SELECT DISTINCT t.kindergarten_id, c.activity_id FROM activity a "
        "JOIN checkin c ON c.activity_id = a.id "
        "JOIN teacher t ON t.person_id = c.person_id "
        f"WHERE a.kind = {sql.p(ActivityKind.TRAINING.value)} AND c.annulled_at IS NULL "
        f"AND {held(sql, period)}{share} AND t.kindergarten_id IN ({supported})"
        ") x ON x.kindergarten_id = p.supported_id "
        f"WHERE 1 = 1{pairings} GROUP BY p.id",
    )


async def lead_openings(period: Period, alliance_ids: set[int] | None) -> dict[int, int]:
    """Per alliance: held 教学观摩 hosted by its lead kindergarten — 总园每学期至少一次
    半日活动开放."""
    sql = new_sql()
    rows = await fetch(
        sql,
        "SELECT al.id AS id, COUNT(*) AS n FROM alliance al "
        "JOIN activity a ON a.host_id = al.lead_id "
        f"WHERE a.kind = {sql.p(ActivityKind.OBSERVATION.value)} AND {held(sql, period)}"
        f"{ids_in(sql, 'al.id', alliance_ids)} GROUP BY al.id",
    )
    return {r["id"]: int(r["n"]) for r in rows}


#: Up to this many kindergartens, each key teacher's presentations are looked up by person
#: (index on presenter.person_id); beyond, the period's presenters are hashed once.
PER_PERSON_UP_TO = 150


async def key_teachers(period: Period, kindergarten_ids: set[int] | None) -> dict[int, dict]:
    """Per kindergarten: active 骨干教师, and how many presented at a 送教 held in the period.

    For the whole city, or more than PER_PERSON_UP_TO kindergartens, the presenters of the
    period are hashed once; for a few, each key teacher is looked up by person.
    """
    sql = new_sql()
    if kindergarten_ids is None or len(kindergarten_ids) > PER_PERSON_UP_TO:
        sent = (
            "CASE WHEN t.person_id IN (SELECT pr.person_id FROM activity_presenter pr "
            "JOIN activity a ON a.id = pr.activity_id "
            f"WHERE {sql.in_('a.kind', SEND)} AND {held(sql, period)}) THEN 1 END"
        )
    else:
        # A scalar subquery, not EXISTS: PostgreSQL hashed an EXISTS over every presenter
        # of the city (issue 18, one county's 252 key teachers: 23 -> 16 ms).
        sent = (
            "(SELECT 1 FROM activity_presenter pr JOIN activity a ON a.id = pr.activity_id "
            f"WHERE pr.person_id = t.person_id AND {sql.in_('a.kind', SEND)} "
            f"AND {held(sql, period)} LIMIT 1)"
        )
    rows = await fetch(
        sql,
        "SELECT t.kindergarten_id AS id, COUNT(*) AS key_teachers, "
        f"COUNT({sent}) AS key_sent "
        f"FROM teacher t WHERE t.is_key_teacher AND t.active"
        f"{ids_in(sql, 't.kindergarten_id', kindergarten_ids)} GROUP BY t.kindergarten_id",
    )
    return {r["id"]: {"key_teachers": r["key_teachers"], "key_sent": r["key_sent"]} for r in rows}


async def inspections(period: Period, kindergarten_ids: set[int] | None) -> dict[int, int]:
    """Per kindergarten: 视导 activities held there in the period."""
    sql = new_sql()
    rows = await fetch(
        sql,
        "SELECT a.host_id AS id, COUNT(*) AS n FROM activity a "
        f"WHERE a.kind = {sql.p(ActivityKind.INSPECTION.value)} AND {held(sql, period)}"
        f"{ids_in(sql, 'a.host_id', kindergarten_ids)} GROUP BY a.host_id",
    )
    return {r["id"]: r["n"] for r in rows}


async def alliance_activities(period: Period, alliance_ids: set[int] | None) -> dict[int, int]:
    """Per alliance: activities held in the period, the alliance's own and its pairings'.

    An activity counts for its own alliance, else for its pairing's. For a few alliances
    the two cases are asked separately, so that indexes serve them (the second per
    pairing); for all, one scan.
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
            f"WHERE {held(sql, period)}{ids_in(sql, 'a.alliance_id', alliance_ids)} "
            "GROUP BY a.alliance_id UNION ALL "
            # Each of their pairings' activities through the (pairing_id, starts_at) index: a
            # join hashed the city's year of activities without an alliance (issue 18, one
            # county: 14.4 -> 4.9 ms alone, same figures).
            "SELECT p.alliance_id AS id, (SELECT COUNT(*) FROM activity a "
            f"WHERE a.pairing_id = p.id AND a.alliance_id IS NULL AND {held(sql, period)}) AS n "
            f"FROM pairing p WHERE 1 = 1{ids_in(sql, 'p.alliance_id', alliance_ids)}"
        )
    out: dict[int, int] = {}
    for r in await fetch(sql, text):
        out[r["id"]] = out.get(r["id"], 0) + int(r["n"])
    return out
