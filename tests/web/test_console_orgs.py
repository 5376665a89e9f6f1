"""Console organisation pages: alliances, kindergartens, pairings and their targets, staff
(phones masked as the API masks them), invitation codes and the roster import – each
checked for role, scope and CSRF as the API checks them."""

from __future__ import annotations

import asyncio

from openpyxl import load_workbook

from server.accounts.models import Invitation
from server.orgs.models import Alliance, Kindergarten, Pairing, Teacher
from tests.orgs.test_roster import GOOD_TEACHERS, XLSX, workbook
from tests.support.factories import make_kindergarten, make_person, make_region
from tests.support.world import make_pairing
from tests.web.console import console_person, page_csrf, password_login

EXPIRED = "页面已过期或请求来源不明"


async def test_a_leader_founds_an_alliance_adds_a_kindergarten_and_pairs_with_targets(browser):
    region = await make_region()
    supporting = await make_kindergarten(region)
    _, login = await console_person("leader", scope_kind="region", scope_id=region.id)
    await password_login(browser, login)
    nav = (await browser.get("/console/orgs")).text
    assert 'href="/console/orgs"' in nav and "组织机构" in nav and supporting.name in nav
    token = await page_csrf(browser, "/console/orgs")
    made = await browser.post(
        "/console/orgs/alliances/new",
        data={"csrf_token": token, "region_id": region.id, "name": "城南学前教育联盟"},
    )
    assert made.status_code == 303, made.text
    alliance = await Alliance.get(name="城南学前教育联盟")
    added = await browser.post(
        "/console/orgs/kindergartens/new",
        data={
            "csrf_token": token,
            "region_id": region.id,
            "name": "石门村幼儿园",
            "level": "村级园",
            "alliance_id": alliance.id,
        },
    )
    assert added.status_code == 303, added.text
    supported = await Kindergarten.get(name="石门村幼儿园")
    assert supported.alliance_id == alliance.id
    led = await browser.post(
        f"/console/orgs/alliances/{alliance.id}",
        data={"csrf_token": token, "name": "城南学前教育联盟", "lead_id": supported.id},
    )
    assert led.status_code == 303, led.text
    shown = await browser.get(f"/console/orgs/alliances/{alliance.id}")
    assert "<b>牵头园</b>：石门村幼儿园" in shown.text
    form = await browser.get("/console/orgs/pairings/new")
    assert "每学期送教课时" in form.text and "石门村幼儿园" in form.text
    paired = await browser.post(
        "/console/orgs/pairings/new",
        data={
            "csrf_token": token,
            "supporting_id": supporting.id,
            "supported_id": supported.id,
            "alliance_id": alliance.id,
            "cycle_start": "2026-03-01",
            "cycle_end": "2028-02-28",
            "t_send_hours_per_semester": "12",
            "t_excellent_lesson_rate": "40",
            "t_visit_every_month": "1",
        },
    )
    assert paired.status_code == 303, paired.text
    pairing = await Pairing.get(supported_id=supported.id)
    assert pairing.targets["send_hours_per_semester"] == 12
    assert pairing.targets["excellent_lesson_rate"] == 0.4
    assert pairing.targets["visit_every_month"] is True
    assert pairing.targets["lectures_per_semester"] == 2  # the default, kept
    wrong = await browser.post(
        f"/console/orgs/pairings/{pairing.id}",
        data={
            "csrf_token": token,
            "cycle_start": "2026-03-01",
            "cycle_end": "2028-02-28",
            "t_send_hours_per_semester": "5000",
        },
    )
    assert wrong.status_code == 400 and "每学期送教课时须在 0 至 999 之间" in wrong.text
    saved = await browser.post(
        f"/console/orgs/pairings/{pairing.id}",
        data={
            "csrf_token": token,
            "cycle_start": "2026-03-01",
            "cycle_end": "2028-02-28",
            "t_send_hours_per_semester": "16",
        },
    )
    assert saved.status_code == 303
    await pairing.refresh_from_db()
    assert pairing.targets["send_hours_per_semester"] == 16
    assert pairing.targets["visit_every_month"] is False  # an unticked box
    shown = await browser.get(f"/console/orgs/pairings/{pairing.id}")
    assert 'name="t_send_hours_per_semester"' in shown.text and 'value="16"' in shown.text


