"""Fan-out of one notice to many parents through real workers, against the bare sandbox.

    .venv/bin/python bench/fanout.py [--parents 20000] [--workers 2] [--profile DIR]

PostgreSQL and Redis must run on 127.0.0.1. Starts the WeChat sandbox as its own process
(`songjiao sandbox`) and `--workers` real `songjiao worker` processes; seeds N parents, each
with an account (openid) and one accepted subscription for the notice template, granted in
the sandbox too. First measures the sandbox's own accept rate for N bare subscribe sends from
a plain aiohttp client at the same concurrency as the workers allow; then calls notify() for
all parents and polls the database until every delivery is settled. Prints deliveries/s, the
time to the last delivery, the bare rate and their ratio (target ≥ 0.8). Ends by counting the
subscribe messages the sandbox delivered to each parent and exits 1 unless every parent got
exactly one.

With `--profile DIR`, py-spy records every worker process (and its receiver child) during
the fan-out only, writes DIR/worker-N.txt (collapsed stacks) and prints where their time
went: the top frames by self time and the share of each part of a delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE = "songjiao_bench_fanout"
DSN = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
#: Set to a private redis-server of this run (bench/stores.py) before main() runs.
REDIS = ""
#: That redis-server's process id (its CPU is counted with the fan-out's).
REDIS_PID = 0
APPID, SECRET = "wx_bench_appid", "bench-wechat-secret"
#: Jobs one `songjiao worker` process runs at once (its receiver's max_async_tasks).
JOBS_PER_WORKER = 50
DATA = {
    "thing1": {"value": "家长开放日通知"},
    "time2": {"value": "2026年11月27日 09:00"},
    "thing3": {"value": "点击查看详情"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env(sandbox_url: str) -> dict:
    return {
        **os.environ,
        "SONGJIAO_ENV": "test",
        "SONGJIAO_JWT_SECRET": "bench-jwt-secret-0123456789abcdef0123456789",
        "SONGJIAO_CERTIFICATE_SECRET": "bench-certificate-secret-0123456789abcdef01",
        "SONGJIAO_WECHAT_APPID": APPID,
        "SONGJIAO_WECHAT_SECRET": SECRET,
        "SONGJIAO_WECHAT_TOKEN": "bench",
        "SONGJIAO_WECHAT_API_BASE": sandbox_url,
        "SONGJIAO_WECOM_API_BASE": sandbox_url,
        "SONGJIAO_DATABASE_URL": DSN,
        "SONGJIAO_REDIS_URL": REDIS,
        "SONGJIAO_DATA_DIR": "/tmp/sj-bench-fanout",
    }


def start(args: list[str], environ: dict) -> subprocess.Popen:
    # Own process group: `songjiao worker` runs its receiver in a child process.
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its children (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    for one in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


#: The application_name of this process's own connections (notify() and the polling).
BENCH_APP = "bench/fanout"


async def backend_cpu() -> dict[int, tuple[str, float]]:
    """Each PostgreSQL backend of the benchmark's database: (application, CPU seconds so far)."""
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        rows = await conn.fetch(
            "SELECT pid, application_name FROM pg_stat_activity WHERE datname = $1", DATABASE
        )
    finally:
        await conn.close()
    return {row["pid"]: (row["application_name"], cpu_seconds(row["pid"])) for row in rows}


def cpu_spent(before: dict, after: dict) -> float:
    """CPU seconds the workers' backends of `after` used since `before` (new ones: all of theirs).

    This process's own (notify() and the polling) are left out; they are closed by the
    time `after` is read anyway.
    """
    return sum(
        used - before.get(pid, ("", 0.0))[1]
        for pid, (app, used) in after.items()
        if app != BENCH_APP
    )


