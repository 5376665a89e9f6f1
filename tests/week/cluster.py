"""The week's deployment: sandbox, api, worker and scheduler as real processes on one clock.

On the services run they are separate processes on PostgreSQL and Redis, as in production;
on the embedded run the api alone does everything (SQLite, the in-process Redis, jobs and
cron inside it), as `bash scripts/run.sh` does. Either way the database is the week's own,
made by `songjiao migrate` and `songjiao demo --no-history` on the fake clock: the demo
county in its first week of use.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import redis.asyncio as aioredis

from tests.scale.procs import ROOT, Proc, wait_http
from tests.support import backends
from tests.support.http import http_client
from tests.support.processes import process_env
from tests.support.servers import free_port
from tests.week.clock import FakeClock

WEEK_DATABASE = "songjiao_week" + (f"_{backends.TEST_SLOT}" if backends.TEST_SLOT else "")


@dataclass
class Week:
    """The running deployment of the week and how to reach it."""

    clock: FakeClock
    api: str
    sandbox: str
    procs: dict[str, Proc]
    env: dict[str, str]
    services: bool
    sqlite_path: Path | None = None
    logs: Path = field(default_factory=Path)

    async def rows(self, sql: str) -> list[dict]:
        """Rows of a plain SQL query on the week's database: the independent count.

        The query names tables and columns directly; ids are put in by the caller as
        integers, never text.
        """
        if self.services:
            conn = await asyncpg.connect(_dsn(WEEK_DATABASE))
            try:
                return [dict(r) for r in await conn.fetch(sql)]
            finally:
                await conn.close()
        con = sqlite3.connect(self.sqlite_path)
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute(sql).fetchall()]
        finally:
            con.close()

    async def one(self, sql: str):
        """The single value of a one-row, one-column query."""
        rows = await self.rows(sql)
        assert len(rows) == 1, rows
        return next(iter(rows[0].values()))

    async def stop(self) -> None:
        await asyncio.gather(*(proc.stop() for proc in self.procs.values()))

    def output(self) -> str:
        """Every process's last output, for a failing assertion's message."""
        return "\n".join(
            f"--- {name}\n{proc.output()[-3000:]}" for name, proc in self.procs.items()
        )


def _dsn(database: str) -> str:
    return f"postgresql://postgres@{backends.PG_HOST}:{backends.PG_PORT}/{database}"


async def _fresh_postgres() -> str:
    admin = await asyncpg.connect(backends.ADMIN_DSN.replace("postgres://", "postgresql://"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{WEEK_DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{WEEK_DATABASE}"')
    finally:
        await admin.close()
    return _dsn(WEEK_DATABASE).replace("postgresql://", "postgres://")


def _run(args: list[str], env: dict[str, str], log: Path) -> None:
    """Run a one-off `songjiao` command on the fake clock; its failure fails the test."""
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log.write_text(done.stdout + done.stderr)
    assert done.returncode == 0, f"songjiao {' '.join(args)} failed:\n{done.stdout}{done.stderr}"


async def start_week(settings, tmp: Path, clock: FakeClock) -> Week:
    """Prepare the week's database on the fake clock and start every process."""
    services = backends.backend() == "services"
    api_port, sandbox_port = free_port(), free_port()
    api, sandbox = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sandbox_port}"
    data = tmp / "data"
    data.mkdir()
    if services:
        database_url = await _fresh_postgres()
        redis_url = backends.redis_url(13)
        scratch = aioredis.from_url(redis_url)
        await scratch.flushdb()
        await scratch.aclose()
    else:
        database_url = redis_url = ""  # SQLite in the data folder, the in-process Redis
    env = {
        **process_env(
            settings,
            redis_url=redis_url,
            SONGJIAO_DATABASE_URL=database_url,
            SONGJIAO_DATA_DIR=str(data),
            SONGJIAO_WECHAT_API_BASE=sandbox,
            SONGJIAO_WECOM_API_BASE=sandbox,
            SONGJIAO_PUBLIC_BASE_URL=api,
            SONGJIAO_PORT=str(api_port),
            SONGJIAO_HOST="127.0.0.1",
        ),
        **clock.env(),
    }
    logs = tmp / "logs"
    logs.mkdir()
    _run(["migrate"], env, logs / "migrate.log")
    _run(["demo", "--no-history"], env, logs / "demo.log")
    callback = f"{api}/wechat/callback"
    procs = {
        "sandbox": Proc(
            "sandbox",
            ["sandbox", "--port", str(sandbox_port), "--callback-url", callback],
            env,
            logs / "sandbox.log",
        ),
        "api": Proc("api", ["serve", "--no-migrate"], env, logs / "api.log"),
    }
    if services:
        procs["worker"] = Proc("worker", ["worker"], env, logs / "worker.log")
        procs["scheduler"] = Proc("scheduler", ["scheduler"], env, logs / "scheduler.log")
    week = Week(
        clock=clock,
        api=api,
        sandbox=sandbox,
        procs=procs,
        env=env,
        services=services,
        sqlite_path=None if services else _sqlite_file(data),
        logs=logs,
    )
    for proc in procs.values():
        await proc.start()
    try:
        await wait_http(sandbox + "/sandbox/stats")
        await wait_http(api + "/healthz")
    except AssertionError:
        await week.stop()
        raise AssertionError("the week's processes did not start:\n" + week.output()) from None
    # The county's mini-program and 公众号 are bound to one 微信开放平台 account, as
    # docs/deploy.md asks: logins and follows carry the unionid that links them.
    async with http_client(base_url=sandbox, timeout=30) as wx:
        resp = await wx.post("/sandbox/open_platform", json={"bound": True})
        assert resp.status_code == 200, resp.text
    return week


def _sqlite_file(data: Path) -> Path:
    found = sorted(data.glob("*.db")) + sorted(data.glob("*.sqlite3"))
    assert found, f"no SQLite database in {data}: {list(data.iterdir())}"
    return found[0]
