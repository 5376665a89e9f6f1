"""Every process stops within 10 s of SIGTERM or SIGINT: its in-flight work done, no child left.

Issue 18: `songjiao serve` spun for ever when the stop came before Sanic's manager had read
its worker's "ready" (its manager child left running), and systemd killed it after 90 s,
cutting what was in flight. A signal goes to the main process alone (systemd's
KillMode=mixed, docker stop) or to the whole process group (Ctrl-C in a terminal).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import time
import types
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from server.common.runtime import current, install
from server.delivery.models import Delivery, DeliveryStatus, GroupMessage
from server.delivery.service import notify_group
from server.jobs.broker import build_broker
from server.settings import load_settings
from tests.delivery.helpers import seed_parents
from tests.scale import helpers as scale_helpers
from tests.scale.procs import Proc, wait_http
from tests.support import backends
from tests.support.http import http_client
from tests.support.processes import process_env
from tests.support.servers import free_port

#: What systemd and docker are told to allow (TimeoutStopSec, stop_grace_period).
STOP_WITHIN_S = 10.0
#: How long the sandbox holds the WeChat answer that a request or job is waiting for.
SLOW_S = 3.0

services_only = pytest.mark.services


def session_processes(leader: int) -> list[tuple[int, str]]:
    """The live processes (pid, command) of the session that `leader` started.

    The commands start with `start_new_session`: every process they spawn shares the
    session id, even one whose parent has gone and that was handed to init.
    """
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        state, _, _, sid = text[text.rindex(")") + 2 :].split()[:4]
        if int(sid) == leader and state not in ("Z", "X"):
            found.append((int(stat.parent.name), cmdline.replace(b"\0", b" ").decode()[:160]))
    return found


async def stop_and_check(proc: Proc, sig: signal.Signals, *, group: bool) -> int:
    """Send `sig`; the process and each child it had must be gone within STOP_WITHIN_S.

    Returns the exit code of the main process.
    """
    assert proc.proc is not None
    leader = proc.proc.pid
    before = session_processes(leader)
    assert any(pid == leader for pid, _ in before), proc.output()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STOP_WITHIN_S
    if group:
        os.killpg(leader, sig)  # a terminal's Ctrl-C reaches every process of the group
    else:
        os.kill(leader, sig)
    try:
        code = await asyncio.wait_for(proc.proc.wait(), STOP_WITHIN_S)
    except TimeoutError:
        raise AssertionError(
            f"{proc.name} still runs {STOP_WITHIN_S:.0f} s after {sig.name}; its processes: "
            f"{session_processes(leader)}\n{proc.output()}"
        ) from None
    # A child may end a moment after its parent (the resource tracker reads an EOF).
    left = session_processes(leader)
    while left and loop.time() < deadline:
        await asyncio.sleep(0.05)
        left = session_processes(leader)
    assert left == [], f"{proc.name} left {left} behind (it had {before})\n{proc.output()}"
    return code


async def _cleanup(proc: Proc) -> None:
    """Whatever a failed test left of the process group goes (SIGKILL)."""
    if proc.proc is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.proc.pid, signal.SIGKILL)
    await proc.proc.wait()


def _api_env(settings, tmp_path: Path, **extra: str) -> dict[str, str]:
    if backends.backend() == "services":
        # The test database; its own Redis database, so the test's job receiver takes nothing.
        return process_env(settings, redis_url=backends.redis_url(13), **extra)
    # Its own SQLite file and in-process Redis, migrated by `serve` itself.
    return process_env(
        settings, redis_url="", SONGJIAO_DATA_DIR=str(tmp_path), SONGJIAO_DATABASE_URL="", **extra
    )


async def _start_api(settings, tmp_path: Path, **extra: str) -> tuple[Proc, str]:
    port = free_port()
    args = ["serve", "--no-migrate"] if backends.backend() == "services" else ["serve"]
    env = _api_env(settings, tmp_path, SONGJIAO_PORT=str(port), **extra)
    proc = await Proc("api", args, env, tmp_path / "api.log").start()
    return proc, f"http://127.0.0.1:{port}"


def _workers() -> str:
    # The embedded default runs one process; on the services the manager runs two.
    return "2" if backends.backend() == "services" else "1"


async def _ready(proc: Proc, url: str) -> None:
    try:
        await wait_http(url, within=120)
    except AssertionError:
        raise AssertionError(proc.output()) from None


async def _calls(sandbox_client: httpx.AsyncClient, kind: str) -> int:
    return (await sandbox_client.get("/sandbox/stats")).json()["calls"].get(kind, 0)


async def _until(check, *, what: str, within: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"never: {what}"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    ("sig", "group"), [(signal.SIGTERM, False), (signal.SIGINT, True)], ids=["sigterm", "ctrl-c"]
)
async def test_api_answers_the_request_in_flight_then_exits_leaving_no_process(
    api, sandbox_client, tmp_path, sig, group
):
    proc, base = await _start_api(
        api.app.ctx.runtime.settings, tmp_path, SONGJIAO_WORKERS=_workers()
    )
    try:
        await _ready(proc, f"{base}/healthz")
        # WeChat takes SLOW_S to answer the login's jscode2session: the request is in flight.
        fault = {"kind": "jscode2session", "delay": SLOW_S, "times": 1}
        assert (await sandbox_client.post("/sandbox/faults", json=fault)).status_code == 200
        before = await _calls(sandbox_client, "jscode2session")
        async with http_client(base_url=base, timeout=30) as http:
            login = asyncio.create_task(
                http.post("/api/v1/auth/login", json={"code": "stop-in-flight"})
            )
            await _until(
                lambda: _calls_above(sandbox_client, "jscode2session", before),
                what="the login reached WeChat",
            )
            code = await stop_and_check(proc, sig, group=group)
            answer = await login
        assert answer.status_code == 200, answer.text
        assert answer.json()["access_token"]
        assert code == 0, proc.output()
    finally:
        await _cleanup(proc)


async def _calls_above(sandbox_client, kind: str, before: int) -> bool:
    return await _calls(sandbox_client, kind) > before


async def test_api_stopped_while_its_worker_starts_exits_leaving_no_process(api, tmp_path):
    # The stop reaches Sanic's manager before its worker is ready (a start that is taking
    # long, then a Ctrl-C or a systemd restart): the manager used to wait for that "ready"
    # for ever.
    proc, _ = await _api_started_until(api.app.ctx.runtime.settings, tmp_path, "Starting worker")
    try:
        code = await stop_and_check(proc, signal.SIGTERM, group=False)
        assert code == 0, proc.output()
        assert "Server Stopped" in proc.output()
    finally:
        await _cleanup(proc)


class _StartingWorker:
    """What the stop needs of a Sanic app in a worker: its serving flag, and a stop that
    stops the running loop as Sanic's app.stop does."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.state = types.SimpleNamespace(is_running=False)
        self.stops = 0
        self._loop = loop

    def stop(self, terminate: bool = True) -> None:
        self.stops += 1
        self._loop.stop()