#: Where a sample's time is counted: the first of these met from the innermost frame out
#: (so JSON encoded for aiohttp counts as JSON). Matched against the frame's file path.
PARTS = (
    # The receiver's run_until_complete: uvloop's own work (epoll, sockets) in C below it.
    ("event loop (uvloop, in C)", ("start_listen (taskiq/cli/worker/run.py",)),
    ("logging", ("/logging/",)),
    ("metrics (server/metrics)", ("server/metrics/",)),
    ("JSON (json, orjson)", ("/json/", "orjson")),
    ("SQL driver (asyncpg)", ("asyncpg/",)),
    ("ORM (tortoise, pypika)", ("tortoise/", "pypika")),
    ("Redis client (redis-py)", ("redis/",)),
    ("HTTP client (aiohttp, yarl, multidict)", ("aiohttp/", "yarl/", "multidict/")),
    ("retries (tenacity)", ("tenacity/",)),
    ("job queue (taskiq, taskiq-redis)", ("taskiq",)),
    ("pydantic", ("pydantic",)),
    ("delivery code (server/delivery)", ("server/delivery/",)),
    ("WeChat client (server/wechat)", ("server/wechat/",)),
    ("other server code", ("server/",)),
    ("event loop (asyncio, uvloop)", ("asyncio/", "uvloop")),
)
#: Functions whose inclusive share is shown: the steps of one delivery batch.
STEPS = (
    ("send_deliveries", "delivery/", "a delivery job (send_deliveries)"),
    ("_claim", "delivery/", "  claim (UPDATE … RETURNING the rows)"),
    ("openids_of", "accounts/", "  openids (SELECT)"),
    ("oa_openids_of", "followers/", "  公众号 openids (SELECT)"),
    ("_plan", "delivery/", "  plan (template data)"),
    ("_reserve_units", "delivery/", "  reserve subscriptions and stamp the push (one UPDATE)"),
    ("deliver", "delivery/", "  the sends (retries, token, HTTP)"),
    ("get", "wechat/token_store", "    access token read"),
    ("_send", "wechat/client", "    HTTP request and answer"),
    ("_record", "delivery/", "  record outcomes (UPDATE)"),
    ("remember_sent", "delivery/", "  template msgids (Redis)"),
    ("update", "tortoise/queryset", "  every UPDATE built by the ORM"),
)


