"""Leaders' weekly summary figures on a city-size data set, against hand-written SQL.

    .venv/bin/python bench/summary.py [--scale 1.0] [--runs 10] [--keep] [--at 2026-11-27T03:11]
        [--profile FILE]

Generates in a fresh PostgreSQL database (schema from the models) a city of 12 counties,
1,000 kindergartens, 50,000 activities and 2,000,000 check-ins (times --scale), written
with COPY. Then, warm, it times the targets engine's region-level computation
(server.reports: every county of the city, and one county) and the same aggregates
written by hand in SQL and run directly with asyncpg (statements in parallel on a pool,
as the engine does), checks both give the same figures, and prints both and the ratio.
The hand SQL covers the regions' targets and attendance and, per pairing, the 集中培训
the engine needs for each pairing's progress; it still leaves out figures the engine
adds (跟岗学习, families, 总园开放, feedback), so the comparison favours it.

`--at` pins the moment the data is generated around and seen at (default: now), so that two
runs on different days see the same share of the semester elapsed. The engine and the hand SQL
take turns, call by call, so both are timed in the same minutes. `--profile FILE` records the
city runs with py-spy (collapsed stacks; the time PostgreSQL spends is not in it, only this
process's; the hand SQL's calls, taking turns with the engine's, are in it too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE = "songjiao_bench_summary"
DSN = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"


def use_database(name: str) -> None:
    """Generate into and measure database `name` instead of the default."""
    global DATABASE, DSN
    DATABASE = name
    DSN = f"postgresql://postgres@127.0.0.1:5432/{name}"


CHINA_OFFSET = timedelta(hours=8)

SEND = ("送教下乡", "送教到园")
PAIRING_OTHER = ("教学观摩", "同课异构", "跟岗学习", "联合教研")
ALLIANCE_KINDS = ("联合教研", "业务培训", "经验交流会", "网络研讨", "成果展")
FAMILY = ("家长开放日", "亲子活动")
LEVELS = ("市级示范园", "县级示范园", "乡镇中心园", "村级园", "民办园")


# ---- generation ----------------------------------------------------------------------------


class Columns:
    """Column names and NOT NULL defaults of every table, read from the catalogue."""

    def __init__(self, rows: list[asyncpg.Record]):
        self.tables: dict[str, list[tuple[str, str, bool, bool]]] = {}
        for r in rows:
            self.tables.setdefault(r["table_name"], []).append(
                (r["column_name"], r["data_type"], r["is_nullable"] == "NO", r["has_default"])
            )

    def filler(self, table: str, given: set[str]) -> dict:
        """Values for NOT NULL columns the generator does not set (other domains' fields)."""
        out = {}
        now = datetime.now(UTC)
        for name, kind, required, has_default in self.tables[table]:
            if name in given or not required or has_default:
                continue
            if "timestamp" in kind:
                out[name] = now
            elif kind == "date":
                out[name] = now.date()
            elif kind == "boolean":
                out[name] = False
            elif kind in ("integer", "bigint", "smallint"):
                out[name] = 0
            elif kind in ("real", "double precision", "numeric"):
                out[name] = 0.0
            elif kind in ("json", "jsonb"):
                out[name] = "{}"
            else:
                out[name] = ""
        return out


async def copy(conn, columns: Columns, table: str, names: list[str], records) -> int:
    """COPY records (tuples in `names` order) into `table`, filling other NOT NULL columns."""
    extra = columns.filler(table, set(names))
    all_names = names + list(extra)
    tail = tuple(extra.values())
    n = 0
    batch: list[tuple] = []
    for rec in records:
        batch.append(tuple(rec) + tail)
        if len(batch) >= 100_000:
            await conn.copy_records_to_table(table, records=batch, columns=all_names)
            n += len(batch)
            batch = []
    if batch:
        await conn.copy_records_to_table(table, records=batch, columns=all_names)
        n += len(batch)
    return n


async def prepare_database() -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    await conn.execute(f"CREATE DATABASE {DATABASE}")
    await conn.close()


async def create_schema() -> None:
    """Tables and indexes exactly as the models declare them."""
    from tortoise import Tortoise

    from server.db import tortoise_config
    from server.settings import load_settings

    settings = load_settings(database_url=DSN.replace("postgresql://", "postgres://"))
    await Tortoise.init(config=tortoise_config(settings, with_aerich=False))
    await Tortoise.generate_schemas()
    await Tortoise.close_connections()


def china_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - CHINA_OFFSET


async def generate(scale: float, now: datetime, seed: int = 7) -> dict:
    """Fill the database around the moment `now` (the data is seen at it); returns counts."""
    rng = random.Random(seed)
    n_regions = 12
    n_kgs = max(n_regions * 4, round(1000 * scale))
    n_activities = max(200, round(50_000 * scale))
    n_checkins = round(2_000_000 * scale)
    staff_per_kg = 25
    conn = await asyncpg.connect(DSN)
    columns = Columns(
        await conn.fetch(
            "SELECT table_name, column_name, data_type, is_nullable, "
            "column_default IS NOT NULL AS has_default FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
    )
    t0 = time.perf_counter()
    await copy(
        conn,
        columns,
        "region",
        ["id", "name", "bureau_name", "created_at"],
        ((r, f"压测县{r}", f"压测县{r}教育局", now) for r in range(1, n_regions + 1)),
    )
    # Kindergartens: spread over the counties; 90 % in one of 7 alliances of their county.
    kgs = []
    for k in range(1, n_kgs + 1):
        region = (k - 1) % n_regions + 1
        alliance = (region - 1) * 7 + rng.randrange(7) + 1 if rng.random() < 0.9 else None
        kgs.append((k, region, alliance))
    alliances: dict[int, list[int]] = {}
    for k, _, a in kgs:
        if a is not None:
            alliances.setdefault(a, []).append(k)
    await copy(
        conn,
        columns,
        "alliance",
        ["id", "name", "region_id", "lead_id", "created_at"],
        (
            (a, f"压测联盟{a}", (a - 1) // 7 + 1, members[0], now)
            for a, members in sorted(alliances.items())
        ),
    )
    await copy(
        conn,
        columns,
        "kindergarten",
        ["id", "name", "level", "region_id", "alliance_id", "address", "created_at"],
        ((k, f"压测幼儿园{k}", rng.choice(LEVELS), r, a, "", now) for k, r, a in kgs),
    )
    # Staff: 25 a kindergarten, one in ten a 骨干教师.
    n_people = n_kgs * staff_per_kg
    await copy(
        conn,
        columns,
        "person",
        ["id", "name", "created_at"],
        ((p, f"教师{p}", now) for p in range(1, n_people + 1)),
    )
    staff = {k: list(range((k - 1) * staff_per_kg + 1, k * staff_per_kg + 1)) for k, _, _ in kgs}
    await copy(
        conn,
        columns,
        "teacher",
        ["id", "person_id", "kindergarten_id", "title", "is_key_teacher", "active"],
        (
            (p, p, k, "教师", (p - 1) % staff_per_kg < 3, (p - 1) % staff_per_kg != 24)
            for k, people in staff.items()
            for p in people
        ),
    )
    # Pairings: in each county a third of the kindergartens support two others each.
    pairings = []
    by_region: dict[int, list[int]] = {}
    for k, r, _ in kgs:
        by_region.setdefault(r, []).append(k)
    alliance_of = {k: a for k, _, a in kgs}
    for _, members in sorted(by_region.items()):
        third = len(members) // 3
        supporters, supported = members[:third], members[third:]
        for i, s in enumerate(supporters):
            for t in supported[2 * i : 2 * i + 2]:
                pairings.append((len(pairings) + 1, s, t, alliance_of[t] or alliance_of[s]))
    cycle = (date(now.year - 2, 2, 1), date(now.year + 1, 7, 31))
    await copy(
        conn,
        columns,
        "pairing",
        ["id", "supporting_id", "supported_id", "alliance_id", "cycle_start", "cycle_end"]
        + ["targets", "note", "created_at"],
        (
            (
                p,
                s,
                t,
                a,
                *cycle,
                json.dumps({"send_hours_per_semester": 8 if p % 10 == 0 else 10}),
                "",
                now,
            )
            for p, s, t, a in pairings
        ),
    )
    # Activities: from 22 months ago to a month ahead.
    first = china_midnight(date(now.year - 1, now.month, 1) - timedelta(days=300))
    span = (now + timedelta(days=30) - first).total_seconds()
    activities, presenters, audience, invitees, pools = [], [], [], [], []
    member_list = {a: m for a, m in alliances.items()}
    for n in range(1, n_activities + 1):
        starts = first + timedelta(seconds=rng.random() * span)
        starts = starts.replace(minute=0, second=0, microsecond=0)
        roll = rng.random()
        pairing = alliance = None
        mode = "kindergartens"
        if roll < 0.60:
            pid, s, t, a = rng.choice(pairings)
            pairing = pid
            if roll < 0.40:
                kind, host, aud = rng.choice(SEND), t, [t]
            elif roll < 0.48:
                kind, host, aud = "专题讲座", t, [t, s]
            else:
                kind = rng.choice(PAIRING_OTHER)
                host = s if kind == "跟岗学习" else t
                aud = [t]
            speakers = [(rng.choice(staff[s][:3]), rng.choice((1.0, 1.5, 2.0)))]
            if rng.random() < 0.3:
                speakers.append((rng.choice(staff[s][3:]), 1.0))
        elif roll < 0.65:
            alliance = rng.choice(list(member_list))
            members = member_list[alliance]
            kind, host, aud = "视导", rng.choice(members), [rng.choice(members)]
            speakers = [(rng.choice(staff[members[0]][:3]), 1.0)]
        elif roll < 0.90:
            alliance = rng.choice(list(member_list))
            members = member_list[alliance]
            kind, host, aud, mode = rng.choice(ALLIANCE_KINDS), rng.choice(members), [], "alliance"
            speakers = [(rng.choice(staff[host][:3]), 2.0)]
        else:
            host = rng.randrange(1, n_kgs + 1)
            kind, aud, mode, speakers = rng.choice(FAMILY), [host], "families", []
        ends = starts + timedelta(hours=2)
        if ends < now:
            status = rng.choices(("finished", "published", "cancelled"), (90, 5, 5))[0]
        else:
            status = rng.choices(("published", "draft"), (80, 20))[0]
        activities.append(
            (n, kind, pairing, alliance, host, starts, ends, mode, status, f"B{n:09d}")
        )
        seen = set()
        for person, hours in speakers:
            if person not in seen:
                seen.add(person)
                presenters.append((len(presenters) + 1, n, person, hours, ""))
        for kg in aud:
            audience.append((len(audience) + 1, n, kg))
        if rng.random() < 0.1:
            for person in rng.sample(range(1, n_people + 1), 5):
                invitees.append((len(invitees) + 1, n, person))
        if status in ("finished", "published") and ends < now and mode != "families":
            pool = {p for kg in aud for p in staff[kg]}
            if mode == "alliance":
                pool |= {p for kg in member_list[alliance] for p in staff[kg]}
            pools.append((n, starts, sorted(pool)))
    await copy(
        conn,
        columns,
        "activity",
        ["id", "title", "kind", "pairing_id", "alliance_id", "host_id", "address"]
        + ["radius_m", "starts_at", "ends_at", "checkin_opens_at", "late_after"]
        + ["checkin_closes_at", "audience_mode", "status", "attendee_hours", "plan", "measures"]
        + ["summary", "reflection", "code", "secret", "rotate_seconds", "version"]
        + ["cancel_reason", "created_at", "updated_at"],
        (
            (n, f"压测活动{n}", kind, pairing, alliance, host, "", 500, starts, ends)
            + (starts - timedelta(minutes=30), starts + timedelta(minutes=10), ends)
            + (mode, status, 2.0, "", "", "", "", code, "s" * 32, 15, 1, "", starts, starts)
            for n, kind, pairing, alliance, host, starts, ends, mode, status, code in activities
        ),
    )
    await copy(
        conn,
        columns,
        "activity_presenter",
        ["id", "activity_id", "person_id", "hours", "topic"],
        presenters,
    )
    await copy(
        conn, columns, "activity_audience", ["id", "activity_id", "kindergarten_id"], audience
    )
    await copy(conn, columns, "activity_invitee", ["id", "activity_id", "person_id"], invitees)
    # Check-ins: the same share of every held activity's audience, 2,000,000 in all.
    share = min(0.95, n_checkins / max(1, sum(len(p) for _, _, p in pools)))

    def checkins():
        n = 0
        for activity_id, starts, pool in pools:
            k = max(1, round(len(pool) * share))
            for person in rng.sample(pool, min(k, len(pool))):
                n += 1
                annulled = starts + timedelta(hours=1) if rng.random() < 0.01 else None
                yield (
                    n,
                    activity_id,
                    person,
                    "static",
                    False,
                    starts + timedelta(minutes=rng.randrange(40)),
                    starts,
                    False,
                    False,
                    False,
                    0,
                    0,
                    annulled,
                    "",
                    "",
                )

    made = await copy(
        conn,
        columns,
        "checkin",
        ["id", "activity_id", "person_id", "method", "late", "scanned_at", "created_at"]
        + ["offline", "outside_geofence", "no_location", "adults", "children", "annulled_at"]
        + ["annul_reason", "manual_reason"],
        checkins(),
    )
    for table in ("region", "alliance", "kindergarten", "person", "teacher", "pairing"):
        await conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    for table in ("activity", "activity_presenter", "activity_audience", "checkin"):
        await conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    generated = time.perf_counter() - t0
    await conn.execute("VACUUM ANALYZE")
    await conn.close()
    return {
        "kindergartens": n_kgs,
        "alliances": len(alliances),
        "pairings": len(pairings),
        "activities": n_activities,
        "checkins": made,
        "seconds": generated,
        "seconds_with_vacuum": time.perf_counter() - t0,
        "at": now,
    }


# ---- the hand-written baseline -------------------------------------------------------------


def held(since: str, until: str) -> str:
    """Held in [since, until): finished, or published and over by `until`."""
    return (
        "(a.status = 'finished' OR (a.status IN ('published', 'ongoing') "
        f"AND a.ends_at <= {until})) AND a.starts_at >= {since} AND a.starts_at < {until}"
    )


NOT_FAMILY = "acts.kind NOT IN ('家长开放日', '亲子活动')"
PAIRINGS_SQL = f"""
WITH held AS (
  SELECT a.id, a.pairing_id, a.kind, a.host_id, a.starts_at FROM activity a
  WHERE a.pairing_id IS NOT NULL AND {held("$1", "$2")}
)
SELECT k.region_id, p.id,
  COALESCE((p.targets->>'send_hours_per_semester')::float, 10) AS hours_target,
  COALESCE((p.targets->>'lectures_per_semester')::int, 2) AS lectures_target,
  COALESCE(h.hours, 0) AS hours, COALESCE(l.n, 0) AS lectures, v.months,
  p.cycle_start, p.cycle_end
FROM pairing p JOIN kindergarten k ON k.id = p.supported_id
LEFT JOIN (SELECT held.pairing_id, SUM(pr.hours) AS hours FROM held
  JOIN activity_presenter pr ON pr.activity_id = held.id
  WHERE held.kind IN ('送教下乡', '送教到园') GROUP BY 1) h ON h.pairing_id = p.id
LEFT JOIN (SELECT pairing_id, COUNT(*) AS n FROM held WHERE kind = '专题讲座' GROUP BY 1) l
  ON l.pairing_id = p.id
LEFT JOIN (SELECT held.pairing_id,
    array_agg(DISTINCT width_bucket(held.starts_at, $3)) AS months
  FROM held JOIN pairing q ON q.id = held.pairing_id WHERE held.host_id = q.supported_id
  GROUP BY 1) v ON v.pairing_id = p.id
WHERE p.cycle_start <= $4 AND p.cycle_end >= $5 AND ($6::int[] IS NULL OR k.region_id = ANY($6))
"""
ALLIANCES_SQL = f"""
SELECT al.region_id, al.id, COALESCE(c.n, 0) AS activities,
  COALESCE(m.members, 0) AS members, COALESCE(m.inspected, 0) AS inspected
FROM alliance al
LEFT JOIN (SELECT COALESCE(a.alliance_id, p.alliance_id) AS alliance_id, COUNT(*) AS n
  FROM activity a LEFT JOIN pairing p ON p.id = a.pairing_id
  WHERE {held("$1", "$2")} GROUP BY 1) c ON c.alliance_id = al.id
LEFT JOIN (SELECT k.alliance_id, COUNT(*) AS members, COUNT(i.host_id) AS inspected
  FROM kindergarten k JOIN alliance x ON x.id = k.alliance_id
  LEFT JOIN (SELECT DISTINCT a.host_id FROM activity a
    WHERE a.kind = '视导' AND {held("$1", "$2")}) i ON i.host_id = k.id
  WHERE k.id IS DISTINCT FROM x.lead_id GROUP BY 1) m ON m.alliance_id = al.id
WHERE $3::int[] IS NULL OR al.region_id = ANY($3)
"""
KEY_TEACHERS_SQL = f"""
SELECT k.region_id, COUNT(*) AS key_teachers,
  COUNT(*) FILTER (WHERE t.person_id IN (SELECT pr.person_id FROM activity_presenter pr
    JOIN activity a ON a.id = pr.activity_id
    WHERE a.kind IN ('送教下乡', '送教到园') AND {held("$1", "$2")})) AS key_sent
FROM teacher t JOIN kindergarten k ON k.id = t.kindergarten_id
WHERE t.is_key_teacher AND t.active AND ($3::int[] IS NULL OR k.region_id = ANY($3))
GROUP BY k.region_id
"""
TRAININGS_SQL = f"""
SELECT p.id AS pairing_id, COUNT(DISTINCT a.id) AS trainings
FROM pairing p JOIN kindergarten k ON k.id = p.supported_id
JOIN teacher t ON t.kindergarten_id = p.supported_id
JOIN checkin c ON c.person_id = t.person_id AND c.annulled_at IS NULL
JOIN activity a ON a.id = c.activity_id
WHERE a.kind = '业务培训' AND {held("$1", "$2")} AND ($3::int[] IS NULL OR k.region_id = ANY($3))
GROUP BY p.id
"""
ATTENDANCE_SQL = f"""
WITH acts AS (
  SELECT a.id, k.region_id, a.kind, a.audience_mode, a.alliance_id
  FROM activity a JOIN kindergarten k ON k.id = a.host_id
  WHERE {held("$1", "$2")} AND ($3::int[] IS NULL OR k.region_id = ANY($3))
), people AS (
  SELECT acts.region_id, c.person_id, COUNT(*) AS n
  FROM acts JOIN checkin c ON c.activity_id = acts.id
  WHERE c.annulled_at IS NULL AND {NOT_FAMILY} GROUP BY 1, 2
), staff AS (
  SELECT kindergarten_id, COUNT(*) AS n FROM teacher WHERE active GROUP BY 1
), exp AS (
  SELECT acts.region_id, COUNT(*) AS n FROM acts
    JOIN activity_invitee i ON i.activity_id = acts.id WHERE {NOT_FAMILY} GROUP BY 1
  UNION ALL
  SELECT acts.region_id, COUNT(*) FROM acts
    JOIN activity_presenter pr ON pr.activity_id = acts.id WHERE {NOT_FAMILY} GROUP BY 1
  UNION ALL
  SELECT x.region_id, SUM(staff.n) FROM (
    SELECT acts.region_id, acts.id, aa.kindergarten_id FROM acts
      JOIN activity_audience aa ON aa.activity_id = acts.id
      WHERE acts.audience_mode IN ('kindergartens', 'alliance') AND {NOT_FAMILY}
    UNION
    SELECT acts.region_id, acts.id, m.id FROM acts
      JOIN kindergarten m ON m.alliance_id = acts.alliance_id
      WHERE acts.audience_mode = 'alliance' AND {NOT_FAMILY}
  ) x JOIN staff ON staff.kindergarten_id = x.kindergarten_id GROUP BY 1
)
SELECT r.region_id, r.activities, COALESCE(pp.checked, 0) AS checked_in,
  COALESCE(pp.reached, 0) AS reached, COALESCE(e.n, 0) AS expected
FROM (SELECT region_id, COUNT(*) AS activities FROM acts GROUP BY 1) r
LEFT JOIN (SELECT region_id, SUM(n) AS checked, COUNT(*) AS reached FROM people GROUP BY 1) pp
  ON pp.region_id = r.region_id
LEFT JOIN (SELECT region_id, SUM(n) AS n FROM exp GROUP BY 1) e ON e.region_id = r.region_id
UNION ALL SELECT NULL, 0, 0, (SELECT COUNT(DISTINCT person_id) FROM people), 0
"""


async def baseline(pool, period, year, region_ids: list[int] | None) -> dict:
    """Run the hand-written statements in parallel and add up per region."""
    months = period.month_bounds[1:-1]
    statements = {
        "pairings": (
            PAIRINGS_SQL,
            (period.since, period.asof, months, period.last, period.first, region_ids),
        ),
        "alliances": (ALLIANCES_SQL, (year.since, year.asof, region_ids)),
        "key_teachers": (KEY_TEACHERS_SQL, (period.since, period.asof, region_ids)),
        "attendance": (ATTENDANCE_SQL, (period.since, period.asof, region_ids)),
        # 集中培训 (每年至少2次): per pairing, the year's trainings that a teacher of the
        # supported kindergarten attended. The engine needs them for every pairing's
        # progress (进度正常的结对, the score); without them the baseline did less work.
        "trainings": (TRAININGS_SQL, (year.since, year.asof, region_ids)),
    }

    async def run(text, args):
        async with pool.acquire() as conn:
            return await conn.fetch(text, *args)

    answers = await asyncio.gather(*(run(t, a) for t, a in statements.values()))
    results = dict(zip(statements, answers, strict=True))
    out: dict = {}

    def region(rid):
        return out.setdefault(rid, {})

    def add(g, key, done, target):
        g.setdefault(key, [0, 0])
        g[key][0] += done
        g[key][1] += target

    for r in results["pairings"]:
        g = region(r["region_id"])
        add(g, "send_hours", r["hours"], r["hours_target"])
        add(g, "lectures", r["lectures"], r["lectures_target"])
        # 每月到园 asks for the teaching months (not the holidays) inside the cycle.
        counted = {
            i
            for i in range(period.months_total)
            if period.month_days(i)[0].month not in period.holidays
            and period.month_days(i)[0] <= r["cycle_end"]
            and period.month_days(i)[1] >= r["cycle_start"]
        }
        if counted:
            add(g, "monthly_visits", len(counted & set(r["months"] or [])), len(counted))
    for r in results["alliances"]:
        g = region(r["region_id"])
        add(g, "alliance_activities", r["activities"], 8)
        add(g, "inspection_coverage", r["inspected"], r["members"])
    for r in results["key_teachers"]:
        add(region(r["region_id"]), "key_teachers_sending", r["key_sent"], r["key_teachers"])
    out["trainings"] = {r["pairing_id"]: r["trainings"] for r in results["trainings"]}
    for r in results["attendance"]:
        if r["region_id"] is None:
            out["reached_total"] = r["reached"]
            continue
        region(r["region_id"]).update(
            activities=r["activities"],
            checked_in=int(r["checked_in"]),
            reached=r["reached"],
            expected=int(r["expected"]),
        )
    return out


def engine_figures(report: dict) -> dict:
    """The engine's answer in the baseline's shape."""
    out: dict = {}
    for item in report["items"]:
        g = {
            k: [m["done"], m["target"]] for k, m in item["targets"].items() if k != "reached_total"
        }
        f = item["figures"]
        g.update(
            activities=f["activities"],
            checked_in=f["checked_in"],
            reached=f["teachers_reached"],
            expected=f["expected"],
        )
        out[item["region_id"]] = g
    out["reached_total"] = report["total"]["figures"]["teachers_reached"]
    return out


def same(engine: dict, hand: dict) -> list[str]:
    """Differences between the two answers (empty when they agree)."""
    diffs = []
    for rid in sorted(set(engine) | set(hand), key=str):
        e, h = engine.get(rid), hand.get(rid)
        if rid == "reached_total":
            if e != h:
                diffs.append(f"reached_total: engine {e} vs hand {h}")
            continue
        if rid == "trainings":  # per pairing
            wrong = sorted(k for k in set(e) | set(h) if e.get(k) != h.get(k))
            diffs += [f"pairing {k} trainings: engine {e.get(k)} vs hand {h.get(k)}" for k in wrong]
            continue
        for key in sorted(set(e or {}) | set(h or {})):
            ev, hv = (e or {}).get(key), (h or {}).get(key)
            if isinstance(ev, list) and isinstance(hv, list):
                if any(abs(float(a) - float(b)) > 0.01 for a, b in zip(ev, hv, strict=True)):
                    diffs.append(f"region {rid} {key}: engine {ev} vs hand {hv}")
            elif ev != hv and not (ev in (None, [0, 0]) and hv in (None, [0, 0], [0.0, 0.0])):
                diffs.append(f"region {rid} {key}: engine {ev} vs hand {hv}")
    return diffs


async def timed_alternately(first, second, runs: int) -> tuple[tuple, tuple]:
    """Median and best (ms) of `runs` calls of each callable, after two warm-up calls each,
    and each one's last result; the calls take turns (first, second, first, …).

    This machine's speed moves from one minute to the next (docs/performance.md); ten calls
    of one side, then ten of the other, let a slower minute fall on one side only. Taking
    turns puts both sides in the same minutes, so the ratio compares them, not the minutes.
    """
    results: list[object] = [None, None]
    for _ in range(2):
        results = [await first(), await second()]
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for side, fn in enumerate((first, second)):
            t0 = time.perf_counter()
            results[side] = await fn()
            times[side].append((time.perf_counter() - t0) * 1000)
    return tuple(
        (statistics.median(times[side]), min(times[side]), results[side]) for side in (0, 1)
    )


def start_profile(path: str | None) -> subprocess.Popen | None:
    """py-spy recording this process (raw collapsed stacks) into `path`, if given."""
    if not path:
        return None
    spy = str(Path(sys.executable).parent / "py-spy")
    command = [spy, "record", "--pid", str(os.getpid()), "-r", "250", "-f", "raw", "-o", path]
    proc = subprocess.Popen(command + ["--nonblocking"], stdout=subprocess.DEVNULL)
    time.sleep(1.0)  # attached before the timed runs start
    return proc


def stop_profile(proc: subprocess.Popen | None) -> None:
    """py-spy writes its profile on SIGINT."""
    if proc is not None:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


async def measure(runs: int, at: datetime, profile: str | None = None) -> int:
    from tortoise import Tortoise

    from server.common.gc_tuning import tune_gc
    from server.db import tortoise_config
    from server.reports.periods import resolve_period, year_of
    from server.reports.scope import CITY, build_scope
    from server.reports.service import region_reports
    from server.reports.target_counts import trainings_attended
    from server.settings import load_settings

    settings = load_settings(database_url=DSN.replace("postgresql://", "postgres://"))
    await Tortoise.init(config=tortoise_config(settings, with_aerich=False))
    # Same footing as the engine, which turns JIT off for its statements and plans each one
    # for its values, as the unnamed statement (server/reports/sql.py): no statement cache.
    pool = await asyncpg.create_pool(
        DSN, min_size=1, max_size=10, server_settings={"jit": "off"}, statement_cache_size=0
    )
    period = resolve_period(at=at)
    year = year_of(period)
    county = await build_scope(region_ids={1})
    # As in an api worker, where the engine runs: `songjiao serve` tunes each worker's
    # garbage collector once it has started (server/stopping.py). Both sides run in this
    # process, so the engine and the hand SQL are measured alike.
    tune_gc()
    failures = 0
    print(f"period {period.label}, seen at {at:%Y-%m-%d %H:%M} UTC, elapsed {period.elapsed:.0%}")
    head = f"{'engine p50':>11} {'best':>8} {'hand SQL p50':>13} {'best':>8} {'ratio':>6}"
    print(f"{'scope':<8} {head}")
    for label, scope, ids in (("city", CITY, None), ("county", county, [1])):
        spy = start_profile(profile if label == "city" else None)
        (e50, ebest, report), (h50, hbest, hand) = await timed_alternately(
            lambda scope=scope: region_reports(period=period, scope=scope),
            lambda ids=ids: baseline(pool, period, year, ids),
            runs,
        )
        stop_profile(spy)
        ratio = e50 / h50
        print(f"{label:<8} {e50:9.1f}ms {ebest:6.1f}ms {h50:11.1f}ms {hbest:6.1f}ms {ratio:6.2f}")
        engine = engine_figures(report)
        # The engine's 集中培训 per pairing are inside its pairings' progress, not in the
        # report: read once more (not timed) to hold them against the hand SQL's count.
        engine["trainings"] = await trainings_attended(
            year, None, region_ids=set(ids) if ids is not None else None
        )
        diffs = same(engine, hand)
        if diffs:
            failures += 1
            print(f"  FIGURES DIFFER ({len(diffs)}):", *diffs[:10], sep="\n  ")
        else:
            print(f"  figures agree ({len(report['items'])} region(s))")
        if label == "city":
            total = report["total"]["figures"]
            print(
                f"  city: {total['activities']} activities held, {total['checked_in']} check-ins,"
                f" {total['teachers_reached']} teachers reached"
            )
            verdict = "OK" if ratio <= 1.2 and e50 < 200 else "MISSED"
            print(f"  target ratio <= 1.2 and city < 200 ms: {verdict}")
        else:
            print(f"  target ratio <= 1.2: {'OK' if ratio <= 1.2 else 'MISSED'}")
    await pool.close()
    await Tortoise.close_connections()
    return failures


async def main(args: argparse.Namespace) -> int:
    at = args.at or datetime.now(UTC)
    if not args.reuse:
        await prepare_database()
        await create_schema()
        made = await generate(args.scale, at)
        print(
            f"generated {made['kindergartens']} kindergartens, {made['alliances']} alliances, "
            f"{made['pairings']} pairings, {made['activities']} activities, "
            f"{made['checkins']} check-ins in {made['seconds']:.1f} s "
            f"({made['seconds_with_vacuum']:.1f} s with VACUUM ANALYZE)"
        )
    failures = await measure(args.runs, at, args.profile)
    if not args.keep and not args.reuse:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await conn.close()
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the city (2M check-ins)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per measurement")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure the kept database again")
    parser.add_argument(
        "--at",
        type=lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC),
        help="UTC moment the data is generated around and seen at (default: now)",
    )
    parser.add_argument("--database", default=DATABASE, help="PostgreSQL database to use")
    parser.add_argument("--profile", help="py-spy profile (raw) of the engine's city runs")
    args = parser.parse_args()
    use_database(args.database)
    # On the event loop an api worker serves the engine on (Sanic runs uvloop); the hand SQL
    # runs in this process too, on the same loop.
    sys.exit(uvloop.run(main(args)))