async def _listener_that_awaits_after_the_signal(sig: signal.Signals) -> None:
    os.kill(os.getpid(), sig)
    await asyncio.sleep(0.3)  # the signal is handled while the listeners still run


async def _listener_that_ends_with_the_signal(sig: signal.Signals) -> None:
    # gc.collect() in _tune_gc: the signal comes during a long step that ends the listeners,
    # and is handled in the loop's run that returns with them.
    os.kill(os.getpid(), sig)
    time.sleep(0.3)  # noqa: ASYNC251 - a blocking step, as gc.collect() is


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
@pytest.mark.parametrize(
    "listener",
    [_listener_that_awaits_after_the_signal, _listener_that_ends_with_the_signal],
    ids=["awaiting", "ending"],
)
def test_a_stop_that_comes_while_the_worker_runs_its_start_listeners_stops_it_once_serving(
    sig, listener
):
    # CI on a busy host: Sanic's manager passed the stop on while a worker was still in its
    # after_server_start listeners. The loop stopped the run of those listeners only; the
    # worker then logged "Worker ready" and served for ever.
    import uvloop

    from server.stopping import _stop_on_first_signal

    loop = uvloop.new_event_loop()
    app = _StartingWorker(loop)
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        loop.run_until_complete(_stop_on_first_signal(app))
        loop.run_until_complete(listener(sig))
        assert app.stops == 0  # nothing stopped before the worker serves
        app.state.is_running = True  # Sanic, just before run_forever
        never_stopped = loop.call_later(STOP_WITHIN_S, loop.stop)
        loop.run_forever()
        assert loop.time() < never_stopped.when(), "the worker served on after the stop"
        assert app.stops == 1
        never_stopped.cancel()
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        loop.close()


async def _api_started_until(settings, tmp_path: Path, line: str) -> tuple[Proc, str]:
    """An api process, once its log shows `line`."""
    proc, base = await _start_api(settings, tmp_path, SONGJIAO_WORKERS=_workers())
    deadline = asyncio.get_running_loop().time() + 120
    while line not in proc.output():
        assert proc.proc.returncode is None, proc.output()
        assert asyncio.get_running_loop().time() < deadline, proc.output()
        await asyncio.sleep(0.02)
    return proc, base


@pytest.mark.parametrize(
    ("sig", "group"), [(signal.SIGTERM, False), (signal.SIGINT, True)], ids=["sigterm", "ctrl-c"]
)
async def test_sandbox_answers_the_request_in_flight_then_exits(settings, tmp_path, sig, group):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SONGJIAO_DATA_DIR": str(tmp_path)}
    proc = await Proc("sandbox", ["sandbox", "--port", str(port)], env, tmp_path / "sb").start()
    try:
        await _ready(proc, f"{base}/sandbox/stats")
        async with http_client(base_url=base, timeout=30) as http:
            fault = {"kind": "jscode2session", "delay": SLOW_S, "times": 1}
            assert (await http.post("/sandbox/faults", json=fault)).status_code == 200
            session = asyncio.create_task(
                http.get(
                    "/sns/jscode2session",
                    params={
                        "appid": "wx_sandbox_appid",
                        "secret": "dev-only-wechat-secret",
                        "js_code": "stop-in-flight",
                        "grant_type": "authorization_code",
                    },
                )
            )
            await _until(
                lambda: _calls_above(http, "jscode2session", 0), what="the call reached it"
            )
            code = await stop_and_check(proc, sig, group=group)
            answer = await session
        assert answer.status_code == 200 and answer.json()["openid"], answer.text
        assert code == 0, proc.output()
    finally:
        await _cleanup(proc)


