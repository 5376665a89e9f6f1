"""/metrics: Prometheus text that moves with requests, check-ins, deliveries and errors."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

from server.activities.codes import static_scene
from server.delivery.models import DeliveryStatus, GroupMessage
from server.delivery.service import notify, notify_group
from server.metrics.service import FAMILIES
from tests.checkin.conftest import scan, teacher_of
from tests.delivery.helpers import fault, settle, subscribed_parent
from tests.support import backends
from tests.support.factories import make_activity, make_kindergarten

ROOT = Path(__file__).resolve().parents[2]
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
_SAMPLE = re.compile(rf"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{{(?:{_LABEL}(?:,{_LABEL})*)?\}})? (-?\d+)$")


def parse(text: str) -> dict[str, int]:
    """A strict reader of the text format: every line a comment of HELP/TYPE or a sample."""
    assert text.endswith("\n")
    typed: dict[str, str] = {}
    samples: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith("# "):
            kind, family, rest = line[2:].split(" ", 2)
            assert kind in ("HELP", "TYPE"), line
            if kind == "TYPE":
                assert rest in ("counter", "gauge"), line
                typed[family] = rest
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a sample: {line!r}"
        assert match.group(1) in typed, f"sample before its TYPE: {line!r}"
        samples[match.group(1) + (match.group(2) or "")] = int(match.group(3))
    return samples


async def scrape(client, **headers) -> dict[str, int]:
    resp = await client.get("/metrics", headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(resp.text)


def moved(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The series that changed, by how much."""
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


async def test_every_family_is_described_and_the_queue_gauges_are_shown(client):
    samples = await scrape(client)
    resp = await client.get("/metrics")
    for family, (kind, _) in FAMILIES.items():
        assert f"# TYPE {family} {kind}\n" in resp.text
    assert samples["songjiao_job_queue_waiting"] >= 0
    assert samples["songjiao_job_queue_pending"] >= 0


async def test_requests_are_counted_by_route_and_status_class_and_errors_by_code(client):
    before = await scrape(client)
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/api/v1/me")).status_code == 401
    assert (await client.get("/no/such/page/13800138000")).status_code == 404
    change = moved(before, await scrape(client))
    assert change['songjiao_http_requests_total{route="system.healthz",status="2xx"}'] == 1
    assert change['songjiao_http_requests_total{route="accounts.me",status="4xx"}'] == 1
    assert change['songjiao_http_requests_total{route="unmatched",status="4xx"}'] == 1
    assert change['songjiao_domain_errors_total{code="unauthenticated"}'] == 1
    # The scrape before this one is counted too; nothing names a path or a person.
    assert all("13800138000" not in series for series in change)


async def test_checkins_are_counted_by_result_and_refusal_reason(client):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    teacher = await teacher_of(client, kg)
    before = await scrape(client)
    assert (await scan(client, teacher, static_scene(activity.code)))[0] == 200
    assert (await scan(client, teacher, static_scene(activity.code)))[0] == 200
    assert (await scan(client, teacher, "nonsense"))[0] == 422
    change = moved(before, await scrape(client))
    assert change['songjiao_checkins_total{reason="",result="checked_in"}'] == 1
    assert (
        change['songjiao_checkins_total{reason="already_checked_in",result="already_checked_in"}']
        == 1
    )
    assert change['songjiao_checkins_total{reason="bad_code",result="refused"}'] == 1
    assert change['songjiao_http_requests_total{route="checkin.check_in",status="4xx"}'] == 1


