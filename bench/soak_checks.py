"""The soak's checks: check-ins against SQL, messages against the sandbox, errors and
latency per minute, memory per process; and the report with its verdict."""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict

import aiohttp
import asyncpg

from bench.soak_load import DSN, GROWTH_LIMIT, Call, People, Soak

# ---- checks -----------------------------------------------------------------------------------


async def check_checkins(soak: Soak) -> tuple[list[str], str]:
    """Findings about check-ins, and a one-line account."""
    conn = await asyncpg.connect(DSN.replace("postgres://", "postgresql://"))
    try:
        rows = await conn.fetch(
            "SELECT activity_id, person_id, id FROM checkin WHERE activity_id = ANY($1::int[])",
            list(soak.answered),
        )
    finally:
        await conn.close()
    recorded: dict[int, Counter] = defaultdict(Counter)
    ids: dict[tuple[int, int], set[int]] = defaultdict(set)
    for r in rows:
        recorded[r["activity_id"]][r["person_id"]] += 1
        ids[(r["activity_id"], r["person_id"])].add(r["id"])
    findings = []
    answered = sum(len(v) for v in soak.answered.values())
    for activity_id, people in soak.answered.items():
        got = recorded[activity_id]
        lost = [p for p in people if got[p] == 0]
        doubled = [p for p, n in got.items() if n > 1]
        unasked = [p for p in got if p not in people and p not in soak.unanswered[activity_id]]
        wrong_id = [
            p
            for p, seen in soak.answered_ids[activity_id].items()
            if not seen <= ids[(activity_id, p)] or len(seen) > 1
        ]
        if lost:
            findings.append(f"activity {activity_id}: {len(lost)} answered check-ins not recorded")
        if doubled:
            findings.append(f"activity {activity_id}: {len(doubled)} people recorded twice")
        if unasked:
            findings.append(f"activity {activity_id}: {len(unasked)} records nobody was answered")
        if wrong_id:
            findings.append(
                f"activity {activity_id}: {len(wrong_id)} answered with another record's id"
            )
    never = sum(len(v) for v in soak.unanswered.values())
    if never:
        findings.append(f"{never} scans never answered after 6 tries")
    account = (
        f"{len(soak.answered)} bursts, {answered} scans answered 'checked_in', "
        f"{len(rows)} rows in the database ({sum(len(c) for c in recorded.values())} distinct), "
        f"{never} never answered"
    )
    return findings, account


async def settle(soak: Soak, people: People, within: float) -> int:
    """Wait until every published notice has its messages and none is queued or sending.

    A notice published while Redis was away reaches the queue through the scheduler's
    sweep (once a minute). Answers how many messages are still missing or unsettled.
    """
    keys = [f"notice:{n}:published" for n, _ in soak.notices]
    wanted = sum(len(people.parents[k]) for _, k in soak.notices)
    conn = await asyncpg.connect(DSN.replace("postgres://", "postgresql://"))
    try:
        deadline = time.monotonic() + within
        while True:
            left = await conn.fetchval(
                "SELECT count(*) FROM delivery WHERE status IN ('queued', 'sending')"
            )
            made = await conn.fetchval(
                "SELECT count(*) FROM delivery WHERE key = ANY($1::text[])", keys
            )
            left += max(0, wanted - made)
            if not left or time.monotonic() > deadline:
                return left
    finally:
        await conn.close()