async def test_a_leader_of_another_region_can_neither_see_nor_edit_the_pairing(browser):
    supporting, supported = await make_kindergarten(), await make_kindergarten()
    pairing = await make_pairing(supporting, supported)
    _, login = await console_person(
        "leader", scope_kind="region", scope_id=(await make_region()).id
    )
    await password_login(browser, login)
    page = await browser.get(f"/console/orgs/pairings/{pairing.id}")
    assert page.status_code == 404 and "结对不存在或您无权查看" in page.text
    assert supporting.name not in (await browser.get("/console/orgs")).text
    token = await page_csrf(browser, "/console/orgs")
    edit = await browser.post(
        f"/console/orgs/pairings/{pairing.id}",
        data={
            "csrf_token": token,
            "cycle_start": "2026-03-01",
            "cycle_end": "2028-02-28",
            "t_send_hours_per_semester": "1",
        },
    )
    assert edit.status_code == 404
    await pairing.refresh_from_db()
    assert "send_hours_per_semester" not in (pairing.targets or {})
    kg = await browser.get(f"/console/orgs/kindergartens/{supported.id}")
    assert kg.status_code == 404 and "幼儿园不存在或您无权查看" in kg.text


async def test_directors_read_pairings_but_only_leaders_create_them(browser):
    kg, other = await make_kindergarten(), await make_kindergarten()
    pairing = await make_pairing(kg, other)
    _, login = await console_person("director", scope_id=kg.id)
    await password_login(browser, login)
    page = await browser.get(f"/console/orgs/pairings/{pairing.id}")
    assert page.status_code == 200 and "每学期送教课时" in page.text
    assert 'id="pairing-form"' not in page.text
    refused = await browser.get("/console/orgs/pairings/new")
    assert refused.status_code == 403 and "您没有权限查看此页面" in refused.text
    token = await page_csrf(browser, "/console/orgs")
    post = await browser.post(
        f"/console/orgs/pairings/{pairing.id}",
        data={"csrf_token": token, "cycle_start": "2026-03-01", "cycle_end": "2029-01-01"},
    )
    assert post.status_code == 403
    _, organizer = await console_person("organizer", scope_id=kg.id)
    browser.cookies.clear()
    await password_login(browser, organizer)
    roster = await browser.get(f"/console/orgs/kindergartens/{kg.id}/roster")
    assert roster.status_code == 403 and "您没有权限查看此页面" in roster.text


async def test_staff_phones_are_whole_for_the_director_and_masked_for_a_leader(browser):
    kg = await make_kindergarten()
    await make_person("周老师", phone="13812345678", teacher_of=kg)
    _, director = await console_person("director", scope_id=kg.id)
    await password_login(browser, director)
    page = await browser.get(f"/console/orgs/kindergartens/{kg.id}")
    assert page.status_code == 200 and "周老师" in page.text and "13812345678" in page.text
    _, leader = await console_person("leader", scope_kind="region", scope_id=kg.region_id)
    browser.cookies.clear()
    await password_login(browser, leader)
    page = await browser.get(f"/console/orgs/kindergartens/{kg.id}")
    assert "周老师" in page.text and "13812345678" not in page.text and "138****5678" in page.text


async def test_a_director_creates_and_revokes_an_invitation_code(browser):
    kg = await make_kindergarten()
    _, login = await console_person("director", scope_id=kg.id)
    await password_login(browser, login)
    path = f"/console/orgs/kindergartens/{kg.id}"
    token = await page_csrf(browser, path)
    made = await browser.post(
        f"{path}/invitations",
        data={"csrf_token": token, "role": "teacher", "expires_in_days": "14", "max_uses": "30"},
    )
    assert made.status_code == 303, made.text
    invitation = await Invitation.get(kindergarten_id=kg.id)
    assert invitation.max_uses == 30 and not invitation.revoked
    assert invitation.code in (await browser.get(path)).text
    director = await browser.post(
        f"{path}/invitations", data={"csrf_token": token, "role": "director"}
    )
    assert director.status_code == 403 and "只有管理员可以邀请园长" in director.text
    revoked = await browser.post(
        f"/console/orgs/invitations/{invitation.id}/revoke", data={"csrf_token": token}
    )
    assert revoked.status_code == 303 and revoked.headers["location"].startswith(path)
    await invitation.refresh_from_db()
    assert invitation.revoked
    assert "已撤销" in (await browser.get(path)).text