def _frames(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rstrip("\n").rpartition(" ")
    return stack.split(";"), int(count)


def _named(frame: str, func: str) -> bool:
    name = frame.split(" (", 1)[0]
    return name == func or name.endswith("." + func)


def summarize(paths: list[Path], deliveries: int) -> str:
    """Where the recorded workers' samples went: parts, steps and the top frames."""
    import collections

    parts: collections.Counter[str] = collections.Counter()
    steps: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for path in paths:
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            frames, count = _frames(line)
            total += count
            own[frames[-1]] += count
            for frame in reversed(frames):
                part = next((n for n, keys in PARTS if any(k in frame for k in keys)), None)
                if part is not None:
                    parts[part] += count
                    break
            else:
                parts["other"] += count
            for func, where, label in STEPS:
                if any(_named(f, func) and where in f for f in frames):
                    steps[label] += count
    if not total:
        return "profile: no samples"
    out = [f"profile: {total} samples of the workers' CPU ({total / deliveries:.2f} per delivery)"]
    out.append("by part (innermost frame that is one of them):")
    for name, n in parts.most_common():
        out.append(f"  {100 * n / total:5.1f} %  {name}")
    out.append("by step (inclusive):")
    for _, _, label in STEPS:
        out.append(f"  {100 * steps[label] / total:5.1f} %  {label}")
    out.append("top frames by own time:")
    for frame, n in own.most_common(15):
        out.append(f"  {100 * n / total:5.1f} %  {frame[:110]}")
    return "\n".join(out)


def start_profiles(workers: list[subprocess.Popen], folder: Path) -> list[subprocess.Popen]:
    """py-spy attached to each worker and its receiver child, collapsed stacks into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    spy = str(Path(sys.executable).parent / "py-spy")
    spies = []
    for i, proc in enumerate(workers):
        out = folder / f"worker-{i + 1}.txt"
        spies.append(
            subprocess.Popen(
                [spy, "record", "--pid", str(proc.pid), "--subprocesses", "--nonblocking"]
                + ["-r", "250", "-f", "raw", "-o", str(out)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return spies


def stop_profiles(spies: list[subprocess.Popen]) -> None:
    # py-spy writes its file on SIGINT.
    for spy in spies:
        spy.send_signal(signal.SIGINT)
    for spy in spies:
        spy.wait(timeout=60)


async def prepare_stores() -> None:
    import redis.asyncio as aioredis

    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    await conn.execute(f"CREATE DATABASE {DATABASE}")
    await conn.close()
    r = aioredis.from_url(REDIS)
    await r.flushdb()
    await r.aclose()


async def wait_workers(count: int) -> None:
    """Until `count` workers wait on the job stream: started, runtime open, listening.

    A fixed pause was not enough on a busy machine: the workers were still importing and
    connecting when the fan-out began, and their start-up was timed as fan-out. A consumer
    appears in XINFO only once it was served, so the clients blocked in XREADGROUP on this
    run's private Redis are counted instead.
    """
    import redis.asyncio as aioredis

    r = aioredis.from_url(REDIS)
    try:
        for _ in range(1200):
            clients = await r.client_list()
            if sum(c.get("cmd") == "xreadgroup" for c in clients) >= count:
                return
            await asyncio.sleep(0.1)
    finally:
        await r.aclose()
    raise SystemExit(f"{count} workers did not start listening within 120 s")


async def redis_commands(*, reset: bool = False) -> dict[str, int]:
    """Commands this run's Redis served since the last reset, by name (most first)."""
    import redis.asyncio as aioredis

    r = aioredis.from_url(REDIS)
    try:
        stats = await r.info("commandstats")
        if reset:
            await r.config_resetstat()
    finally:
        await r.aclose()
    calls = {k.removeprefix("cmdstat_"): v["calls"] for k, v in stats.items()}
    return dict(sorted(calls.items(), key=lambda kv: -kv[1]))


async def wait_ready(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                await http.get(url)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise SystemExit(f"server at {url} did not start")


async def seed(n: int, sandbox_url: str, template_id: str) -> tuple[list[int], list[str]]:
    """N parents with an account and one subscription, here and in the sandbox."""
    from server.accounts.models import Account
    from server.delivery.models import SubscriptionQuota
    from server.orgs.models import Person

    await Person.bulk_create([Person(name=f"家长{i}") for i in range(n)], batch_size=2000)
    people = list(await Person.all().order_by("id").values_list("id", flat=True))
    openids = [f"obench{pid:08d}" for pid in people]
    await Account.bulk_create(
        [Account(openid=o, person_id=p) for p, o in zip(people, openids, strict=True)],
        batch_size=2000,
    )
    await SubscriptionQuota.bulk_create(
        [SubscriptionQuota(person_id=p, template_id=template_id, remaining=1) for p in people],
        batch_size=2000,
    )
    await grant(sandbox_url, openids, template_id)
    await as_deployed()
    return people, openids


async def as_deployed() -> None:
    """The database as a deployed one is when a notice goes out: every parent's earlier
    message sent, and the tables analysed (autovacuum does it within a minute of the
    seeding; the bench would start before). The statistics then say what a real fan-out's
    planner believes: nearly every delivery is `sent` and hardly any `queued`. Without
    them, the claims' plans in this bench were not the plans of a real fan-out."""
    from tortoise import connections

    conn = connections.get("default")
    await conn.execute_script(
        'INSERT INTO "delivery" ("key", "kind", "title", "body", "fields", "page", "status", '
        '"channel", "attempts", "created_at", "enqueued_at", "claimed_at", "push_started_at", '
        '"sent_at", "person_id") '
        "SELECT 'notice:earlier', 'notice', '开学通知', '新学期开学通知', '{}'::jsonb, NULL, "
        "'sent', 'subscribe', 1, now() - interval '7 days', now() - interval '7 days', "
        "now() - interval '7 days', now() - interval '7 days', now() - interval '7 days', id "
        'FROM "person"; ANALYZE'
    )


async def grant(sandbox_url: str, openids: list[str], template_id: str) -> None:
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=60) as http:
        for start_at in range(0, len(openids), 5000):
            chunk = openids[start_at : start_at + 5000]
            body = {"openids": chunk, "template_id": template_id, "count": 1}
            resp = await http.post("/sandbox/subscriptions/bulk", json=body)
            resp.raise_for_status()


async def bare_sends(
    sandbox_url: str, template_id: str, n: int, concurrency: int
) -> tuple[float, float]:
    """Subscribe sends straight to the sandbox at `concurrency`: (accepted sends per second,
    this process's CPU seconds for them). The CPU is the client's side of the baseline."""
    openids = [f"obare{i:08d}" for i in range(n)]
    await grant(sandbox_url, openids, template_id)
    async with httpx.AsyncClient(base_url=sandbox_url) as http:
        resp = await http.post(
            "/cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": APPID, "secret": SECRET},
        )
        token = resp.json()["access_token"]
    queue: asyncio.Queue[str] = asyncio.Queue()
    for openid in openids:
        queue.put_nowait(openid)
    accepted = 0
    url = f"{sandbox_url}/cgi-bin/message/subscribe/send?access_token={token}"
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            nonlocal accepted
            while not queue.empty():
                openid = queue.get_nowait()
                body = {"touser": openid, "template_id": template_id, "data": DATA}
                async with http.post(url, json=body) as resp:
                    accepted += (await resp.json()).get("errcode") == 0

        started, cpu_before = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, client_cpu = time.perf_counter() - started, time.process_time() - cpu_before
    if accepted != n:
        raise SystemExit(f"the sandbox accepted only {accepted} of {n} bare sends")
    return n / elapsed, client_cpu


