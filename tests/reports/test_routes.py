"""The report endpoints: scope per role, rankings, the .xlsx table."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from server.activities.models import ActivityKind
from tests.orgs.asserts import ok, refused
from tests.reports.helpers import REPORTS, SPRING, cn, held
from tests.support.factories import login_as, make_child, make_class
from tests.support.world import make_world

Q = f"?semester={SPRING}"


async def two_counties():
    """Two worlds; the first pairing does well, the second poorly."""
    good = await make_world(None, REPORTS)
    poor = await make_world(None, REPORTS)
    await held(
        good.supported, cn(2026, 3, 3), pairing=good.pairing, presenters=[(good.presenter, 12)]
    )
    for day in (4, 5):
        await held(
            good.supported, cn(2026, 3, day), kind=ActivityKind.LECTURE, pairing=good.pairing
        )
    await held(
        poor.supported, cn(2026, 3, 3), pairing=poor.pairing, presenters=[(poor.presenter, 2)]
    )
    return good, poor


async def test_admin_sees_every_level(client):
    good, poor = await two_counties()
    admin = await login_as(client, "admin")
    pairings = ok(await client.get(f"/api/v1/reports/pairings{Q}", headers=admin.headers))
    assert pairings["period"] == SPRING
    assert {p["pairing_id"] for p in pairings["items"]} == {good.pairing.id, poor.pairing.id}
    one = ok(
        await client.get(f"/api/v1/reports/pairings/{good.pairing.id}{Q}", headers=admin.headers)
    )
    assert one["targets"]["send_hours"]["done"] == 12
    assert one["targets"]["send_hours"]["status_label"] == "已达标"
    alliances = ok(await client.get(f"/api/v1/reports/alliances{Q}", headers=admin.headers))
    assert len(alliances["items"]) == 2
    kindergartens = ok(await client.get(f"/api/v1/reports/kindergartens{Q}", headers=admin.headers))
    assert len(kindergartens["items"]) == 4
    regions = ok(await client.get("/api/v1/reports/regions?year=2026", headers=admin.headers))
    assert regions["period"] == "2026年" and len(regions["items"]) == 2
    assert regions["total"]["targets"]["send_hours"]["done"] == 14


async def test_leader_sees_his_region_and_nothing_of_the_other(client):
    good, poor = await two_counties()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=good.region.id)
    pairings = ok(await client.get(f"/api/v1/reports/pairings{Q}", headers=leader.headers))
    assert [p["pairing_id"] for p in pairings["items"]] == [good.pairing.id]
    refused(
        await client.get(f"/api/v1/reports/pairings/{poor.pairing.id}{Q}", headers=leader.headers),
        404,
        "not_found",
    )
    regions = ok(await client.get(f"/api/v1/reports/regions{Q}", headers=leader.headers))
    assert [r["region_id"] for r in regions["items"]] == [good.region.id]
    alliances = ok(await client.get(f"/api/v1/reports/alliances{Q}", headers=leader.headers))
    assert [a["alliance_id"] for a in alliances["items"]] == [good.alliance.id]
    kgs = ok(await client.get(f"/api/v1/reports/kindergartens{Q}", headers=leader.headers))
    assert {k["kindergarten_id"] for k in kgs["items"]} == {good.supporting.id, good.supported.id}


async def test_alliance_leader_sees_no_region_figures(client):
    good, _ = await two_counties()
    leader = await login_as(client, "leader", scope_kind="alliance", scope_id=good.alliance.id)
    regions = ok(await client.get(f"/api/v1/reports/regions{Q}", headers=leader.headers))
    assert regions["items"] == []
    alliances = ok(await client.get(f"/api/v1/reports/alliances{Q}", headers=leader.headers))
    assert [a["alliance_id"] for a in alliances["items"]] == [good.alliance.id]


async def test_director_sees_her_kindergarten_and_its_pairings(client):
    good, poor = await two_counties()
    director = await login_as(client, "director", scope_id=good.supported.id)
    pairings = ok(await client.get(f"/api/v1/reports/pairings{Q}", headers=director.headers))
    assert [p["pairing_id"] for p in pairings["items"]] == [good.pairing.id]
    kgs = ok(await client.get(f"/api/v1/reports/kindergartens{Q}", headers=director.headers))
    assert [k["kindergarten_id"] for k in kgs["items"]] == [good.supported.id]
    alerts = ok(await client.get(f"/api/v1/reports/alerts{Q}", headers=director.headers))
    assert {a["pairing_id"] for a in alerts["items"]} <= {good.pairing.id}
    refused(await client.get(f"/api/v1/reports/regions{Q}", headers=director.headers), 403)
    refused(await client.get(f"/api/v1/reports/rankings{Q}", headers=director.headers), 403)


@pytest.mark.parametrize(
    "path", ["pairings", "kindergartens", "alliances", "regions", "alerts", "rankings"]
)
async def test_teachers_and_parents_are_refused(client, path):
    w = await make_world(None, REPORTS)
    teacher = await login_as(client, "teacher", scope_id=w.supported.id, teacher_of=w.supported)
    refused(await client.get(f"/api/v1/reports/{path}", headers=teacher.headers), 403)
    child = await make_child(await make_class(w.supported))
    parent = await login_as(client, "parent", scope_kind="child", scope_id=child.id)
    refused(await client.get(f"/api/v1/reports/{path}", headers=parent.headers), 403)
    refused(await client.get(f"/api/v1/reports/{path}"), 401)


async def test_bad_periods_are_refused_in_chinese(client):
    admin = await login_as(client, "admin")
    refused(
        await client.get("/api/v1/reports/pairings?semester=2026夏", headers=admin.headers),
        400,
        "invalid_semester",
    )
    refused(
        await client.get(
            "/api/v1/reports/pairings?semester=2026春&year=2026", headers=admin.headers
        ),
        400,
        "invalid_period",
    )
    refused(
        await client.get("/api/v1/reports/regions?year=26", headers=admin.headers),
        400,
        "invalid_year",
    )


async def test_rankings_order_pairings_and_alliances_by_score(client):
    good, poor = await two_counties()
    admin = await login_as(client, "admin")
    by_pairing = ok(
        await client.get(f"/api/v1/reports/rankings{Q}&by=pairing", headers=admin.headers)
    )
    assert [i["id"] for i in by_pairing["items"]] == [good.pairing.id, poor.pairing.id]
    assert [i["rank"] for i in by_pairing["items"]] == [1, 2]
    assert by_pairing["items"][0]["score"] > by_pairing["items"][1]["score"]
    by_alliance = ok(await client.get(f"/api/v1/reports/rankings{Q}", headers=admin.headers))
    assert by_alliance["by"] == "alliance"
    assert [i["id"] for i in by_alliance["items"]] == [good.alliance.id, poor.alliance.id]
    refused(await client.get(f"/api/v1/reports/rankings{Q}&by=teacher", headers=admin.headers), 400)


async def test_equal_scores_share_a_rank(client):
    first = await make_world(None, REPORTS)
    second = await make_world(None, REPORTS)
    for w in (first, second):
        await held(w.supported, cn(2026, 3, 3), pairing=w.pairing, presenters=[(w.presenter, 5)])
    admin = await login_as(client, "admin")
    ranked = ok(await client.get(f"/api/v1/reports/rankings{Q}&by=pairing", headers=admin.headers))
    assert [i["rank"] for i in ranked["items"]] == [1, 1]


async def test_export_opens_with_one_sheet_per_level(client):
    good, poor = await two_counties()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=good.region.id)
    resp = await client.get(f"/api/v1/reports/export.xlsx{Q}", headers=leader.headers)
    assert resp.status_code == 200, resp.text
    assert "spreadsheetml" in resp.headers["content-type"]
    assert "filename*=UTF-8''" in resp.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["结对", "联盟", "幼儿园", "教育局"]
    ws = wb["结对"]
    headers = [c.value for c in ws[1]]
    assert headers[:5] == ["排名", "帮扶园", "被帮扶园", "送教课时（完成）", "送教课时（目标）"]
    assert ws[1][0].font.bold
    assert ws.max_row == 2  # the other county's pairing is out of scope
    row = {h: c for h, c in zip(headers, ws[2], strict=True)}
    assert row["帮扶园"].value == good.supporting.name
    assert row["送教课时（完成）"].value == 12 and row["送教课时（目标）"].value == 10
    assert row["专题讲座（完成）"].value == 2
    assert row["完成度"].number_format == "0.0%"
    assert 0 < row["完成度"].value <= 1
    assert ws.column_dimensions["B"].width == 24
    regions = wb["教育局"]
    assert [c.value for c in regions[1]][0] == "教育局"
    assert regions.cell(row=2, column=1).value == good.region.name
    refused(
        await client.get(
            f"/api/v1/reports/export.xlsx{Q}",
            headers=(await login_as(client, "director", scope_id=good.supported.id)).headers,
        ),
        403,
    )
