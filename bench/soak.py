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
delivery rows; one whose answer was lost when the worker died mid-call ends 'unconfirmed'
with its reason, received at most once), the error rate and p99 per minute, and each
process's memory (RSS of its process tree) after warm-up and at the end; growth over 20 %
is a finding. It prints a verdict and exits 1 unless the soak is clean.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.soak_checks import report, settle  # noqa: E402
from bench.soak_load import (  # noqa: E402
    APPID,
    CERT_SECRET,
    DSN,
    KINDERGARTENS,
    SECRET,
    WX_SECRET,
    People,
    Soak,
    checkin_burst,
    console_login,
    console_round,
    drop_database,
    env_for,
    every,
    fresh_database,
    notice_round,
    seed,
    summary_round,
)
from tests.scale.procs import PrivateRedis, Proc, deployment, wait_http  # noqa: E402

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


async def next_publication(soak: Soak, within: float = 60) -> None:
    """Wait (up to `within` s) until another notice is published, and a moment more.

    A fault then falls on its fan-out: messages queued, claimed and being sent.
    """
    seen = len(soak.notices)
    deadline = soak.now() + within
    while len(soak.notices) == seen and soak.now() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)


async def faults(soak: Soak, minutes: float, http, people: People) -> None:
    """Redis restarted at 40 % (a notice published while it is away), a worker killed at 60 %."""
    total = minutes * 60
    await asyncio.sleep(max(0.0, total * 0.4 - soak.now()))
    await next_publication(soak)
    soak.event("Redis: SHUTDOWN SAVE (restart), a notice published meanwhile")
    await asyncio.to_thread(soak.redis.stop)
    # A director publishes while Redis is away; her client tries again as the console does.
    during = asyncio.create_task(notice_round(soak, http, people, 100))
    await asyncio.sleep(5)
    soak.redis.start()
    soak.event("Redis: started again")
    await during
    await asyncio.sleep(max(0.0, total * 0.6 - soak.now()))
    await next_publication(soak)
    soak.event("worker1: SIGKILL")
    await soak.procs["worker1"].kill()
    await asyncio.sleep(5)
    await soak.procs["worker1"].start()
    soak.restarted["worker1"] = soak.now()
    soak.event("worker1: started again")


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
    procs = deployment(env, logs, sandbox_port=sandbox_port, api_ports=api_ports)
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
                    faults(soak, args.minutes, http, people),
                )
            finally:
                await browser.close()
        soak.event("load stopped; waiting for every message to settle")
        for name, proc in procs.items():
            if proc.proc is None or proc.proc.returncode is not None:
                soak.unexpected_exits.append(
                    f"{name} exited ({proc.proc.returncode if proc.proc else 'never started'})"
                )
        left = await settle(soak, people, args.settle)
        soak.event(f"settled ({left} messages still missing, queued or sending)")
        verdict = await report(soak, people, args.minutes)
    finally:
        await asyncio.gather(*(p.stop() for p in procs.values()))
        await Tortoise.close_connections()
        redis.kill()
        if not args.keep:
            await drop_database()
    return verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="minutes of load (default 10)")
    parser.add_argument("--teachers", type=int, default=300, help="teachers scanning per burst")
    parser.add_argument("--parents", type=int, default=60, help="families per kindergarten")
    parser.add_argument(
        "--settle",
        type=float,
        default=720,
        help="at most this many seconds for messages to settle at the end (default 720: what "
        "a killed worker held is judged after delivery_stuck_seconds, 600, and a sweep)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the soak's database afterwards")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
