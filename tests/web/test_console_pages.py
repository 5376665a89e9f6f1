"""Console pages check role and scope as the API does, and their forms act through services."""

from __future__ import annotations

import httpx
import pytest

from server.checkin.models import Checkin
from tests.support.factories import make_activity, make_kindergarten, make_person
from tests.web.console import console_person, page_csrf, password_login


@pytest.fixture
async def browser(api):
    """A cookie-keeping client, as a browser is."""
    async with httpx.AsyncClient(base_url=api.url, timeout=15) as http:
        yield http


async def test_leaders_may_read_activities_but_not_create_them(browser):
    kg = await make_kindergarten()
    _, login = await console_person("leader", scope_kind="region", scope_id=kg.region_id)
    await password_login(browser, login)
    assert (await browser.get("/console/activities")).status_code == 200
    refused = await browser.get("/console/activities/new")
    assert refused.status_code == 403 and "您没有权限查看此页面" in refused.text
    token = await page_csrf(browser, "/console/activities")
    post = await browser.post("/console/activities/new", data={"csrf_token": token})
    assert post.status_code == 403
    nav = (await browser.get("/console/dashboard")).text
    assert 'href="/console/activities"' in nav and "新建活动" not in nav


async def test_an_organizer_cannot_open_another_kindergartens_activity(browser):
    mine, theirs = await make_kindergarten(), await make_kindergarten()
    activity = await make_activity(theirs)
    _, login = await console_person("organizer", scope_id=mine.id)
    await password_login(browser, login)
    page = await browser.get(f"/console/activities/{activity.id}")
    assert page.status_code == 404 and "不存在或您无权查看" in page.text
    sheet = await browser.get(f"/console/activities/{activity.id}/signin-sheet.xlsx")
    assert sheet.status_code == 404
    token = await page_csrf(browser, "/console/activities")
    person = await make_person(teacher_of=theirs)
    manual = await browser.post(
        f"/console/activities/{activity.id}/checkins",
        data={"csrf_token": token, "person_id": person.id, "reason": "忘带手机"},
    )
    assert manual.status_code == 404
    assert not await Checkin.exists(activity_id=activity.id)


async def test_an_organizer_checks_in_by_hand_and_annuls_from_the_activity_page(browser):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    teacher = await make_person(teacher_of=kg)
    _, login = await console_person("organizer", scope_id=kg.id)
    await password_login(browser, login)
    page = await browser.get(f"/console/activities/{activity.id}")
    assert page.status_code == 200 and teacher.name in page.text  # in the absent list
    token = await page_csrf(browser, f"/console/activities/{activity.id}")
    done = await browser.post(
        f"/console/activities/{activity.id}/checkins",
        data={"csrf_token": token, "person_id": teacher.id, "reason": "手机没电"},
    )
    assert done.status_code == 303 and "msg=" in done.headers["location"]
    checkin = await Checkin.get(activity_id=activity.id, person_id=teacher.id)
    assert checkin.manual_reason == "手机没电"
    annul = await browser.post(
        f"/console/activities/{activity.id}/checkins/{checkin.id}/annul",
        data={"csrf_token": token, "reason": "代签"},
    )
    assert annul.status_code == 303
    await checkin.refresh_from_db()
    assert checkin.annulled_at is not None and checkin.annul_reason == "代签"
    shown = (await browser.get(f"/console/activities/{activity.id}")).text
    assert "已作废：代签" in shown


async def test_the_notice_composer_offers_only_the_senders_kindergarten(browser):
    mine, theirs = await make_kindergarten(), await make_kindergarten()
    await make_person(teacher_of=theirs)
    _, login = await console_person("director", scope_id=mine.id)
    await password_login(browser, login)
    page = await browser.get(f"/console/notices/new?kindergarten_id={theirs.id}")
    assert page.status_code == 200
    assert mine.name in page.text and theirs.name not in page.text
    token = await page_csrf(browser, "/console/notices/new")
    forged = await browser.post(
        "/console/notices/new",
        data={"csrf_token": token, "kindergarten_id": theirs.id, "title": "越权", "whole": "1"},
    )
    assert forged.status_code == 400 and "只能以本园名义发送通知" in forged.text