async def fan_out(settings, people: list[int]) -> tuple[float, float, float, float]:
    """notify() for everyone: (seconds in notify, this process's CPU seconds in it, seconds
    to the last delivery, rate)."""
    from server.common.miniprogram_pages import NOTICE
    from server.db import POSTGRES_SESSION_SETTINGS
    from server.delivery.models import Delivery, DeliveryStatus
    from server.delivery.service import notify
    from server.jobs.broker import build_broker
    from server.lifecycle import close_runtime, open_runtime

    # Told apart from the workers' connections in pg_stat_activity (this process only).
    POSTGRES_SESSION_SETTINGS["application_name"] = BENCH_APP
    broker = build_broker(settings)
    await broker.startup()
    runtime = await open_runtime(settings, broker=broker)
    try:
        started, cpu_before = time.time(), time.process_time()
        result = await notify(
            person_ids=people,
            kind="notice",
            key="notice:bench",
            title="家长开放日通知",
            body="本周五上午九点，欢迎家长来园参加开放日。",
            fields={"time": "2026-11-27T09:00:00+08:00"},
            page=NOTICE.link(id=1),
        )
        notified, notify_cpu = time.time() - started, time.process_time() - cpu_before
        assert result.created == len(people), result
        unsettled = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
        deadline = time.time() + 600
        while await Delivery.filter(key="notice:bench", status__in=unsettled).exists():
            if time.time() > deadline:
                raise SystemExit("deliveries still unsettled after 10 minutes")
            await asyncio.sleep(0.2)
        rows = await Delivery.filter(key="notice:bench").order_by("-sent_at").limit(1)
        last = rows[0].sent_at.timestamp() - started
    finally:
        await broker.shutdown()
        await close_runtime(runtime)
    return notified, notify_cpu, last, len(people) / last


async def check(sandbox_url: str, openids: list[str]) -> list[str]:
    """Problems found: parents without exactly one message, deliveries not sent."""
    from tortoise.functions import Count

    from server.delivery.models import Delivery

    problems = []
    rows = (
        await Delivery.filter(key="notice:bench")
        .annotate(n=Count("id"))
        .group_by("status", "channel")
        .values_list("status", "channel", "n")
    )
    outcome = {f"{status}/{channel}": n for status, channel, n in rows}
    if outcome != {"sent/subscribe": len(openids)}:
        problems.append(f"deliveries: {outcome}")
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=60) as http:
        resp = await http.get("/sandbox/delivered", params={"kind": "subscribe_send"})
    counts = resp.json()["counts"]
    missing = [o for o in openids if counts.get(o, 0) == 0]
    doubled = [o for o in openids if counts.get(o, 0) > 1]
    if missing or doubled:
        problems.append(f"{len(missing)} parents got nothing, {len(doubled)} got more than one")
    return problems