@services_only
@pytest.mark.parametrize(
    ("sig", "group"), [(signal.SIGTERM, False), (signal.SIGINT, True)], ids=["sigterm", "ctrl-c"]
)
async def test_worker_finishes_the_job_in_flight_then_exits_leaving_no_process(
    api, sandbox_client, tmp_path, sig, group
):
    redis_url = backends.redis_url(13)  # the test's own job receiver does not read it
    scratch = aioredis.from_url(redis_url)
    await scratch.flushdb()
    await scratch.aclose()
    env = process_env(api.app.ctx.runtime.settings, redis_url=redis_url)
    proc = await Proc("worker", ["worker"], env, tmp_path / "worker.log").start()
    broker = build_broker(load_settings(redis_url=redis_url, database_url="x"))
    await broker.startup()
    try:
        await _until(lambda: _contains(proc, "Listening started"), what="the worker listens")
        people, openids = await seed_parents(sandbox_client, 1, "stop")
        fault = {"kind": "subscribe_send", "delay": SLOW_S, "times": 1}
        assert (await sandbox_client.post("/sandbox/faults", json=fault)).status_code == 200
        await scale_helpers.fan_out(broker, people, "notice:stop")
        await _until(
            lambda: _calls_above(sandbox_client, "subscribe_send", 0),
            what="the worker's send reached WeChat",
        )
        code = await stop_and_check(proc, sig, group=group)
        [row] = await Delivery.filter(key="notice:stop")
        assert row.status == DeliveryStatus.SENT, (row.status, row.last_error, proc.output())
        assert await scale_helpers.delivered_counts(sandbox_client) == {openids[0]: 1}
        assert await scale_helpers.pending_jobs(redis_url) == 0  # acknowledged, not left
        assert code == 0, proc.output()
    finally:
        await broker.shutdown()
        await _cleanup(proc)


@services_only
async def test_worker_cuts_a_job_waiting_beyond_its_grace_and_leaves_it_queued(
    api, sandbox_client, tmp_path
):
    # A group message over the WeCom robot's limit waits for the next minute inside its
    # job: the stop does not wait a minute, it cuts the job, which stays unacknowledged in
    # the queue (another worker takes it) and its message QUEUED (the sweeper sends it).
    redis_url = backends.redis_url(13)
    scratch = aioredis.from_url(redis_url)
    await scratch.flushdb()
    await scratch.aclose()
    env = process_env(api.app.ctx.runtime.settings, redis_url=redis_url)
    proc = await Proc("worker", ["worker"], env, tmp_path / "worker.log").start()
    broker = build_broker(load_settings(redis_url=redis_url, database_url="x"))
    await broker.startup()
    own = current()
    try:
        await _until(lambda: _contains(proc, "Listening started"), what="the worker listens")
        fault = {"kind": "wecom_send", "errcode": 45009, "times": 1}
        assert (await sandbox_client.post("/sandbox/faults", json=fault)).status_code == 200
        install(dataclasses.replace(own, broker=broker))  # queued for the worker process
        try:
            assert await notify_group(
                group="leaders", kind="summary", key="stop:group", markdown="本周"
            )
        finally:
            install(own)
        await _until(
            lambda: GroupMessage.filter(last_error__contains="每分钟最多发送 20 条").exists(),
            what="the job began to wait for the robot's next minute",
        )
        code = await stop_and_check(proc, signal.SIGTERM, group=False)
        [row] = await GroupMessage.all()
        assert row.status == DeliveryStatus.QUEUED
        assert await scale_helpers.pending_jobs(redis_url) == 1, proc.output()  # for another worker
        assert "cut short" in proc.output()
        assert code == 0, proc.output()
    finally:
        await broker.shutdown()
        await _cleanup(proc)


async def _contains(proc: Proc, text: str) -> bool:
    assert proc.proc.returncode is None, proc.output()
    return text in proc.output()


@services_only
@pytest.mark.parametrize(
    ("sig", "group"), [(signal.SIGTERM, False), (signal.SIGINT, True)], ids=["sigterm", "ctrl-c"]
)
async def test_scheduler_shuts_down_then_exits(settings, tmp_path, sig, group):
    env = process_env(settings, redis_url=backends.redis_url(13))
    proc = await Proc("scheduler", ["scheduler"], env, tmp_path / "sch.log").start()
    try:
        await _until(lambda: _contains(proc, "Startup completed"), what="the scheduler runs")
        code = await stop_and_check(proc, sig, group=group)
        assert "Scheduler shut down" in proc.output()
        assert code == 0, proc.output()
    finally:
        await _cleanup(proc)
