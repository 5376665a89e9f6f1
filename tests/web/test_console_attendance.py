"""The console's attendance page: check people out, and see whose check-in needs a look."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from server.activities.codes import dynamic_scene, static_scene, time_step
from server.activities.models import ActivityKind, AudienceMode
from server.checkin.models import Checkin, HoursEntry
from server.common.time import china, now
from tests.checkin.conftest import scan, teacher_of
from tests.notices.conftest import school  # noqa: F401 - the fixture
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


def _review(page: str) -> dict[str, str]:
    """The 需核实 table: name → what to look at."""
    if '<table id="review">' not in page:
        return {}
    start = page.index('<table id="review">')
    table = page[start : page.index("</table>", start)]
    rows = re.findall(r"<tr><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td></tr>", table)
    return {name: html.unescape(text) for name, text in rows}


async def test_the_page_names_who_scanned_offline_without_location_or_outside_the_fence(
    browser, client
):
    kg = await make_kindergarten()
    activity = await make_activity(kg)  # at 28.2, 112.9 with a 300 m fence
    here = {"lat": 28.2005, "lng": 112.9}
    far, blind, offline, fine = [await teacher_of(client, kg) for _ in range(4)]
    code = static_scene(activity.code)
    await scan(client, far, code, location={"lat": 28.23, "lng": 112.9, "accuracy": 20})
    await scan(client, blind, code)
    shown = now() - timedelta(minutes=3)
    dynamic = dynamic_scene(
        code=activity.code,
        secret=activity.secret,
        step=time_step(shown, activity.rotate_seconds),
    )
    await scan(client, offline, dynamic, scanned_at=shown.isoformat(), location=here)
    await scan(client, fine, code, location=here)
    _, login = await console_person("organizer", scope_id=kg.id)
    await password_login(browser, login)
    page = (await browser.get(f"/console/activities/{activity.id}")).text
    review = _review(page)
    assert set(review) == {far.person.name, blind.person.name, offline.person.name}
    stored = await Checkin.get(activity_id=activity.id, person_id=far.person.id)
    # 0.03° of latitude is about 3.3 km; the page says the stored distance.
    assert 3200 < stored.distance_m < 3400
    assert review[far.person.name] == (
        f"超出签到范围：距活动地点约 {round(stored.distance_m)} 米（范围 300 米）"
    )
    assert review[blind.person.name] == "未获取到位置"
    assert review[offline.person.name].startswith("离线扫码（")
    assert china(shown).strftime("%H:%M") in review[offline.person.name]


async def test_waitlisted_and_declined_families_who_check_in_are_flagged(
    browser,
    client,
    school,  # noqa: F811 - the notices' fixture, imported above
):
    from tests.notices.test_rsvp import rsvp, rsvp_notice

    activity = await make_activity(
        school.kg,
        kind=ActivityKind.OPEN_DAY,
        audience_mode=AudienceMode.FAMILIES,
        title="小班家长开放日",
    )
    notice = await rsvp_notice(client, school, activity_id=activity.id, capacity=2)
    await rsvp(client, school.a1, notice["id"], adults=1, children=1)
    await rsvp(client, school.a2, notice["id"], adults=2)  # no place left: waitlisted
    await rsvp(client, school.b1, notice["id"], "no")
    code = static_scene(activity.code)
    here = {"lat": 28.2, "lng": 112.9}
    for family in (school.a1, school.a2, school.b1):
        _, body = await scan(client, family.who, code, location=here, adults=1)
        assert body["status"] == "checked_in", body  # the open day is open to all families
    _, login = await console_person("organizer", scope_id=school.kg.id)
    await password_login(browser, login)
    review = _review((await browser.get(f"/console/activities/{activity.id}")).text)
    assert review == {
        school.a2.person.name: "报名状态：候补中",
        school.b1.person.name: "报名状态：不参加",
    }
