"""A soak: mixed work on a whole deployment for some minutes, with Redis and a worker failing.

    .venv/bin/python bench/soak.py [--minutes 10] [--teachers 300] [--parents 60] [--keep]

PostgreSQL must run on 127.0.0.1:5432 and redis-server must be installed. Starts, as real
processes (tests/scale/procs.py), the WeChat sandbox, two api processes, two workers and
the scheduler, on a database of its own and a private redis-server. Seeds three
kindergartens with teachers, directors (with console passwords), a leader and families,
then runs for `--minutes`:

- check-in bursts: a new activity every 20 s, every teacher scans once through the two
  apis (50 at a time); a failed scan is sent again with the same nonce, as the phone does;
- notices with RSVPs: every 45 s a director publishes a 家长开放日 notice to her families;
  half of them open it, read it and answer;
- console pages: a director's browser on the dashboard, notices and activities pages;
- summaries: the leader's region, kindergarten and ranking reports.

Midway Redis is restarted once (SHUTDOWN SAVE, then started again on the same port) and a
worker is killed once (SIGKILL on its process group, then started again). At the end it
waits for every message to settle and checks, independently of the processes: no check-in
lost or doubled (SQL counts against what the scans were answered), every message delivered
exactly once or dead-lettered with a reason (the sandbox's received messages against the
delivery rows), the error rate and p99 per minute, and each process's memory (RSS of its
process tree) after warm-up and at the end; growth over 20 % is a finding. It prints a
verdict and exits 1 unless the soak is clean.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scale.procs import PrivateRedis, Proc, wait_http  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "songjiao_soak"
DSN = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
SECRET = "soak-jwt-secret-0123456789abcdef0123456789"
CERT_SECRET = "soak-certificate-secret-0123456789abcdef01"
APPID, WX_SECRET = "wx_soak_appid", "soak-wechat-secret"
PASSWORD = "soak-console-password"
KINDERGARTENS = 3
#: Answers each kind of call may give without it being an error.
EXPECTED = {
    "checkin": {200},
    "notice.create": {201},
    "notice.publish": {200},
    "notice.list": {200},
    "notice.read": {200},
    "notice.rsvp": {200},
    "console": {200},
    "summary": {200},
}
GROWTH_LIMIT = 0.20


# ---- the load generator's record ---------------------------------------------------------------


@dataclass
class Call:
    at: float  #: seconds since the soak began
    kind: str
    status: int  #: HTTP status, 0 for a transport error
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status in EXPECTED[self.kind]


@dataclass
class Soak:
    """Everything the soak started, seeded and saw."""

    started: float
    env: dict[str, str]
    apis: list[str]
    sandbox: str
    redis: PrivateRedis
    procs: dict[str, Proc]
    calls: list[Call] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)
    #: activity id -> teachers whose scan was answered "checked_in" (by person id)
    answered: dict[int, set[int]] = field(default_factory=dict)
    #: activity id -> teachers never answered after every retry
    unanswered: dict[int, set[int]] = field(default_factory=dict)
    #: activity id -> (person id -> check-in ids she was answered with)
    answered_ids: dict[int, dict[int, set[int]]] = field(default_factory=dict)
    notices: list[tuple[int, int]] = field(default_factory=list)  #: (notice id, kg index)
    #: process name -> [(seconds, RSS bytes of its tree)], and when each was (re)started
    rss: dict[str, list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))
    restarted: dict[str, float] = field(default_factory=dict)
    unexpected_exits: list[str] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started

    def event(self, text: str) -> None:
        self.events.append((self.now(), text))
        print(f"[{self.now():6.1f} s] {text}", flush=True)


@dataclass
class People:
    region_id: int
    kgs: list[int]
    teachers: list[tuple[int, str]]  #: (person id, token)
    directors: list[tuple[str, str]]  #: per kindergarten: (token, console login)
    leader: str
    parents: list[list[tuple[int, str]]]  #: per kindergarten: (person id, token)
    subscribed: int


def env_for(sandbox_url: str, redis_url: str, data_dir: str) -> dict[str, str]:
    import os

    return {
        **os.environ,
        "SONGJIAO_ENV": "test",
        "SONGJIAO_JWT_SECRET": SECRET,
        "SONGJIAO_CERTIFICATE_SECRET": CERT_SECRET,
        "SONGJIAO_WECHAT_APPID": APPID,
        "SONGJIAO_WECHAT_SECRET": WX_SECRET,
        "SONGJIAO_WECHAT_TOKEN": "soak",
        "SONGJIAO_WECHAT_API_BASE": sandbox_url,
        "SONGJIAO_WECOM_API_BASE": sandbox_url,
        "SONGJIAO_DATABASE_URL": DSN,
        "SONGJIAO_REDIS_URL": redis_url,
        "SONGJIAO_DATA_DIR": data_dir,
        "SONGJIAO_WORKERS": "1",
        "SONGJIAO_HOST": "127.0.0.1",
    }


# ---- seeding ----------------------------------------------------------------------------------


async def fresh_database() -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()


async def drop_database() -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    finally:
        await conn.close()


async def login(settings, account) -> str:
    """A real session for the account (as the api's login opens one); its access token.

    A real session row matters: while Redis is away the api asks the database whether the
    session is still open.
    """
    from server.accounts.service import start_session

    return (await start_session(account=account, settings=settings))["access_token"]


async def seed(settings, sandbox: str, n_teachers: int, n_parents: int) -> People:
    """Kindergartens, teachers, directors, a leader and families, with subscriptions."""
    from server.accounts.models import Account, RoleGrant
    from server.accounts.web_login import set_password
    from server.delivery.models import SubscriptionQuota
    from server.delivery.templates import template_for
    from server.orgs.models import (
        Child,
        Grade,
        Guardian,
        Kindergarten,
        Person,
        Region,
        SchoolClass,
        Teacher,
    )

    region = await Region.create(name="耐久县")
    kgs = [
        await Kindergarten.create(name=f"耐久幼儿园{i + 1}", level="乡镇中心园", region=region)
        for i in range(KINDERGARTENS)
    ]

    async def person(name: str, openid: str, *grants) -> tuple[int, str]:
        p = await Person.create(name=name)
        a = await Account.create(openid=openid, person=p)
        for role, kind, scope in grants:
            await RoleGrant.create(person=p, role=role, scope_kind=kind, scope_id=scope)
        return p.id, a

    teachers = []
    for i in range(n_teachers):
        kg = kgs[i % len(kgs)]
        pid, account = await person(f"教师{i}", f"soakT{i}", ("teacher", "kindergarten", kg.id))
        await Teacher.create(person_id=pid, kindergarten=kg)
        teachers.append((pid, await login(settings, account)))
    directors = []
    for i, kg in enumerate(kgs):
        p = await Person.create(name=f"园长{i}")
        await Teacher.create(person=p, kindergarten=kg)
        a = await Account.create(openid=f"soakD{i}", person=p)
        grants = [("director", "kindergarten", kg.id), ("teacher", "kindergarten", kg.id)]
        for role, kind, scope in grants:
            await RoleGrant.create(person=p, role=role, scope_kind=kind, scope_id=scope)
        name = f"soak-director-{i}"
        await set_password(account_id=a.id, login=name, password=PASSWORD)
        directors.append((await login(settings, a), name))
    _, account = await person("局长", "soakL", ("leader", "region", region.id))
    leader = await login(settings, account)
    template = template_for(settings, "notice").subscribe_id
    parents: list[list[tuple[int, str]]] = []
    openids = []
    for k, kg in enumerate(kgs):
        room = await SchoolClass.create(kindergarten=kg, name="小一班", grade=Grade.SMALL)
        mine = []
        for i in range(n_parents):
            child = await Child.create(school_class=room, name=f"小朋友{k}-{i}")
            openid = f"soakP{k}-{i}"
            pid, account = await person(f"家长{k}-{i}", openid, ("parent", "child", child.id))
            await Guardian.create(person_id=pid, child=child, relation="母亲")
            mine.append((pid, await login(settings, account)))
            # Two in three accepted notice subscriptions (plenty); the rest get the inbox.
            if i % 3:
                await SubscriptionQuota.create(person_id=pid, template_id=template, remaining=500)
                openids.append(openid)
        parents.append(mine)
    async with aiohttp.ClientSession() as http:
        body = {"openids": openids, "template_id": template, "count": 500}
        async with http.post(f"{sandbox}/sandbox/subscriptions/bulk", json=body) as resp:
            resp.raise_for_status()
    return People(
        region.id, [kg.id for kg in kgs], teachers, directors, leader, parents, len(openids)
    )


async def new_activity(kg_ids: list[int], n: int) -> tuple[int, str]:
    """An activity open now for every teacher of the kindergartens; (id, scene)."""
    from server.activities.codes import new_activity_code, new_activity_secret, static_scene
    from server.activities.models import Activity, ActivityAudience, AudienceMode
    from server.common.time import now

    start = now() - timedelta(minutes=5)
    activity = await Activity.create(
        title=f"耐久测试活动{n}",
        kind="送教下乡",
        host_id=kg_ids[0],
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        checkin_opens_at=start - timedelta(minutes=30),
        late_after=start + timedelta(hours=2),
        checkin_closes_at=start + timedelta(hours=3),
        audience_mode=AudienceMode.KINDERGARTENS,
        status="published",
        attendee_hours=2,
        code=new_activity_code(),
        secret=new_activity_secret(),
        lat=28.2,
        lng=112.9,
    )
    for kg in kg_ids:
        await ActivityAudience.create(activity=activity, kindergarten_id=kg)
    return activity.id, static_scene(activity.code)


# ---- the load ---------------------------------------------------------------------------------


async def call(
    soak: Soak,
    http: aiohttp.ClientSession,
    kind: str,
    method: str,
    url: str,
    *,
    token_: str | None = None,
    **kw,
) -> tuple[int, dict | str | None]:
    """One request, recorded; (status or 0, parsed answer)."""
    headers = kw.pop("headers", {})
    if token_:
        headers["Authorization"] = f"Bearer {token_}"
    t0 = time.perf_counter()
    at = soak.now()
    status, answer = 0, None
    try:
        async with http.request(
            method, url, headers=headers, timeout=aiohttp.ClientTimeout(total=30), **kw
        ) as resp:
            status = resp.status
            text = await resp.text()
            if resp.content_type == "application/json":
                with contextlib.suppress(ValueError):
                    answer = await resp.json()
            else:
                answer = text
    except (aiohttp.ClientError, TimeoutError):
        status = 0
    soak.calls.append(Call(at, kind, status, time.perf_counter() - t0))
    return status, answer


async def checkin_burst(soak: Soak, http, people: People, number: int) -> None:
    activity_id, scene = await new_activity(people.kgs, number)
    soak.answered[activity_id] = set()
    soak.unanswered[activity_id] = set()
    soak.answered_ids[activity_id] = defaultdict(set)
    queue: asyncio.Queue = asyncio.Queue()
    for item in people.teachers:
        queue.put_nowait(item)

    async def scan(pid: int, tok: str, api: str) -> None:
        nonce = uuid.uuid4().hex
        body = {"scene": scene, "nonce": nonce, "location": {"lat": 28.2, "lng": 112.9}}
        # A double tap now and then: the same nonce twice at once.
        tries = 2 if random.random() < 0.05 else 1
        for attempt in range(6):
            results = await asyncio.gather(
                *(
                    call(
                        soak,
                        http,
                        "checkin",
                        "POST",
                        f"{api}/api/v1/checkins",
                        token_=tok,
                        json=body,
                    )
                    for _ in range(tries)
                )
            )
            tries = 1
            done = False
            for status, answer in results:
                if status == 200 and isinstance(answer, dict):
                    if answer.get("status") == "checked_in":
                        soak.answered[activity_id].add(pid)
                        if answer.get("checkin"):
                            soak.answered_ids[activity_id][pid].add(answer["checkin"]["id"])
                    done = True
            if done:
                return
            # The phone tries again with the same nonce, a little later.
            await asyncio.sleep(1 + attempt)
        soak.unanswered[activity_id].add(pid)

    async def worker(i: int) -> None:
        api = soak.apis[i % len(soak.apis)]
        while not queue.empty():
            pid, tok = queue.get_nowait()
            await scan(pid, tok, api)

    await asyncio.gather(*(worker(i) for i in range(50)))


async def notice_round(soak: Soak, http, people: People, number: int) -> None:
    k = number % len(people.kgs)
    director, _ = people.directors[k]
    api = soak.apis[number % len(soak.apis)]
    deadline = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    body = {
        "kindergarten_id": people.kgs[k],
        "title": f"家长开放日邀请（第{number + 1}期）",
        "body": "欢迎各位家长走进幼儿园，观摩半日活动。",
        "audience": {"kindergarten": True},
        "ack_mode": "rsvp",
        "deadline": deadline,
    }
    status, made = await call(
        soak, http, "notice.create", "POST", f"{api}/api/v1/notices", token_=director, json=body
    )
    if status != 201 or not isinstance(made, dict):
        return
    notice_id = made["id"]
    for _ in range(5):
        status, _ = await call(
            soak,
            http,
            "notice.publish",
            "POST",
            f"{api}/api/v1/notices/{notice_id}/publish",
            token_=director,
        )
        if status == 200:
            soak.notices.append((notice_id, k))
            break
        await asyncio.sleep(2)
    else:
        return
    await asyncio.sleep(3)

    async def family(i: int, pid: int, tok: str) -> None:
        base = soak.apis[i % len(soak.apis)]
        await call(soak, http, "notice.list", "GET", f"{base}/api/v1/me/notices", token_=tok)
        await call(
            soak, http, "notice.read", "POST", f"{base}/api/v1/notices/{notice_id}/read", token_=tok
        )
        for _ in range(3):
            status, _ = await call(
                soak,
                http,
                "notice.rsvp",
                "POST",
                f"{base}/api/v1/notices/{notice_id}/rsvp",
                token_=tok,
                json={"answer": "yes", "adults": 1, "children": 1},
            )
            if status == 200:
                return
            await asyncio.sleep(1)

    answering = people.parents[k][::2]
    sem = asyncio.Semaphore(10)

    async def limited(i: int, pid: int, tok: str) -> None:
        async with sem:
            await family(i, pid, tok)

    await asyncio.gather(*(limited(i, pid, tok) for i, (pid, tok) in enumerate(answering)))


async def console_login(soak: Soak, api: str, login: str) -> aiohttp.ClientSession:
    """A browser logged in to the console with a password (cookies kept)."""
    browser = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    for _ in range(10):
        status, page = await call(soak, browser, "console", "GET", f"{api}/console/login")
        found = (
            re.search(r'<meta name="csrf-token" content="([^"]+)"', page or "")
            if status == 200
            else None
        )
        if found:
            form = {"login": login, "password": PASSWORD, "csrf_token": found[1]}
            async with browser.post(
                f"{api}/console/login", data=form, allow_redirects=False
            ) as resp:
                if resp.status == 303:
                    return browser
        await asyncio.sleep(1)
    raise SystemExit("the console login failed")


async def console_round(soak: Soak, browser, api: str, number: int) -> bool:
    """Open the console's pages; False when the session was lost (a login page)."""
    pages = ["/console/dashboard", "/console/notices", "/console/activities"]
    mine = [notice_id for notice_id, k in soak.notices if k == 0]  # her kindergarten's
    if mine:
        pages.append(f"/console/notices/{mine[-1]}")
    for path in pages:
        t0 = time.perf_counter()
        at = soak.now()
        try:
            async with browser.get(
                f"{api}{path}", allow_redirects=False, timeout=aiohttp.ClientTimeout(total=30)
            ) as resp:
                await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        soak.calls.append(Call(at, "console", status, time.perf_counter() - t0))
        if status == 303:
            return False
    return True


async def summary_round(soak: Soak, http, people: People, number: int) -> None:
    api = soak.apis[number % len(soak.apis)]
    for path in (
        "/api/v1/reports/regions",
        "/api/v1/reports/kindergartens",
        "/api/v1/reports/rankings",
    ):
        await call(soak, http, "summary", "GET", f"{api}{path}", token_=people.leader)


async def every(seconds: float, until: float, soak: Soak, step) -> None:
    """Run `step(n)` every `seconds` until `until` (soak time); a step may take longer."""
    n = 0
    while soak.now() < until:
        began = soak.now()
        try:
            await step(n)
        except Exception as exc:  # noqa: BLE001 - the soak reports it and goes on
            soak.event(f"load step failed: {type(exc).__name__}: {exc}")
        n += 1
        await asyncio.sleep(max(0.0, seconds - (soak.now() - began)))


# ---- processes and memory ---------------------------------------------------------------------


def tree_rss(pid: int) -> int:
    """RSS in bytes of `pid` and every descendant (Linux /proc)."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children[int(fields[1])].append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        one = todo.pop()
        todo += children.get(one, [])
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


async def ready(proc: Proc, url: str, within: float = 180) -> None:
    """Wait until `url` answers; stop at once, with the process's output, if it exited."""
    waiting = asyncio.create_task(wait_http(url, within=within))
    while not waiting.done():
        if proc.proc is not None and proc.proc.returncode is not None:
            waiting.cancel()
            raise SystemExit(f"{proc.name} exited ({proc.proc.returncode}):\n{proc.output()}")
        await asyncio.sleep(0.5)
    await waiting


async def sample_memory(soak: Soak, until: float) -> None:
    while soak.now() < until:
        for name, proc in soak.procs.items():
            if proc.proc is not None and proc.proc.returncode is None:
                soak.rss[name].append((soak.now(), tree_rss(proc.proc.pid)))
        await asyncio.sleep(5)


async def faults(soak: Soak, minutes: float, people: People) -> None:
    total = minutes * 60
    await asyncio.sleep(max(0.0, total * 0.4 - soak.now()))
    soak.event("Redis: SHUTDOWN SAVE (restart)")
    await asyncio.to_thread(soak.redis.stop)
    await asyncio.sleep(3)
    soak.redis.start()
    soak.event("Redis: started again")
    await asyncio.sleep(max(0.0, total * 0.6 - soak.now()))
    soak.event("worker1: SIGKILL")
    await soak.procs["worker1"].kill()
    await asyncio.sleep(5)
    await soak.procs["worker1"].start()
    soak.restarted["worker1"] = soak.now()
    soak.event("worker1: started again")


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


async def settle(soak: Soak, within: float) -> int:
    """Wait until no message is queued or sending; answers how many still are."""
    conn = await asyncpg.connect(DSN.replace("postgres://", "postgresql://"))
    try:
        deadline = time.monotonic() + within
        while True:
            left = await conn.fetchval(
                "SELECT count(*) FROM delivery WHERE status IN ('queued', 'sending')"
            )
            if not left or time.monotonic() > deadline:
                return left
            await asyncio.sleep(2)
    finally:
        await conn.close()


async def check_messages(soak: Soak, people: People) -> tuple[list[str], str]:
    """Delivery rows against what the sandbox received: exactly once, or failed with a reason."""
    conn = await asyncpg.connect(DSN.replace("postgres://", "postgresql://"))
    try:
        rows = await conn.fetch(
            "SELECT d.id, d.key, d.status, d.channel, d.last_error, d.page, a.openid "
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
    for r in rows:
        statuses[f"{r['status']}/{r['channel']}"] += 1
        where = (r["openid"], (r["page"] or "").lstrip("/"))
        if r["status"] in ("sent", "read") and r["channel"] in ("subscribe", "template"):
            pushed[where] += 1
        elif r["status"] == "failed":
            if not (r["last_error"] or "").strip():
                findings.append(f"delivery {r['id']} ({r['key']}) failed without a reason")
        elif r["status"] in ("queued", "sending"):
            findings.append(f"delivery {r['id']} ({r['key']}) still {r['status']}")
        elif r["status"] == "unconfirmed":
            findings.append(f"delivery {r['id']} ({r['key']}) unconfirmed (WeChat's answer lost)")
    missing = [w for w, n in pushed.items() if received[w] < n]
    doubled = [w for w, n in received.items() if n > pushed.get(w, 0)]
    if missing:
        findings.append(
            f"{len(missing)} messages marked sent that the sandbox never received: {missing[:5]}"
        )
    if doubled:
        findings.append(
            f"{len(doubled)} messages the sandbox received more often than sent: {doubled[:5]}"
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


# ---- the run ----------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> int:
    from tortoise import Tortoise

    from server.db import tortoise_config
    from server.settings import load_settings
    from tests.support.servers import free_port

    tmp = Path(tempfile.mkdtemp(prefix="songjiao-soak-"))
    redis = PrivateRedis(tmp)
    redis.start()
    sandbox_port, api_ports = free_port(), [free_port(), free_port()]
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    env = env_for(sandbox, redis.url, str(tmp / "data"))
    await fresh_database()
    migrate = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "migrate",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await migrate.communicate()
    if migrate.returncode:
        print(out.decode(errors="replace")[-3000:])
        redis.kill()
        return 1
    logs = tmp / "logs"
    logs.mkdir()
    procs = {
        "sandbox": Proc("sandbox", ["sandbox", "--port", str(sandbox_port)], env, logs / "sandbox"),
        **{
            f"api{i}": Proc(
                f"api{i}",
                ["serve", "--no-migrate"],
                {**env, "SONGJIAO_PORT": str(port)},
                logs / f"api{i}",
            )
            for i, port in enumerate(api_ports)
        },
        "worker0": Proc("worker0", ["worker"], env, logs / "worker0"),
        "worker1": Proc("worker1", ["worker"], env, logs / "worker1"),
        "scheduler": Proc("scheduler", ["scheduler"], env, logs / "scheduler"),
    }
    soak = Soak(
        started=time.monotonic(),
        env=env,
        apis=[f"http://127.0.0.1:{p}" for p in api_ports],
        sandbox=sandbox,
        redis=redis,
        procs=procs,
    )
    settings = load_settings(
        env="test",
        database_url=DSN,
        redis_url=redis.url,
        wechat_api_base=sandbox,
        wecom_api_base=sandbox,
        jwt_secret=SECRET,
        certificate_secret=CERT_SECRET,
        # The load's tokens are made once, before it starts; they must outlive it.
        access_token_ttl=6 * 3600,
        wechat_appid=APPID,
        wechat_secret=WX_SECRET,
    )
    await Tortoise.init(config=tortoise_config(settings, with_aerich=False))
    verdict = 1
    try:
        for proc in procs.values():
            await proc.start()
        await ready(procs["sandbox"], sandbox + "/sandbox/stats")
        for i, api in enumerate(soak.apis):
            await ready(procs[f"api{i}"], api + "/healthz")
        print(f"logs in {logs}", flush=True)
        people = await seed(settings, sandbox, args.teachers, args.parents)
        print(
            f"seeded {len(people.teachers)} teachers, {KINDERGARTENS} kindergartens with "
            f"{args.parents} families each ({people.subscribed} subscribed to notices), "
            "3 directors, a leader",
            flush=True,
        )
        soak.started = time.monotonic()
        soak.event(f"load starts for {args.minutes:g} min")
        until = args.minutes * 60
        browser = await console_login(soak, soak.apis[0], people.directors[0][1])
        connector = aiohttp.TCPConnector(limit=200)
        async with aiohttp.ClientSession(connector=connector) as http:

            async def console_step(n: int) -> None:
                nonlocal browser
                if not await console_round(soak, browser, soak.apis[n % 2], n):
                    soak.event("console session lost: logging in again")
                    await browser.close()
                    browser = await console_login(soak, soak.apis[0], people.directors[0][1])

            try:
                await asyncio.gather(
                    every(20, until, soak, lambda n: checkin_burst(soak, http, people, n)),
                    every(45, until, soak, lambda n: notice_round(soak, http, people, n)),
                    every(5, until, soak, console_step),
                    every(10, until, soak, lambda n: summary_round(soak, http, people, n)),
                    sample_memory(soak, until),
                    faults(soak, args.minutes, people),
                )
            finally:
                await browser.close()
        soak.event("load stopped; waiting for every message to settle")
        for name, proc in procs.items():
            if proc.proc is None or proc.proc.returncode is not None:
                soak.unexpected_exits.append(
                    f"{name} exited ({proc.proc.returncode if proc.proc else 'never started'})"
                )
        left = await settle(soak, args.settle)
        soak.event(f"settled ({left} messages still queued or sending)")
        verdict = await report(soak, people, args.minutes)
    finally:
        await asyncio.gather(*(p.stop() for p in procs.values()))
        await Tortoise.close_connections()
        redis.kill()
        if not args.keep:
            await drop_database()
    return verdict


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="minutes of load (default 10)")
    parser.add_argument("--teachers", type=int, default=300, help="teachers scanning per burst")
    parser.add_argument("--parents", type=int, default=60, help="families per kindergarten")
    parser.add_argument(
        "--settle", type=float, default=180, help="seconds to wait for messages to settle"
    )
    parser.add_argument("--keep", action="store_true", help="keep the soak's database afterwards")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
