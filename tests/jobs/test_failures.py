"""A job that raises is never silent: a tracked one ends failed in Chinese, /metrics counts it."""

from __future__ import annotations

from taskiq import InMemoryBroker

from server.jobs.broker import FailureMiddleware
from server.jobs.models import JobRecord, JobStatus
from server.jobs.service import create_job_record
from tests.metrics.test_metrics import moved, scrape
from tests.support.factories import login_as

SERIES = 'songjiao_job_failures_total{job="tests.render_report",outcome="error"}'


async def test_a_tracked_job_that_raises_ends_failed_with_a_chinese_reason(client):
    broker = InMemoryBroker()
    broker.add_middlewares(FailureMiddleware())

    async def render_report(*, job_id: str) -> None:
        raise KeyError("month")

    task = broker.register_task(render_report, task_name="tests.render_report")
    before = await scrape(client)
    admin = await login_as(client, "admin")
    await broker.startup()
    try:
        record = await create_job_record(kind="report", account_id=None, params={})
        sent = await task.kiq(job_id=str(record.id))
        assert (await sent.wait_result(timeout=5)).is_err
    finally:
        await broker.shutdown()
    row = await JobRecord.get(id=record.id)
    assert row.status == JobStatus.FAILED
    assert row.error == "任务执行出错：系统内部错误（KeyError），请联系管理员"
    assert moved(before, await scrape(client))[SERIES] == 1
    resp = await client.get(f"/api/v1/jobs/{record.id}", headers=admin.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "failed" and resp.json()["error"].startswith("任务执行出错")
    listed = await client.get("/api/v1/failed-jobs", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    [mine] = [item for item in listed.json()["items"] if item["id"] == str(record.id)]
    assert mine["error"].startswith("任务执行出错")
    director = await login_as(client, "director")
    refused = await client.get("/api/v1/failed-jobs", headers=director.headers)
    assert refused.status_code == 403
