"""The console's activity and 补签 forms refuse another region's people as unknown ones."""

from __future__ import annotations

from server.activities.models import Activity
from server.checkin.models import Checkin, HoursEntry
from server.common.time import now
from server.orgs.models import Person
from tests.support.factories import make_activity, make_kindergarten, make_person, make_region
from tests.web.console import console_person, page_csrf, password_login

REFUSAL = "所选人员不存在，或不是主办园、结对园或所属联盟成员园的教职工"


async def _missing_person_id() -> int:
    last = await Person.all().order_by("-id").first()
    return last.id + 10_000


async def test_a_foreign_presenter_or_invitee_in_the_activity_form_is_an_unknown_one(browser):
    kg = await make_kindergarten()
    outsider = await make_person(teacher_of=await make_kindergarten(await make_region()))
    missing = await _missing_person_id()
    _, login = await console_person("organizer", scope_id=kg.id)
    await password_login(browser, login)
    token = await page_csrf(browser, "/console/activities/new")
    base = {
        "csrf_token": token,
        "title": "骨干教师座谈",
        "kind": "业务培训",
        "host_id": kg.id,
        "starts_at": "2099-04-01T14:00",
        "ends_at": "2099-04-01T16:00",
    }
    for field in ("presenter_1", "invitee_ids"):
        extra = {"audience_mode": "invited"} if field == "invitee_ids" else {}
        foreign = await browser.post(
            "/console/activities/new", data={**base, **extra, field: outsider.id}
        )
        unknown = await browser.post(
            "/console/activities/new", data={**base, **extra, field: missing}
        )
        assert foreign.status_code == unknown.status_code == 400, foreign.text
        assert REFUSAL in foreign.text and REFUSAL in unknown.text
    assert not await Activity.filter(title="骨干教师座谈").exists()
    own = await make_person(teacher_of=kg)
    made = await browser.post("/console/activities/new", data={**base, "presenter_1": own.id})
    assert made.status_code == 303, made.text


async def test_manual_check_in_from_the_console_refuses_an_outsider_as_nobody(browser):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    outsider = await make_person(teacher_of=await make_kindergarten(await make_region()))
    _, login = await console_person("organizer", scope_id=kg.id)
    await password_login(browser, login)
    token = await page_csrf(browser, f"/console/activities/{activity.id}")
    url = f"/console/activities/{activity.id}/checkins"
    foreign = await browser.post(
        url, data={"csrf_token": token, "person_id": outsider.id, "reason": "忘带手机"}
    )
    unknown = await browser.post(
        url,
        data={"csrf_token": token, "person_id": await _missing_person_id(), "reason": "忘带手机"},
    )
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.text == unknown.text
    assert not await Checkin.exists(person_id=outsider.id)
    assert not await HoursEntry.exists(person_id=outsider.id)


async def test_annulling_from_the_console_holds_the_checkin_to_the_pages_activity(browser):
    kg, elsewhere = await make_kindergarten(), await make_kindergarten(await make_region())
    mine, theirs = await make_activity(kg), await make_activity(elsewhere)
    my_checkin = await Checkin.create(
        activity=mine, person=await make_person(teacher_of=kg), method="manual", scanned_at=now()
    )
    their_checkin = await Checkin.create(
        activity=theirs,
        person=await make_person(teacher_of=elsewhere),
        method="manual",
        scanned_at=now(),
    )
    _, login = await console_person("organizer", scope_id=kg.id)
    await password_login(browser, login)
    token = await page_csrf(browser, f"/console/activities/{mine.id}")
    data = {"csrf_token": token, "reason": "代人签到"}
    missing_checkin = their_checkin.id + 10_000
    missing_activity = theirs.id + 10_000
    pairs = (
        # Another region's check-in under my activity, and a check-in that does not exist.
        (f"{mine.id}/checkins/{their_checkin.id}", f"{mine.id}/checkins/{missing_checkin}"),
        # My check-in under another region's activity, and under one that does not exist.
        (f"{theirs.id}/checkins/{my_checkin.id}", f"{missing_activity}/checkins/{my_checkin.id}"),
    )
    for foreign_path, unknown_path in pairs:
        foreign = await browser.post(f"/console/activities/{foreign_path}/annul", data=data)
        unknown = await browser.post(f"/console/activities/{unknown_path}/annul", data=data)
        assert foreign.status_code == unknown.status_code == 404, foreign.text
        assert foreign.text == unknown.text
    for checkin in (my_checkin, their_checkin):
        await checkin.refresh_from_db()
        assert checkin.annulled_at is None
