"""The summary endpoints: latest, by id and period, the chart; role and scope checked."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.reports.jobs import send_weekly_summaries
from server.reports.models import Summary
from server.reports.summary_render import CHART_SIZE
from tests.orgs.asserts import ok, refused
from tests.reports.summary_world import MONDAY_RUN, WEEK, make_county
from tests.support.factories import login_as

BASE = "/api/v1/reports/summaries"


async def _run() -> None:
    """The Monday job, after the test's leaders exist (it makes their scopes' summaries)."""
    await send_weekly_summaries(at=MONDAY_RUN)


async def test_leader_reads_the_latest_summary_of_his_region_and_its_chart(client):
    county = await make_county()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=county.w.region.id)
    await login_as(client, "leader", scope_kind="alliance", scope_id=county.w.alliance.id)
    await _run()
    latest = ok(await client.get(f"{BASE}/latest", headers=leader.headers))
    assert latest["period"] == WEEK and latest["scope"]["id"] == county.w.region.id
    assert latest["happened"]["checkins"] == 3 and latest["alerts"]["pairings"] == 1
    same = ok(await client.get(f"{BASE}/{latest['id']}", headers=leader.headers))
    assert same == latest
    chart = await client.get(f"{BASE}/{latest['id']}/chart.png", headers=leader.headers)
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(chart.content)).size == CHART_SIZE
    # By period; the alliance of his region is his to read too.
    listed = ok(await client.get(f"{BASE}?period={WEEK}", headers=leader.headers))
    assert {(i["scope"]["kind"], i["scope"]["id"]) for i in listed["items"]} == {
        ("region", county.w.region.id),
        ("alliance", county.w.alliance.id),
    }
    alliance = ok(
        await client.get(
            f"{BASE}/latest?scope=alliance:{county.w.alliance.id}", headers=leader.headers
        )
    )
    assert alliance["scope"]["kind"] == "alliance"


async def test_a_leader_of_another_region_sees_nothing_of_this_one(client):
    county = await make_county()
    await login_as(client, "leader", scope_kind="region", scope_id=county.w.region.id)
    stranger = await login_as(
        client, "leader", scope_kind="region", scope_id=county.other.region.id
    )
    alliance_leader = await login_as(
        client, "leader", scope_kind="alliance", scope_id=county.w.alliance.id
    )
    await _run()
    mine = await Summary.get(scope_kind="region", scope_id=county.w.region.id)
    city = await Summary.get(scope_kind="city", scope_id=0)
    for path in (f"{BASE}/{mine.id}", f"{BASE}/{mine.id}/chart.png", f"{BASE}/{city.id}"):
        refused(await client.get(path, headers=stranger.headers), 404, "not_found")
    refused(
        await client.get(
            f"{BASE}/latest?scope=region:{county.w.region.id}", headers=stranger.headers
        ),
        404,
        "not_found",
    )
    listed = ok(await client.get(BASE, headers=stranger.headers))
    assert [i["scope"]["id"] for i in listed["items"]] == [county.other.region.id]
    # An alliance leader reads his alliance only, not the region around it.
    refused(await client.get(f"{BASE}/{mine.id}", headers=alliance_leader.headers), 404)
    latest = ok(await client.get(f"{BASE}/latest", headers=alliance_leader.headers))
    assert latest["scope"] == {
        "kind": "alliance",
        "id": county.w.alliance.id,
        "name": county.w.alliance.name,
    }


async def test_admin_reads_the_city(client):
    await make_county()
    admin = await login_as(client, "admin")
    await _run()
    latest = ok(await client.get(f"{BASE}/latest", headers=admin.headers))
    assert latest["scope"]["kind"] == "city" and latest["happened"]["activities"] == 4


async def test_latest_is_made_on_demand_when_none_exists(client):
    county = await make_county()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=county.w.region.id)
    latest = ok(await client.get(f"{BASE}/latest", headers=leader.headers))
    # Last week as of today: the county's June figures are long past, the summary is empty.
    assert latest["kind"] == "weekly" and latest["period"] != WEEK
    assert latest["happened"]["activities"] == 0 and await Summary.all().count() == 1
    again = ok(await client.get(f"{BASE}/latest", headers=leader.headers))
    assert again["id"] == latest["id"]


@pytest.mark.parametrize("role", ["teacher", "organizer", "director"])
async def test_staff_are_refused(client, role):
    county = await make_county()
    await login_as(client, "leader", scope_kind="region", scope_id=county.w.region.id)
    await _run()
    summary = await Summary.get(scope_kind="region", scope_id=county.w.region.id)
    who = await login_as(client, role, scope_id=county.w.supported.id)
    for path in (BASE, f"{BASE}/latest", f"{BASE}/{summary.id}", f"{BASE}/{summary.id}/chart.png"):
        refused(await client.get(path, headers=who.headers), 403)
    refused(await client.get(f"{BASE}/latest"), 401)


async def test_bad_scope_and_kind_are_refused_in_chinese(client):
    county = await make_county()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=county.w.region.id)
    refused(await client.get(f"{BASE}/latest?scope=county:1", headers=leader.headers), 400)
    refused(await client.get(f"{BASE}?kind=daily", headers=leader.headers), 400)
    refused(await client.get(f"{BASE}/999999", headers=leader.headers), 404, "not_found")
