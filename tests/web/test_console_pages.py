"""Console pages check role and scope as the API does, and their forms act through services."""

from __future__ import annotations

import re

from server.checkin.models import Checkin
from tests.support.factories import make_activity, make_kindergarten, make_person
from tests.web.console import console_person, page_csrf, password_login


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
    assert done.headers["location"] == f"/console/activities/{activity.id}"  # no message in it
    shown = await browser.get(done.headers["location"])
    assert 'class="flash"' in shown.text  # the console's own (signed) message is shown
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


async def test_the_archive_page_uploads_a_photo_marks_consent_and_confirms_both_sides(browser):
    from server.archive.models import ArchiveFile
    from tests.archive.helpers import jpeg_bytes
    from tests.archive.helpers import make_activity as finished_activity
    from tests.support.world import make_pairing

    supporting, supported = await make_kindergarten(), await make_kindergarten()
    pairing = await make_pairing(supporting, supported)
    activity = await finished_activity(host=supported, pairing=pairing)
    _, login = await console_person("admin")
    await password_login(browser, login)
    path = f"/console/activities/{activity.id}/archive"
    token = await page_csrf(browser, path)
    up = await browser.post(
        f"{path}/files",
        data={"csrf_token": token, "kind": "photo", "caption": "示范课现场"},
        files={"file": ("现场.jpg", jpeg_bytes(), "image/jpeg")},
    )
    assert up.status_code == 303, up.text
    photo = await ArchiveFile.get(activity_id=activity.id)
    assert photo.consent is False
    page = await browser.get(path)
    assert "示范课现场" in page.text and "未同意公开" in page.text
    shown = await browser.get(f"/console/archive/files/{photo.id}")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    consent = await browser.post(
        f"{path}/files/{photo.id}/consent", data={"csrf_token": token, "consent": "1"}
    )
    assert consent.status_code == 303
    await photo.refresh_from_db()
    assert photo.consent is True
    confirmed = await browser.post(f"{path}/confirm", data={"csrf_token": token})
    assert confirmed.status_code == 303
    card = (await browser.get(path)).text
    assert card.count(" 已确认") == 2 and "确认本方记录" not in card  # locked


async def test_a_scheduled_rsvp_notice_is_composed_for_a_class(browser):
    from server.notices.models import Notice
    from tests.support.factories import make_child, make_class

    kg = await make_kindergarten()
    school_class = await make_class(kg, name="大一班")
    await make_child(school_class, guardian=await make_person())
    _, login = await console_person("director", scope_id=kg.id)
    await password_login(browser, login)
    compose = await browser.get("/console/notices/new")
    assert "大一班" in compose.text
    token = await page_csrf(browser, "/console/notices/new")
    resp = await browser.post(
        "/console/notices/new",
        data={
            "csrf_token": token,
            "kindergarten_id": kg.id,
            "title": "家长开放日",
            "body": "欢迎家长来园参加开放日活动。",
            "class_ids": [str(school_class.id)],
            "ack_mode": "rsvp",
            "capacity": "30",
            "deadline": "2099-06-01T12:00",
            "send": "schedule",
            "publish_at": "2099-05-20T08:00",
        },
    )
    assert resp.status_code == 303, resp.text
    assert "?" not in resp.headers["location"]  # the message travels in a cookie
    notice = await Notice.get(title="家长开放日")
    assert notice.status == "scheduled" and notice.capacity == 30
    assert notice.audience["class_ids"] == [school_class.id]
    page = await browser.get(f"/console/notices/{notice.id}")
    assert page.status_code == 200 and "定时发布" in page.text and "需报名回执" in page.text
    assert '<p class="flash" role="status">已定时发送' in page.text


async def test_a_leaders_dashboard_draws_targets_alerts_and_rankings(browser, api):
    from server.demo import load_demo
    from server.demo_data import REGION
    from server.orgs.models import Alliance, Pairing, Region

    await load_demo(api.app.ctx.runtime.settings)
    await password_login(browser, "demo-leader", "sjt-demo-2026")
    page = await browser.get("/console/dashboard")
    assert page.status_code == 200
    assert 'href="/console/notices"' in page.text
    # Counted here, not by the reports: the region's pairings and alliances (the demo's today).
    region = await Region.get(name=REGION["name"])
    pairings = await Pairing.filter(supporting__region_id=region.id).prefetch_related(
        "supporting", "supported"
    )
    names = [f"{p.supporting.name} → {p.supported.name}" for p in pairings]
    alliances = await Alliance.filter(region_id=region.id).values_list("name", flat=True)
    assert len(names) > 1 and alliances
    assert f'<div class="stat">结对<b>{len(names)}</b></div>' in page.text
    # The chart draws a row per pairing (the first 12) with its 送教课时 bar.
    chart = page.text.split('<svg class="bar-chart"', 1)[1].split("</svg>", 1)[0]
    drawn = re.findall(r'<text x="0" y="\d+" font-weight="600">([^<]+)</text>', chart)
    assert len(set(drawn)) == len(drawn) == min(len(names), 12) and set(drawn) <= set(names)
    assert chart.count(">送教课时</text>") == len(drawn)
    # The alerts are the demo's behind targets, each naming one of these pairings.
    warned = page.text.split("<h2>进度预警</h2>", 1)[1].split("</section>", 1)[0]
    listed = re.findall(r'<li class="(?:warn|error)">([^<：]+)：', warned)
    assert listed and "暂无预警" not in warned and set(listed) <= set(names)
    # The ranking lists the region's alliances.
    ranking = page.text.split("<h2>联盟排名</h2>", 1)[1].split("</table>", 1)[0]
    ranked = re.findall(r"<tr><td>\d+</td><td>([^<]+)</td>", ranking)
    assert sorted(ranked) == sorted(alliances)


