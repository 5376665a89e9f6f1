"""Console report pages: targets tables by role and scope, status colours, the period
picker, rankings, alerts and the .xlsx download."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.support.factories import make_kindergarten, make_region
from tests.support.world import make_pairing
from tests.web.console import console_person, password_login


async def test_a_director_sees_her_pairings_progress_but_no_leader_tables(browser):
    kg, other = await make_kindergarten(), await make_kindergarten()
    pairing = await make_pairing(kg, other)
    _, login = await console_person("director", scope_id=kg.id)
    await password_login(browser, login)
    page = await browser.get("/console/reports?semester=2026秋")
    assert page.status_code == 200, page.text
    assert 'href="/console/reports"' in page.text and "统计报表" in page.text
    assert f"{kg.name} → {other.name}" in page.text
    assert "0/10课时" in page.text  # 送教课时 against the default target of 10
    assert f'href="/console/orgs/pairings/{pairing.id}"' in page.text
    assert 'id="pairings"' in page.text and 'id="alliances"' not in page.text
    assert 'id="ranking"' not in page.text and "导出 Excel" not in page.text
    refused = await browser.get("/console/reports/export.xlsx")
    assert refused.status_code == 403 and "您没有权限查看此页面" in refused.text
    wrong = await browser.get("/console/reports?semester=2026冬")
    assert wrong.status_code == 400 and "学期" in wrong.text


async def test_a_leader_sees_every_level_ranked_and_downloads_the_workbook(browser):
    region = await make_region()
    kg, other = await make_kindergarten(region), await make_kindergarten(region)
    await make_pairing(kg, other)
    _, login = await console_person("leader", scope_kind="region", scope_id=region.id)
    await password_login(browser, login)
    page = await browser.get("/console/reports?year=2026")
    assert page.status_code == 200, page.text
    for section in ('id="regions"', 'id="pairings"', 'id="kindergartens"', 'id="ranking"'):
        assert section in page.text
    assert region.name in page.text and f"{kg.name} → {other.name}" in page.text
    assert 'class="badge' in page.text and "导出 Excel" in page.text
    by_pairing = await browser.get("/console/reports?semester=2026秋&by=pairing")
    assert "结对排名" in by_pairing.text
    export = await browser.get("/console/reports/export.xlsx?semester=2026秋")
    assert export.status_code == 200
    assert "attachment" in export.headers["content-disposition"]
    book = load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["结对", "联盟", "幼儿园", "教育局"]
    rows = list(book["结对"].iter_rows(values_only=True))
    assert len(rows) == 2 and kg.name in rows[1] and other.name in rows[1]


async def test_a_leader_of_another_region_sees_none_of_its_pairings(browser):
    kg, other = await make_kindergarten(), await make_kindergarten()
    await make_pairing(kg, other)
    _, login = await console_person(
        "leader", scope_kind="region", scope_id=(await make_region()).id
    )
    await password_login(browser, login)
    page = await browser.get("/console/reports")
    assert page.status_code == 200 and kg.name not in page.text
    export = await browser.get("/console/reports/export.xlsx")
    book = load_workbook(io.BytesIO(export.content))
    assert len(list(book["结对"].iter_rows(values_only=True))) == 1  # the header only


async def test_organizers_and_strangers_are_refused_the_reports(browser):
    kg = await make_kindergarten()
    anonymous = await browser.get("/console/reports")
    assert anonymous.status_code == 303 and "/console/login" in anonymous.headers["location"]
    _, login = await console_person("organizer", scope_id=kg.id)
    await password_login(browser, login)
    page = await browser.get("/console/reports")
    assert page.status_code == 403 and "您没有权限查看此页面" in page.text
    assert 'href="/console/reports"' not in (await browser.get("/console/dashboard")).text
