"""The console's attendance page: check people out, and see whose check-in needs a look."""

from __future__ import annotations

from datetime import timedelta

from server.checkin.models import Checkin, HoursEntry
from server.common.time import now
from tests.support.factories import make_activity, make_kindergarten, make_person
from tests.web.console import console_person, page_csrf, password_login


async def test_the_organizer_checks_someone_out_and_her_hours_follow(browser):
    kg = await make_kindergarten()
    start = now() - timedelta(minutes=30)
    activity = await make_activity(
        kg, starts_at=start, ends_at=start + timedelta(hours=3), attendee_hours=2
    )
    teacher = await make_person(teacher_of=kg)
    _, login = await console_person("organizer", scope_id=kg.id)
    await password_login(browser, login)
    path = f"/console/activities/{activity.id}"
    token = await page_csrf(browser, path)
    form = {"csrf_token": token, "person_id": teacher.id, "reason": "没带手机"}
    await browser.post(f"{path}/checkins", data=form)
    checkin = await Checkin.get(activity_id=activity.id, person_id=teacher.id)
    assert (await HoursEntry.get(activity_id=activity.id, person_id=teacher.id)).hours == 2
    page = (await browser.get(path)).text
    checkout = f"{path}/checkins/{checkin.id}/checkout"
    assert f'action="{checkout}"' in page
    done = await browser.post(checkout, data={"csrf_token": token})
    assert done.status_code == 303
    shown = (await browser.get(done.headers["location"])).text
    # 30 of 180 minutes on site: a sixth of 2 课时 rounds down to nothing.
    assert "签退成功" in shown and "已签退" in shown and f'action="{checkout}"' not in shown
    await checkin.refresh_from_db()
    assert checkin.checkout_at is not None
    assert not await HoursEntry.exists(activity_id=activity.id, person_id=teacher.id)


async def test_a_check_in_of_another_activity_cannot_be_checked_out_from_this_page(browser):
    kg = await make_kindergarten()
    mine, theirs = await make_activity(kg), await make_activity(await make_kindergarten())
    stranger = await make_person(teacher_of=await theirs.host)
    foreign = await Checkin.create(
        activity=theirs, person=stranger, method="static", scanned_at=now()
    )
    _, login = await console_person("organizer", scope_id=kg.id)
    await password_login(browser, login)
    token = await page_csrf(browser, f"/console/activities/{mine.id}")
    resp = await browser.post(
        f"/console/activities/{mine.id}/checkins/{foreign.id}/checkout",
        data={"csrf_token": token},
    )
    assert resp.status_code == 404
    await foreign.refresh_from_db()
    assert foreign.checkout_at is None