async def test_deliveries_are_counted_sent_failed_over_and_dead(client, sandbox_client):
    parent = await subscribed_parent(client, sandbox_client, in_sandbox=1)
    other = await subscribed_parent(client, sandbox_client, in_sandbox=0)
    before = await scrape(client)
    for who, key in ((parent, "notice:m1"), (other, "notice:m2")):
        await notify(
            person_ids=[who.person_id], kind="notice", key=key, title="家长开放日", body="周五"
        )
        await settle(key=key)
    # A robot key WeChat refuses outright (no retries): the group message is dead at once.
    await fault(sandbox_client, kind="wecom_send", errcode=93000)
    assert await notify_group(group="leaders", kind="summary", key="summary:m", markdown="周报")
    for _ in range(400):
        message = await GroupMessage.get(key="summary:m")
        if message.status == DeliveryStatus.FAILED:
            break
        await asyncio.sleep(0.05)
    change = moved(before, await scrape(client))
    assert change['songjiao_deliveries_total{channel="subscribe",outcome="sent"}'] == 1
    # WeChat had no subscription left for the other parent: subscribe failed, inbox took it.
    assert change['songjiao_deliveries_total{channel="subscribe",outcome="failed"}'] == 1
    assert change['songjiao_deliveries_total{channel="inbox",outcome="sent"}'] == 1
    assert change['songjiao_deliveries_total{channel="wecom",outcome="dead"}'] == 1


async def test_a_configured_token_is_required_and_checked(api, client):
    ctx = api.app.ctx.runtime
    plain = ctx.settings
    ctx.settings = plain.model_copy(update={"metrics_token": "metrics-secret-token"})
    try:
        assert (await client.get("/metrics")).status_code == 403
        wrong = {"authorization": "Bearer not-it"}
        assert (await client.get("/metrics", headers=wrong)).status_code == 403
        right = {"authorization": "Bearer metrics-secret-token"}
        resp = await client.get("/metrics", headers=right)
        assert resp.status_code == 200 and "songjiao_http_requests_total" in resp.text
    finally:
        ctx.settings = plain
    refused = await client.get("/metrics")
    assert refused.status_code == 200  # no token: loopback may read


async def test_without_a_token_a_request_through_a_proxy_is_refused(client):
    resp = await client.get("/metrics", headers={"x-forwarded-for": "203.0.113.9"})
    assert resp.status_code == 403
    assert resp.json()["error"] == "forbidden" and "指标" in resp.json()["message"]


COUNT_IN_ANOTHER_PROCESS = """
import asyncio, sys
import redis.asyncio as r
from server.metrics import counters

async def main():
    client = r.Redis.from_url(sys.argv[1])
    counters.checkin(result="refused", reason="closed")
    counters.delivery(channel="template", outcome="sent", amount=3)
    await counters.flush(client)
    await client.aclose()

asyncio.run(main())
"""


@pytest.mark.services
async def test_counts_from_other_processes_add_up_in_the_shared_redis(client):
    before = await scrape(client)
    for _ in range(2):  # two more processes, as a worker on another host would be
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", COUNT_IN_ANOTHER_PROCESS, backends.TEST_REDIS, cwd=ROOT
        )
        assert await asyncio.wait_for(proc.wait(), timeout=60) == 0
    change = moved(before, await scrape(client))
    assert change['songjiao_checkins_total{reason="closed",result="refused"}'] == 2
    assert change['songjiao_deliveries_total{channel="template",outcome="sent"}'] == 6


@pytest.mark.services
async def test_queue_depth_is_the_stream_groups_lag_and_unacknowledged_jobs():
    import redis.asyncio as redis_asyncio

    from server.jobs.gauges import GROUP, queue_depth

    # Another database of this slot's: the test worker reads the real queue.
    redis = redis_asyncio.Redis.from_url(backends.redis_url(13))
    queue = "songjiao:jobs:metrics-test"
    try:
        await redis.delete(queue)
        assert await queue_depth(broker=object(), redis=redis, queue=queue) == (0, 0)
        await redis.xgroup_create(queue, GROUP, id="0", mkstream=True)
        for n in range(5):
            await redis.xadd(queue, {"job": str(n)})
        await redis.xreadgroup(GROUP, "worker-1", {queue: ">"}, count=2)
        assert await queue_depth(broker=object(), redis=redis, queue=queue) == (3, 2)
    finally:
        await redis.delete(queue)
        await redis.aclose()
