"""The scale tests' cluster: every process of a deployment, started once for the package."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis

from server.jobs.broker import build_broker
from server.settings import load_settings
from tests.scale.procs import Proc, deployment, wait_http
from tests.support import backends
from tests.support.http import http_client
from tests.support.processes import process_env
from tests.support.servers import free_port
from tests.support.state import clear_redis


@dataclass
class Cluster:
    """The running processes and how to reach them."""

    apis: list[str]
    sandbox: str
    redis_url: str
    procs: dict[str, Proc]
    broker: object

    async def start(self) -> None:
        """Start every process that is not running, and wait until the servers answer."""
        for proc in self.procs.values():
            if proc.proc is None or proc.proc.returncode is not None:
                await proc.start()
        for url in (self.sandbox + "/sandbox/stats", *(a + "/healthz" for a in self.apis)):
            await wait_http(url)

    async def stop(self, *names: str) -> None:
        """Stop the processes named (every one if none is), then empty their job queue.

        A stopped one is left as it is. The queue's stream and consumer group are made
        anew: nothing queued or taken and not acknowledged survives into the next test.
        """
        chosen = [self.procs[name] for name in names] if names else list(self.procs.values())
        await asyncio.gather(*(proc.stop() for proc in chosen))
        redis = aioredis.from_url(self.redis_url)
        try:
            await clear_redis(redis, keep_queue=False)
            await redis.xgroup_create(
                self.broker.queue_name, self.broker.consumer_group_name, id="0", mkstream=True
            )
        finally:
            await redis.aclose()


#: The package's cluster once a test started it.
_STARTED = pytest.StashKey[Cluster]()


@pytest.fixture(scope="package")
async def cluster(request, settings, api, tmp_path_factory):
    # Its own Redis database: the test process's own job receiver must not take these jobs.
    redis_url = backends.redis_url(13)
    scratch = aioredis.from_url(redis_url)
    await scratch.flushdb()
    await scratch.aclose()
    logs = tmp_path_factory.mktemp("scale-logs")
    sandbox_port, *api_ports = free_port(), free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    env = process_env(
        settings,
        redis_url=redis_url,
        SONGJIAO_WECHAT_API_BASE=sandbox_url,
        SONGJIAO_WECOM_API_BASE=sandbox_url,
        # Small batches, so one fan-out is shared by both workers.
        SONGJIAO_DELIVERY_BATCH_SIZE="4",
        # Two tries a message: injected faults make dead letters as well as sends.
        SONGJIAO_DELIVERY_MAX_ATTEMPTS="2",
        SONGJIAO_DELIVERY_RETRY_BASE="0.2",
    )
    procs = deployment(env, logs, sandbox_port=sandbox_port, api_ports=api_ports)
    broker = build_broker(load_settings(redis_url=redis_url, database_url="x"))
    apis = [f"http://127.0.0.1:{port}" for port in api_ports]
    started = Cluster(
        apis=apis, sandbox=sandbox_url, redis_url=redis_url, procs=procs, broker=broker
    )
    request.session.stash[_STARTED] = started
    try:
        await started.start()
        await broker.startup()
        yield started
    finally:
        del request.session.stash[_STARTED]
        await broker.shutdown()
        await started.stop()


@pytest.fixture(autouse=True)
async def _clean_state(_no_cluster_unless_used, _clean_state):
    """The reset of tests/conftest.py, after the cluster is stopped for a test without it."""
    yield


#: The cluster's processes that work on their own (jobs, cron), not only when asked.
WORKING = ("worker0", "worker1", "scheduler")


@pytest.fixture
async def _no_cluster_unless_used(request):
    """A test that does not use the cluster runs with none of its processes alive.

    They share the test database: the scheduler's sweep every minute would queue this
    test's messages for the cluster's workers, which send them to the cluster's own sandbox
    (issue 18). Stopped before the reset empties the tables, so no job of theirs is midway.
    A test that uses the cluster has its workers and scheduler stopped before the reset too
    (a job of the last test must not run into the TRUNCATE); `fresh` starts them again.
    """
    started = request.session.stash.get(_STARTED, None)
    if started is not None:
        if "cluster" not in request.fixturenames:
            await started.stop()
        else:
            await started.stop(*WORKING)
    yield


@pytest.fixture
async def fresh(cluster):
    """The cluster with an empty sandbox and Redis (the test database is emptied per test)."""
    # Started again if a test without it ran since.
    await cluster.start()
    async with http_client(base_url=cluster.sandbox, timeout=30) as http:
        await http.post("/sandbox/reset")
    scratch = aioredis.from_url(cluster.redis_url)
    await clear_redis(scratch)
    await scratch.aclose()
    return cluster


@pytest.fixture
async def sandbox_http(fresh):
    async with http_client(base_url=fresh.sandbox, timeout=30) as http:
        yield http
