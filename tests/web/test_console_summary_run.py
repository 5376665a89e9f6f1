"""Console: an admin runs a week's or a semester's summaries now; leaders are told once
(issue 16, item 10)."""

from __future__ import annotations

from server.delivery.models import Channel
from server.reports.models import Summary
from tests.bots.people import bound_follower
from tests.delivery.helpers import settle
from tests.reports.summary_world import WEEK, make_county
from tests.support.sandbox import read_outbox
from tests.web.console import console_person, csrf_of, password_login


async def test_an_admin_runs_a_summary_from_the_console_and_leaders_are_told_once(
    browser, client, sandbox_client
):
    county = await make_county()
    region = county.w.region
    who, oa_openid = await bound_follower(client, "leader", scope_kind="region", scope_id=region.id)
    _, login = await console_person("admin")
    await password_login(browser, login)
    page = await browser.get("/console/reports")
    assert 'id="summary-run"' in page.text and "立即生成并推送" in page.text
    token = csrf_of(page.text)
    for _ in range(2):  # a double click, or a second admin
        done = await browser.post(
            "/console/reports/summaries/run",
            data={"kind": "weekly", "period": WEEK, "csrf_token": token},
            follow_redirects=True,
        )
        assert done.status_code == 200, done.text  # followed the redirect back
        assert f"工作周报 {WEEK} 已生成" in done.text
    key = f"summary:weekly:{WEEK}:region:{region.id}"
    [delivery] = await settle(key=key)
    assert delivery.person_id == who.person.id and delivery.channel == Channel.TEMPLATE
    assert await Summary.filter(kind="weekly", period=WEEK, scope_id=region.id).count() == 1
    sent = await read_outbox(
        sandbox_client, kind="template_send", touser=oa_openid, delivered="true"
    )
    assert len(sent) == 1

    # A week not over yet is refused (its summary would stand in for the real one).
    early = await browser.post(
        "/console/reports/summaries/run",
        data={"kind": "weekly", "period": "2099-W01", "csrf_token": token},
    )
    assert early.status_code == 400 and "尚未结束" in early.text
    assert not await Summary.filter(period="2099-W01").exists()


async def test_only_an_admin_may_run_a_summary(browser):
    county = await make_county()
    _, login = await console_person("leader", scope_kind="region", scope_id=county.w.region.id)
    await password_login(browser, login)
    page = await browser.get("/console/reports")
    assert 'id="summary-run"' not in page.text
    refused = await browser.post(
        "/console/reports/summaries/run",
        data={"kind": "weekly", "period": WEEK, "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 403 and "只有管理员" in refused.text
    assert not await Summary.exists()