async def check_messages(soak: Soak, people: People) -> tuple[list[str], str]:
    """Delivery rows against what the sandbox received: exactly once, or failed with a reason."""
    conn = await asyncpg.connect(DSN.replace("postgres://", "postgresql://"))
    try:
        rows = await conn.fetch(
            "SELECT d.id, d.key, d.status, d.channel, d.last_error, d.page, d.attempts, "
            "d.push_started_at IS NOT NULL AS pushed, a.openid "
            "FROM delivery d LEFT JOIN account a ON a.person_id = d.person_id"
        )
        published = {
            r["key"]: r["n"]
            for r in await conn.fetch(
                "SELECT key, count(*) AS n FROM delivery WHERE key LIKE 'notice:%:published' "
                "GROUP BY key"
            )
        }
    finally:
        await conn.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{soak.sandbox}/sandbox/outbox", params={"delivered": "true"}) as resp:
            outbox = (await resp.json())["items"]
    received: Counter = Counter()
    for entry in outbox:
        if entry["kind"] in ("subscribe_send", "template_send"):
            page = entry["request"].get("page") or (entry["request"].get("miniprogram") or {}).get(
                "pagepath"
            )
            received[(entry["touser"], (page or "").lstrip("/"))] += 1
    findings = []
    statuses: Counter = Counter()
    pushed: Counter = Counter()
    #: Ended "unconfirmed": the push left, its answer was lost (a worker killed mid-call),
    #: and it is not sent again lest she get it twice; the inbox has it. WeChat may or may
    #: not have delivered it: at most once, with the reason recorded.
    unconfirmed: Counter = Counter()
    rows_at: dict[tuple, list] = defaultdict(list)
    for r in rows:
        statuses[f"{r['status']}/{r['channel']}"] += 1
        where = (r["openid"], (r["page"] or "").lstrip("/"))
        rows_at[where].append(r)
        if r["status"] in ("sent", "read") and r["channel"] in ("subscribe", "template"):
            pushed[where] += 1
        elif r["status"] == "failed":
            if not (r["last_error"] or "").strip():
                findings.append(f"delivery {r['id']} ({r['key']}) failed without a reason")
        elif r["status"] in ("queued", "sending"):
            findings.append(f"delivery {r['id']} ({r['key']}) still {r['status']}")
        elif r["status"] == "unconfirmed":
            unconfirmed[where] += 1
            if not (r["last_error"] or "").strip():
                findings.append(f"delivery {r['id']} ({r['key']}) unconfirmed without a reason")
    missing = [w for w, n in pushed.items() if received[w] < n]
    doubled = [w for w, n in received.items() if n > pushed.get(w, 0) + unconfirmed.get(w, 0)]
    arrived = sum(min(received[w] - pushed.get(w, 0), n) for w, n in unconfirmed.items())
    if missing:
        findings.append(
            f"{len(missing)} messages marked sent that the sandbox never received: {missing[:5]}"
        )
    twice = [w for w in doubled if received[w] > 1]
    if twice:
        findings.append(f"{len(twice)} messages received twice or more: {twice[:5]}")
    # Read in the app while a killed worker held it mid-push: the row says "read" with no
    # channel (the sweeper judges only rows still "sending"), though WeChat took the push.
    # She got it once: a gap in the row's record, not a lost or doubled message.
    read_mid_push = [
        w
        for w in doubled
        if received[w] <= 1
        and all(r["status"] == "read" and r["channel"] is None and r["pushed"] for r in rows_at[w])
    ]
    unrecorded = [w for w in doubled if received[w] <= 1 and w not in read_mid_push]
    if unrecorded:
        shown = [
            f"{w[0]} {w[1]}: "
            + ", ".join(
                f"row {r['id']} {r['status']}/{r['channel']} attempts {r['attempts']}"
                f"{' push started' if r['pushed'] else ''}"
                for r in rows_at[w]
            )
            for w in unrecorded[:5]
        ]
        findings.append(
            f"{len(unrecorded)} messages the sandbox received once whose row does not say it was"
            f" sent: {'; '.join(shown)}"
        )
    for notice_id, k in soak.notices:
        want = len(people.parents[k])
        got = published.get(f"notice:{notice_id}:published", 0)
        if got != want:
            findings.append(f"notice {notice_id}: {got} delivery rows for {want} families")
    account = (
        f"{len(soak.notices)} notices published, {len(rows)} delivery rows "
        f"({', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}), "
        f"{sum(received.values())} messages received by the sandbox"
        + (
            f"; {sum(unconfirmed.values())} ended unconfirmed with their reason (the answer "
            f"lost mid-call, not sent again; the sandbox received {max(arrived, 0)} of them)"
            if unconfirmed
            else ""
        )
        + (
            f"; {len(read_mid_push)} received once by WeChat whose row says read without a "
            "channel (read in the app while the killed worker held it mid-push; the row's "
            f"record is incomplete): {read_mid_push[:5]}"
            if read_mid_push
            else ""
        )
    )
    return findings, account


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * q + 0.999999) - 1, 0)] if ordered else float("nan")


#: An error within this many seconds after a fault (Redis away, a worker killed) is expected.
FAULT_WINDOW = 30.0


def near_fault(soak: Soak, at: float) -> bool:
    """Whether a call made at `at` ran while a fault was injected or recovering."""
    return any(
        start - 1 <= at <= start + FAULT_WINDOW
        for start, text in soak.events
        if text.startswith(("Redis", "worker1"))
    )


