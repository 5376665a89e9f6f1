"""No silent failure: a notice step that keeps failing is given up, shown to its sender, counted.

The cron jobs are run by hand with a moving clock; the failure is a delivery engine that
raises, as the AttributeError of issue 16 did.
"""

from __future__ import annotations

from datetime import timedelta

from server.common.time import now
from server.delivery.models import Delivery
from server.jobs.failures import MAX_ATTEMPTS
from server.notices import outbox as outbox_module
from server.notices.jobs import publish_due_notices, remind_due_notices
from server.notices.models import Notice
from tests.metrics.test_metrics import moved, scrape
from tests.notices.conftest import create, draft, later, publish, published
from tests.support.http import http_client
from tests.web.console import console_person, password_login


class Broken:
    """A delivery engine that raises until mended; counts the calls it got."""

    def __init__(self, real):
        self.real = real
        self.calls = 0
        self.mended = False

    async def __call__(self, **message):
        if self.mended:
            return await self.real(**message)
        self.calls += 1
        raise AttributeError("'str' object has no attribute 'astimezone'")


def broken_delivery(monkeypatch) -> Broken:
    broken = Broken(outbox_module.notify)
    monkeypatch.setattr(outbox_module, "notify", broken)
    return broken


async def run_minutes(job, count: int, **kwargs) -> None:
    for minute in range(count):
        await job(at=now() + timedelta(minutes=2 + minute), **kwargs)


async def test_an_announcement_that_keeps_failing_is_given_up_and_shown(
    client, api, school, monkeypatch
):
    broken = broken_delivery(monkeypatch)
    before = await scrape(client)
    notice = await published(client, school)
    assert notice["publish_error"].startswith("发送未完成，系统正在自动重试")
    await run_minutes(publish_due_notices, MAX_ATTEMPTS + 3)
    # Tried up to the cap, then left alone: no quiet loop every minute.
    assert broken.calls == MAX_ATTEMPTS
    row = await Notice.get(id=notice["id"])
    assert row.announced_at is None and row.publish_error.startswith("发送失败：")
    assert "AttributeError" in row.publish_error
    counted = moved(before, await scrape(client))
    given_up = 'songjiao_job_failures_total{job="notices.publish_due",outcome="given_up"}'
    assert counted[given_up] == 1
    assert counted['songjiao_job_failures_total{job="notices.publish_due",outcome="retry"}'] == (
        MAX_ATTEMPTS - 1
    )
    assert (await scrape(client))['songjiao_jobs_failed{kind="notices.publish_due"}'] >= 1
    # The sender reads it on the notice's page, and sends again once things are mended.
    _, login = await console_person("director", scope_id=school.kg.id)
    async with http_client(base_url=api.url, timeout=15) as browser:
        await password_login(browser, login)
        page = await browser.get(f"/console/notices/{notice['id']}")
        assert page.status_code == 200 and "发送失败：" in page.text
        assert 'id="announce-again"' in page.text
    broken.mended = True
    resp = await client.post(
        f"/api/v1/notices/{notice['id']}/announce", headers=school.director.headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["publish_error"] == "" and resp.json()["announced"] is True
    assert await Delivery.filter(key=f"notice:{notice['id']}:published").count() == 4
    again = await client.post(
        f"/api/v1/notices/{notice['id']}/announce", headers=school.director.headers
    )
    assert again.status_code == 409 and again.json()["error"] == "already_announced"


async def test_a_scheduled_notice_that_cannot_be_published_goes_back_to_its_sender(
    client, school, monkeypatch
):
    from server.notices import service

    notice = await create(client, school.director, draft(school))
    other = await create(client, school.director, draft(school, title="另一条通知"))
    for n in (notice, other):
        await publish(client, school.director, n["id"], publish_at=later(0.01))
    real = service.audiences.resolve

    async def resolve(*, kindergarten_id, audience):
        if audience.get("kindergarten") and audience.get("marker"):
            raise RuntimeError("boom")
        return await real(kindergarten_id=kindergarten_id, audience=audience)

    # Only the first notice's audience breaks (a marker the cleaner never writes).
    await Notice.filter(id=notice["id"]).update(audience={"kindergarten": True, "marker": 1})
    monkeypatch.setattr(service.audiences, "resolve", resolve)
    await run_minutes(publish_due_notices, MAX_ATTEMPTS + 2)
    row = await Notice.get(id=notice["id"])
    assert row.status == "draft" and row.publish_error.startswith("定时发布失败")
    # The other one was not held up by it.
    assert (await Notice.get(id=other["id"])).status == "published"


async def test_an_automatic_reminder_that_keeps_failing_stops_and_says_so(
    client, school, monkeypatch
):
    notice = await published(client, school, ack_mode="confirm", deadline=later(30))
    broken = broken_delivery(monkeypatch)
    deadline = (await Notice.get(id=notice["id"])).deadline
    for minute in range(MAX_ATTEMPTS + 3):
        await remind_due_notices(
            at=deadline - timedelta(hours=23, minutes=-minute), offsets_hours=[24]
        )
    assert broken.calls == MAX_ATTEMPTS
    row = await Notice.get(id=notice["id"])
    assert row.publish_error.startswith("自动提醒失败：") and row.auto_reminders_done == [24]


async def test_a_feedback_request_that_keeps_failing_stops_and_says_so(client, school, monkeypatch):
    from server.activities.codes import static_scene
    from server.activities.models import Activity, ActivityStatus
    from server.notices.jobs import request_feedback
    from tests.checkin.conftest import scan
    from tests.notices.test_feedback import open_day_notice

    activity, notice = await open_day_notice(client, school)
    await scan(client, school.a1.who, static_scene(activity.code), adults=1, children=1)
    await Activity.filter(id=activity.id).update(status=ActivityStatus.FINISHED)
    broken = broken_delivery(monkeypatch)
    for _ in range(MAX_ATTEMPTS + 2):
        result = await request_feedback(at=now())
    assert broken.calls == MAX_ATTEMPTS and result["asked"] == {}
    row = await Notice.get(id=notice["id"])
    assert row.publish_error.startswith("评价邀请失败：")
