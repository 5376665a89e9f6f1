"""The console records a real 送教下乡: hosted at the 被帮扶园 with its place; notices link it."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from server.activities.models import Activity
from server.common.time import china, now
from server.notices.models import Notice
from server.orgs.models import Pairing
from tests.support.factories import make_activity, make_kindergarten, make_region
from tests.web.console import console_person, page_csrf, password_login

NEW = "/console/activities/new"


async def _paired(*, cycle_end: date | None = None):
    """A 帮扶园 and its 被帮扶园 (with its own stored place), and the pairing."""
    region = await make_region()
    supporting = await make_kindergarten(region)
    supported = await make_kindergarten(region)
    supported.address = "青山镇石桥村幼儿园"
    supported.lat, supported.lng = 27.61, 113.35
    await supported.save()
    today = china(now()).date()
    pairing = await Pairing.create(
        supporting=supporting,
        supported=supported,
        cycle_start=today - timedelta(days=200),
        cycle_end=cycle_end or today + timedelta(days=500),
    )
    return supporting, supported, pairing


def _form(token: str, **extra) -> dict:
    starts = china(now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    body = {
        "csrf_token": token,
        "title": "送教下乡：中班科学活动",
        "kind": "送教下乡",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "attendee_hours": "2",
    }
    body.update({k: str(v) for k, v in extra.items()})
    return body


def _option(page: str, value: int, select: str = "host_id") -> str:
    start = page.index(f'<select name="{select}"')
    choices = page[start : page.index("</select>", start)]
    found = re.search(rf'<option value="{value}"[^>]*>[^<]*</option>', choices)
    assert found, f"no option {value}"
    return html.unescape(found.group(0))


async def test_the_form_offers_the_partner_kindergarten_with_its_stored_place(browser):
    supporting, supported, _ = await _paired()
    stranger = await make_kindergarten(await supporting.region)
    _, login = await console_person("organizer", scope_id=supporting.id)
    await password_login(browser, login)
    page = (await browser.get(NEW)).text
    partner = _option(page, supported.id)
    assert supported.name in partner and "被帮扶园" in partner
    assert 'data-address="青山镇石桥村幼儿园"' in partner
    assert 'data-lat="27.61"' in partner and 'data-lng="113.35"' in partner
    assert 'name="lat"' in page and 'name="lng"' in page and 'name="radius_m"' in page
    assert f'<option value="{stranger.id}"' not in page


async def test_an_organizer_hosts_a_song_jiao_at_the_partner_with_its_coordinates(browser):
    supporting, supported, pairing = await _paired()
    _, login = await console_person("organizer", scope_id=supporting.id)
    await password_login(browser, login)
    token = await page_csrf(browser, NEW)
    made = await browser.post(
        NEW,
        data=_form(
            token,
            host_id=supported.id,
            pairing_id=pairing.id,
            address="石桥村幼儿园二楼活动室",
            lat="27.6123",
            lng="113.3456",
            radius_m="200",
        ),
    )
    assert made.status_code == 303, made.text
    activity = await Activity.get(title="送教下乡：中班科学活动")
    assert activity.host_id == supported.id and activity.pairing_id == pairing.id
    assert (activity.lat, activity.lng, activity.radius_m) == (27.6123, 113.3456, 200)
    assert activity.address == "石桥村幼儿园二楼活动室"
    detail = (await browser.get(f"/console/activities/{activity.id}")).text
    assert "纬度 27.6123，经度 113.3456，范围 200 米" in detail
    # The edit form shows the coordinates again and keeps them on save.
    edit = (await browser.get(f"/console/activities/{activity.id}/edit")).text
    assert 'value="27.6123"' in edit and 'value="113.3456"' in edit
    moved = await browser.post(
        f"/console/activities/{activity.id}/edit",
        data=_form(
            token,
            pairing_id=pairing.id,
            address="石桥村幼儿园操场",
            lat="27.6130",
            lng="113.3450",
            radius_m="200",
        ),
    )
    assert moved.status_code == 303, moved.text
    await activity.refresh_from_db()
    assert (activity.lat, activity.lng, activity.address) == (27.613, 113.345, "石桥村幼儿园操场")


async def test_hosting_at_the_partner_needs_an_active_pairing_and_strangers_look_unknown(browser):
    supporting, supported, pairing = await _paired(cycle_end=china(now()).date())
    elsewhere = await make_kindergarten()
    _, login = await console_person("organizer", scope_id=supporting.id)
    await password_login(browser, login)
    token = await page_csrf(browser, NEW)
    # Without the pairing the partner is not hers to host at, like a kindergarten elsewhere.
    answers = []
    for host in (supported.id, elsewhere.id, elsewhere.id + 10_000):
        resp = await browser.post(NEW, data=_form(token, host_id=host, address="某地"))
        assert resp.status_code == 400
        answers.append(re.search(r'role="alert">([^<]+)<', resp.text).group(1))
    assert len(set(answers)) == 1 and "被帮扶园" in answers[0]
    # The pairing's cycle ended today; the activity is in three days.
    expired = await browser.post(
        NEW, data=_form(token, host_id=supported.id, pairing_id=pairing.id, address="某地")
    )
    assert expired.status_code == 400 and "不在该结对的帮扶周期" in expired.text
    assert not await Activity.filter(host_id__in=[supported.id, elsewhere.id]).exists()


async def test_the_notice_form_links_her_activity_and_only_hers(browser):
    supporting, supported, pairing = await _paired()
    mine = await make_activity(supporting, title="家长开放日：亲子运动会")
    theirs = await make_activity(await make_kindergarten(), title="别园的开放日")
    _, login = await console_person("director", scope_id=supporting.id)
    await password_login(browser, login)
    page = (await browser.get("/console/notices/new")).text
    assert 'name="activity_id"' in page
    assert "家长开放日：亲子运动会" in _option(page, mine.id, "activity_id")
    assert "别园的开放日" not in page
    token = await page_csrf(browser, "/console/notices/new")
    body = {
        "csrf_token": token,
        "kindergarten_id": supporting.id,
        "title": "开放日满意度",
        "whole": "1",
        "ack_mode": "read",
        "send": "draft",
    }
    forged = await browser.post("/console/notices/new", data={**body, "activity_id": theirs.id})
    assert forged.status_code == 400 and "关联的活动不存在或您无权查看" in forged.text
    made = await browser.post("/console/notices/new", data={**body, "activity_id": mine.id})
    assert made.status_code == 303, made.text
    notice = await Notice.get(title="开放日满意度")
    assert notice.activity_id == mine.id