async def test_every_orgs_form_refuses_a_post_without_its_csrf_token(browser):
    kg, other = await make_kindergarten(), await make_kindergarten()
    pairing = await make_pairing(kg, other)
    _, login = await console_person("admin")
    await password_login(browser, login)
    invitation = await Invitation.create(
        code="CSRF2345",
        kind="teacher",
        role="teacher",
        kindergarten_id=kg.id,
        expires_at="2099-01-01T00:00:00+00:00",
    )
    paths = [
        "/console/orgs/alliances/new",
        "/console/orgs/kindergartens/new",
        f"/console/orgs/kindergartens/{kg.id}",
        f"/console/orgs/kindergartens/{kg.id}/invitations",
        f"/console/orgs/invitations/{invitation.id}/revoke",
        "/console/orgs/pairings/new",
        f"/console/orgs/pairings/{pairing.id}",
        f"/console/orgs/kindergartens/{kg.id}/roster/check",
        f"/console/orgs/kindergartens/{kg.id}/roster/import",
    ]
    for path in paths:
        resp = await browser.post(path, data={"name": "越权", "region_id": kg.region_id})
        assert resp.status_code == 403 and EXPIRED in resp.text, path
    await invitation.refresh_from_db()
    assert not invitation.revoked and not await Alliance.exists(name="越权")


async def test_the_roster_dry_run_names_bad_rows_and_the_import_creates_the_teachers(browser):
    kg = await make_kindergarten()
    _, login = await console_person("director", scope_id=kg.id)
    await password_login(browser, login)
    base = f"/console/orgs/kindergartens/{kg.id}/roster"
    page = await browser.get(base)
    assert page.status_code == 200 and "下载导入模板" in page.text
    template = await browser.get(f"{base}/template.xlsx")
    assert template.status_code == 200
    assert {"教师", "幼儿"} <= set(
        load_workbook(__import__("io").BytesIO(template.content)).sheetnames
    )
    token = await page_csrf(browser, base)
    bad = workbook([["张丽", "12345"], ["李芳", "13912345678"]])
    checked = await browser.post(
        f"{base}/check", data={"csrf_token": token}, files={"file": ("花名册.xlsx", bad, XLSX)}
    )
    assert checked.status_code == 200, checked.text
    assert 'id="roster-issues"' in checked.text and "手机号" in checked.text
    assert "修改前不会导入任何数据" in checked.text
    refused = await browser.post(
        f"{base}/import", data={"csrf_token": token}, files={"file": ("花名册.xlsx", bad, XLSX)}
    )
    assert refused.status_code == 200 and "未开始导入" in refused.text
    assert not await Teacher.exists(kindergarten_id=kg.id)
    good = workbook(GOOD_TEACHERS)
    ok = await browser.post(
        f"{base}/check", data={"csrf_token": token}, files={"file": ("花名册.xlsx", good, XLSX)}
    )
    assert "检查通过" in ok.text and not await Teacher.exists(kindergarten_id=kg.id)
    started = await browser.post(
        f"{base}/import", data={"csrf_token": token}, files={"file": ("花名册.xlsx", good, XLSX)}
    )
    assert started.status_code == 303, started.text
    job_page = started.headers["location"].split("?")[0]
    for _ in range(200):
        shown = await browser.get(job_page)
        if "已完成" in shown.text or "失败" in shown.text:
            break
        await asyncio.sleep(0.05)
    assert shown.status_code == 200 and "已完成" in shown.text and "导入完成" in shown.text
    assert await Teacher.filter(kindergarten_id=kg.id).count() == 3
