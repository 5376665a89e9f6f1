"""The soak's load: its record of calls, the seeded people, and each kind of work.

Used by bench/soak.py; see there.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg

from tests.scale.procs import PrivateRedis, Proc

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
        # Small send jobs: one notice's fan-out is shared by both workers.
        "SONGJIAO_DELIVERY_BATCH_SIZE": "4",
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
        # WeChat answers in 0.3 s: a fan-out is still being sent when a fault falls on it.
        slow = {"kind": "subscribe_send", "delay": 0.3}
        async with http.post(f"{sandbox}/sandbox/faults", json=slow) as resp:
            resp.raise_for_status()
    return People(
        region.id, [kg.id for kg in kgs], teachers, directors, leader, parents, len(openids)
    )


async def new_activity(kg_ids: list[int], n: int) -> tuple[int, str]:
    """An activity open now for every teacher of the kindergartens; (id, scene)."""
    from bench.stores import open_send_activity
    from server.activities.codes import static_scene
    from server.activities.models import ActivityAudience
    from server.common.time import now

    start = now() - timedelta(minutes=5)
    activity = await open_send_activity(title=f"耐久测试活动{n}", host_id=kg_ids[0], start=start)
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