async def main(args: argparse.Namespace) -> int:
    from tortoise import Tortoise

    from server.db import tortoise_config
    from server.delivery.templates import template_for
    from server.settings import load_settings

    if args.in_flight:
        # Workers and this process read it from the environment like any setting.
        os.environ["SONGJIAO_DELIVERY_MAX_IN_FLIGHT"] = str(args.in_flight)
    await prepare_stores()
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    environ = env(sandbox_url)
    settings = load_settings(
        database_url=DSN, redis_url=REDIS, wechat_api_base=sandbox_url, wecom_api_base=sandbox_url
    )
    template_id = template_for(settings, "notice").subscribe_id
    migrate = subprocess.run(
        [sys.executable, "-m", "server.cli", "migrate"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
    )
    if migrate.returncode:
        print(migrate.stderr)
        return 1
    await Tortoise.init(config=tortoise_config(settings, with_aerich=False))
    # Tables whose migration is not written yet are made here (a no-op once it is).
    await Tortoise.generate_schemas(safe=True)
    sandbox = start(["sandbox", "--port", str(sandbox_port)], environ)
    workers: list[subprocess.Popen] = []
    try:
        await wait_ready(f"{sandbox_url}/sandbox/stats")
        people, openids = await seed(args.parents, sandbox_url, template_id)
        await Tortoise.close_connections()
        concurrency = args.workers * min(
            JOBS_PER_WORKER * settings.delivery_batch_concurrency,
            settings.delivery_max_in_flight,
        )
        bare_before = cpu_seconds(sandbox.pid)
        bare_rate, client_cpu = await bare_sends(
            sandbox_url, template_id, args.parents, concurrency
        )
        bare_cpu = cpu_seconds(sandbox.pid) - bare_before
        workers = [start(["worker"], environ) for _ in range(args.workers)]
        await wait_workers(args.workers)
        spies = start_profiles(workers, Path(args.profile)) if args.profile else []
        if spies:
            await asyncio.sleep(1)  # py-spy attaches
        before = sum(cpu_seconds(p.pid) for p in workers)
        sandbox_before = cpu_seconds(sandbox.pid)
        stores_before = await backend_cpu()
        redis_before = cpu_seconds(REDIS_PID)
        await redis_commands(reset=True)
        notified, notify_cpu, last, rate = await fan_out(settings, people)
        worker_cpu = sum(cpu_seconds(p.pid) for p in workers) - before
        sandbox_cpu = cpu_seconds(sandbox.pid) - sandbox_before
        # The workers' connections (this process's own are closed by now).
        pg_cpu = cpu_spent(stores_before, await backend_cpu())
        redis_cpu = cpu_seconds(REDIS_PID) - redis_before
        commands = await redis_commands()
        stop_profiles(spies)
        await Tortoise.init(config=tortoise_config(settings, with_aerich=False))
        problems = await check(sandbox_url, openids)
        await Tortoise.close_connections()
    finally:
        for proc in workers:
            stop(proc)
        stop(sandbox)
    print(
        f"parents={args.parents} workers={args.workers} concurrency={concurrency} "
        f"(in flight per worker {settings.delivery_max_in_flight}) cores={os.cpu_count()}"
    )
    print(f"bare sandbox : {bare_rate:8.1f} accepted subscribe sends/s")
    print(
        f"fan-out      : {rate:8.1f} deliveries/s  last delivery after {last:6.1f} s "
        f"(notify() itself {notified:4.1f} s, {1000 * notify_cpu / args.parents:.2f} ms "
        "of its process's CPU per delivery)"
    )
    print(
        f"workers' CPU per delivery: {1000 * worker_cpu / args.parents:.2f} ms "
        f"(sandbox's: {1000 * sandbox_cpu / args.parents:.2f} ms; "
        f"in the bare run {1000 * bare_cpu / args.parents:.2f} ms, "
        f"and the bare run's client {1000 * client_cpu / args.parents:.2f} ms)"
    )
    print(
        f"PostgreSQL's CPU per delivery: {1000 * pg_cpu / args.parents:.2f} ms (the workers' "
        f"connections); Redis's: {1000 * redis_cpu / args.parents:.2f} ms"
    )
    top = ", ".join(f"{name} {calls}" for name, calls in list(commands.items())[:8])
    print(f"redis commands in the fan-out: {sum(commands.values())} ({top})")
    print(f"ratio (fan-out / bare): {rate / bare_rate:.3f}  (target ≥ 0.8)")
    if args.profile:
        print(summarize(sorted(Path(args.profile).glob("worker-*.txt")), args.parents))
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("OK: every parent got exactly one message")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parents", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--in-flight",
        type=int,
        default=0,
        help="WeChat calls in flight per worker (default: delivery_max_in_flight)",
    )
    parser.add_argument(
        "--profile", help="record the workers with py-spy during the fan-out into this folder"
    )
    arguments = parser.parse_args()
    from bench.stores import start_redis, stop_redis

    REDIS, redis_server = start_redis()
    REDIS_PID = redis_server.pid
    try:
        sys.exit(asyncio.run(main(arguments)))
    finally:
        stop_redis(redis_server)
