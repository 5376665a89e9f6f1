"""No silent failure: a scope whose summary cannot be made is recorded, counted in /metrics
and shown on the console's reports page to admins and to that scope's leaders."""

from __future__ import annotations

import html

from server.reports import summary_push
from server.reports.models import Summary
from server.reports.summary_store import ensure_summary
from tests.metrics.test_metrics import moved, scrape
from tests.reports.summary_world import WEEK, make_county
from tests.web.console import console_person, password_login

RETRIED = 'songjiao_job_failures_total{job="reports.summaries",outcome="retry"}'


async def _reports_page(browser, login: str) -> str:
    browser.cookies.clear()
    await password_login(browser, login)
    resp = await browser.get("/console/reports")
    assert resp.status_code == 200, resp.text
    return html.unescape(resp.text)


async def test_a_summary_that_cannot_be_made_is_shown_to_admins_and_its_leaders(
    browser, client, monkeypatch
):
    county = await make_county()
    broken, fine = county.w.region, county.other.region

    async def failing(*, kind, period, scope, calendar=None):
        if scope.kind == "region" and scope.id == broken.id:
            raise AttributeError("'str' object has no attribute 'date'")
        return await ensure_summary(kind=kind, period=period, scope=scope, calendar=calendar)

    # Leaders of both regions (summaries are made for the scopes that have a leader).
    _, admin = await console_person("admin")
    _, its_leader = await console_person("leader", scope_kind="region", scope_id=broken.id)
    _, other_leader = await console_person("leader", scope_kind="region", scope_id=fine.id)
    monkeypatch.setattr(summary_push, "ensure_summary", failing)
    before = await scrape(client)
    result = await summary_push.make_and_push(kind="weekly", period=WEEK)
    # The other scopes' summaries were made meanwhile.
    assert await Summary.filter(kind="weekly", period=WEEK, scope_id=fine.id).exists()
    assert result["failed"] == 1
    assert moved(before, await scrape(client))[RETRIED] == 1

    for page in (
        await _reports_page(browser, admin),
        await _reports_page(browser, its_leader),
    ):
        assert "工作简报未能生成" in page and WEEK in page
        assert "AttributeError" in page
    other = await _reports_page(browser, other_leader)
    assert "工作简报未能生成" not in other

    # Made on the next run: the failure is no longer shown.
    monkeypatch.undo()
    assert (await summary_push.make_and_push(kind="weekly", period=WEEK))["failed"] == 0
    assert "工作简报未能生成" not in await _reports_page(browser, admin)