async def test_an_activity_created_in_the_form_counts_for_its_pairing(browser):
    from server.activities.models import Activity, Presenter
    from tests.support.world import make_pairing

    supporting, supported, other = [await make_kindergarten() for _ in range(3)]
    pairing = await make_pairing(supporting, supported)
    await make_pairing(other, await make_kindergarten())
    presenter = await make_person("王老师", teacher_of=supporting)
    _, login = await console_person("organizer", scope_id=supporting.id)
    await password_login(browser, login)
    form = await browser.get("/console/activities/new")
    assert f"{supporting.name} → {supported.name}" in form.text
    assert other.name not in form.text
    assert f"王老师（{supporting.name}）" in form.text
    token = await page_csrf(browser, "/console/activities/new")
    resp = await browser.post(
        "/console/activities/new",
        data={
            "csrf_token": token,
            "title": "送教下乡：科学活动观摩",
            "kind": "送教下乡",
            "host_id": supporting.id,
            "pairing_id": pairing.id,
            "starts_at": "2099-03-02T09:00",
            "ends_at": "2099-03-02T11:30",
            "audience_mode": "kindergartens",
            "attendee_hours": "2.5",
            "presenter_1": presenter.id,
            "presenter_1_hours": "3",
            "presenter_1_topic": "幼儿科学探究",
            "presenter_1_class_name": "大一班",
            "presenter_1_subject_area": "科学",
        },
    )
    assert resp.status_code == 303, resp.text
    activity = await Activity.get(title="送教下乡：科学活动观摩")
    assert activity.pairing_id == pairing.id and activity.attendee_hours == 2.5
    assert activity.status == "draft"
    presenters = await Presenter.filter(activity_id=activity.id).values(
        "person_id", "hours", "class_name", "subject_area"
    )
    assert presenters == [
        {"person_id": presenter.id, "hours": 3, "class_name": "大一班", "subject_area": "科学"}
    ]

    edit = await browser.get(f"/console/activities/{activity.id}/edit")
    assert (
        "幼儿科学探究" in edit.text
        and 'value="科学" selected' in edit.text
        and f'value="{pairing.id}" selected' in edit.text
    )
    saved = await browser.post(
        f"/console/activities/{activity.id}/edit",
        data={
            "csrf_token": token,
            "title": "送教下乡：科学活动观摩（改）",
            "kind": "送教下乡",
            "pairing_id": "",
            "starts_at": "2099-03-02T09:30",
            "ends_at": "2099-03-02T11:30",
            "attendee_hours": "2",
        },
    )
    assert saved.status_code == 303, saved.text
    await activity.refresh_from_db()
    assert activity.title.endswith("（改）") and activity.pairing_id is None
    assert not await Presenter.exists(activity_id=activity.id)
    bad = await browser.post(
        "/console/activities/new",
        data={
            "csrf_token": token,
            "title": "缺少时间",
            "kind": "送教下乡",
            "host_id": supporting.id,
        },
    )
    assert bad.status_code == 400 and "请填写开始时间" in bad.text and "缺少时间" in bad.text


async def test_an_invited_only_activity_takes_its_list_from_the_form(browser):
    from server.activities.models import Activity, ActivityInvitee

    kg = await make_kindergarten()
    chosen, left_out = await make_person("赵老师", teacher_of=kg), await make_person(teacher_of=kg)
    _, login = await console_person("organizer", scope_id=kg.id)
    await password_login(browser, login)
    form = await browser.get("/console/activities/new")
    assert 'id="invitees"' in form.text and f'value="{chosen.id}"' in form.text
    token = await page_csrf(browser, "/console/activities/new")
    base = {
        "csrf_token": token,
        "title": "骨干教师座谈",
        "kind": "业务培训",
        "host_id": kg.id,
        "starts_at": "2099-04-01T14:00",
        "ends_at": "2099-04-01T16:00",
        "audience_mode": "invited",
    }
    empty = await browser.post("/console/activities/new", data=base)
    assert empty.status_code == 400 and "至少勾选一人" in empty.text
    assert "骨干教师座谈" in empty.text  # the form keeps what was typed
    made = await browser.post("/console/activities/new", data={**base, "invitee_ids": chosen.id})
    assert made.status_code == 303, made.text
    activity = await Activity.get(title="骨干教师座谈")
    invited = await ActivityInvitee.filter(activity_id=activity.id).values_list(
        "person_id", flat=True
    )
    assert list(invited) == [chosen.id] and left_out.id not in invited


async def test_an_organizers_dashboard_shows_her_kindergartens_pairings(browser):
    from tests.support.world import make_pairing

    supporting, supported = await make_kindergarten(), await make_kindergarten()
    await make_pairing(supporting, supported)
    _, login = await console_person("organizer", scope_id=supported.id)
    await password_login(browser, login)
    page = await browser.get("/console/dashboard")
    assert page.status_code == 200 and f"{supporting.name} → {supported.name}" in page.text