def per_minute(soak: Soak) -> tuple[list[str], list[str]]:
    """A table of calls, errors and latency per minute; findings for errors off the faults."""
    by_minute: dict[int, list[Call]] = defaultdict(list)
    for c in soak.calls:
        by_minute[int(c.at // 60)].append(c)
    lines = ["minute  calls  errors  error rate   p50 ms   p99 ms  events; errors by kind:status"]
    findings = []
    for minute in sorted(by_minute):
        calls = by_minute[minute]
        errors = [c for c in calls if not c.ok]
        times = [c.seconds * 1000 for c in calls]
        kinds = Counter(f"{c.kind}:{c.status}" for c in errors)
        events = "; ".join(t for at, t in soak.events if int(at // 60) == minute)
        lines.append(
            f"{minute + 1:>6} {len(calls):>6} {len(errors):>7} {len(errors) / len(calls):>10.2%} "
            f"{statistics.median(times):>8.1f} {percentile(times, 0.99):>8.1f}  "
            f"{events}{'; ' if events and kinds else ''}{dict(kinds) if kinds else ''}"
        )
        off = Counter(f"{c.kind}:{c.status}" for c in errors if not near_fault(soak, c.at))
        if off:
            findings.append(
                f"minute {minute + 1}: {sum(off.values())} errors away from any fault: {dict(off)}"
            )
    return lines, findings


def memory(soak: Soak) -> tuple[list[str], list[str]]:
    """RSS after warm-up and at the end per process; growth over the limit is a finding."""
    lines = ["process     at ready   warm (60 s)   end       growth (warm → end)"]
    findings = []
    for name, samples in soak.rss.items():
        since = soak.restarted.get(name)
        mine = [(t, b) for t, b in samples if since is None or t >= since]
        if not mine:
            continue
        first = mine[0][1]
        warm_at = (since or 0) + 60
        warm = next((b for t, b in mine if t >= warm_at), mine[-1][1])
        end = mine[-1][1]
        growth = (end - warm) / warm if warm else 0.0
        note = f" (restarted at {since:.0f} s; figures since)" if since is not None else ""
        lines.append(
            f"{name:<10} {first / 2**20:8.1f} MB {warm / 2**20:9.1f} MB {end / 2**20:8.1f} MB "
            f"{growth:+8.1%}{note}"
        )
        if growth > GROWTH_LIMIT:
            findings.append(
                f"{name}: memory grew {growth:+.0%} ({warm / 2**20:.0f} → {end / 2**20:.0f} MB)"
            )
    return lines, findings


async def report(soak: Soak, people: People, minutes: float) -> int:
    checkin_findings, checkin_account = await check_checkins(soak)
    message_findings, message_account = await check_messages(soak, people)
    minute_lines, minute_findings = per_minute(soak)
    memory_lines, memory_findings = memory(soak)
    print()
    print(f"== soak: {minutes:g} min, 2 apis, 2 workers, the scheduler, PostgreSQL + Redis")
    print("events:")
    for at, text in soak.events:
        print(f"  {at:7.1f} s  {text}")
    print(f"check-ins: {checkin_account}")
    print(f"messages : {message_account}")
    print("per minute (errors: non-2xx answers and transport errors):")
    print("\n".join("  " + line for line in minute_lines))
    everything = [c.seconds * 1000 for c in soak.calls]
    kinds = Counter(c.kind for c in soak.calls)
    print(
        f"all calls: {len(soak.calls)} ({dict(kinds)}), p50 "
        f"{statistics.median(everything) if everything else float('nan'):.1f} ms, "
        f"p99 {percentile(everything, 0.99):.1f} ms"
    )
    print("per kind: calls, errors, p50, p99")
    for kind in sorted(kinds):
        mine = [c for c in soak.calls if c.kind == kind]
        times = [c.seconds * 1000 for c in mine]
        print(
            f"  {kind:<15} {len(mine):>6} {sum(not c.ok for c in mine):>5} "
            f"{statistics.median(times):>8.1f} ms {percentile(times, 0.99):>8.1f} ms"
        )
    print("memory (RSS of each process and its children):")
    print("\n".join("  " + line for line in memory_lines))
    findings = [
        *(f"check-ins: {f}" for f in checkin_findings),
        *(f"messages: {f}" for f in message_findings),
        *(f"errors: {f}" for f in minute_findings),
        *(f"memory: {f}" for f in memory_findings),
        *(f"process: {f}" for f in soak.unexpected_exits),
    ]
    if findings:
        print(f"VERDICT: NOT CLEAN ({len(findings)} findings)")
        for f in findings:
            print(f"  - {f}")
        return 1
    print(
        "VERDICT: CLEAN (no check-in lost or doubled, every message delivered once or "
        "dead-lettered with a reason, errors only around the faults, no memory growth > 20 %)"
    )
    return 0
