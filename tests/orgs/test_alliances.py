"""Alliances (联盟): founded by admins or the region's leaders, led by a member."""

from __future__ import annotations

from server.orgs.models import Alliance, Pairing
from tests.orgs.asserts import ok, refused
from tests.support.factories import login_as, make_alliance, make_kindergarten, make_region


async def test_region_leader_founds_alliance_and_picks_a_member_as_lead(client):
    region = await make_region()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    made = ok(
        await client.post(
            "/api/v1/alliances",
            json={"name": "城东学前教育联盟", "region_id": region.id},
            headers=leader.headers,
        ),
        201,
    )
    assert made["members"] == [] and made["lead"] is None
    alliance = await Alliance.get(id=made["id"])
    head = await make_kindergarten(region, alliance=alliance, name="县直机关幼儿园")
    await make_kindergarten(region, alliance=alliance)
    edited = ok(
        await client.patch(
            f"/api/v1/alliances/{alliance.id}", json={"lead_id": head.id}, headers=leader.headers
        )
    )
    assert edited["lead"]["name"] == "县直机关幼儿园"
    assert len(edited["members"]) == 2
    assert [m["is_lead"] for m in edited["members"]] == [True, False]


async def test_lead_must_be_a_member(client):
    region = await make_region()
    alliance = await make_alliance(region)
    outsider = await make_kindergarten(region)
    admin = await login_as(client, "admin")
    refused(
        await client.patch(
            f"/api/v1/alliances/{alliance.id}", json={"lead_id": outsider.id}, headers=admin.headers
        ),
        400,
        "lead_not_member",
    )


async def test_alliance_name_checked_and_unique_per_region(client):
    region = await make_region()
    await make_alliance(region, name="一联盟")
    admin = await login_as(client, "admin")
    refused(
        await client.post(
            "/api/v1/alliances",
            json={"name": "一联盟", "region_id": region.id},
            headers=admin.headers,
        ),
        409,
        "duplicate",
    )
    refused(
        await client.post(
            "/api/v1/alliances", json={"name": "", "region_id": region.id}, headers=admin.headers
        ),
        400,
        "invalid_name",
    )
    refused(
        await client.post(
            "/api/v1/alliances", json={"name": "新联盟", "region_id": 999}, headers=admin.headers
        ),
        404,
        "not_found",
    )
    other = await make_region()
    ok(
        await client.post(
            "/api/v1/alliances",
            json={"name": "一联盟", "region_id": other.id},
            headers=admin.headers,
        ),
        201,
    )


async def test_leader_cannot_found_alliance_in_another_region(client):
    mine, other = await make_region(), await make_region()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=mine.id)
    refused(
        await client.post(
            "/api/v1/alliances",
            json={"name": "越界联盟", "region_id": other.id},
            headers=leader.headers,
        ),
        403,
        "forbidden",
    )


async def test_alliance_list_and_detail_follow_visibility(client):
    region, far = await make_region(), await make_region()
    alliance = await make_alliance(region)
    hidden = await make_alliance(far)
    kg = await make_kindergarten(region, alliance=alliance)
    teacher = await login_as(client, "teacher", scope_id=kg.id)
    page = ok(await client.get("/api/v1/alliances", headers=teacher.headers))
    assert [a["id"] for a in page["items"]] == [alliance.id] and page["total"] == 1
    detail = ok(await client.get(f"/api/v1/alliances/{alliance.id}", headers=teacher.headers))
    assert detail["members"][0]["id"] == kg.id
    refused(await client.get(f"/api/v1/alliances/{hidden.id}", headers=teacher.headers), 404)
    admin = await login_as(client, "admin")
    page = ok(await client.get(f"/api/v1/alliances?region_id={far.id}", headers=admin.headers))
    assert [a["id"] for a in page["items"]] == [hidden.id]


async def test_director_cannot_edit_alliance_of_her_kindergarten(client):
    region = await make_region()
    alliance = await make_alliance(region)
    kg = await make_kindergarten(region, alliance=alliance)
    director = await login_as(client, "director", scope_id=kg.id)
    refused(
        await client.patch(
            f"/api/v1/alliances/{alliance.id}", json={"name": "改名"}, headers=director.headers
        ),
        403,
        "forbidden",
    )


async def test_alliance_leader_renames_his_alliance_only(client):
    region = await make_region()
    mine, other = await make_alliance(region), await make_alliance(region)
    leader = await login_as(client, "leader", scope_kind="alliance", scope_id=mine.id)
    renamed = ok(
        await client.patch(
            f"/api/v1/alliances/{mine.id}", json={"name": "新名字"}, headers=leader.headers
        )
    )
    assert renamed["name"] == "新名字"
    refused(
        await client.patch(
            f"/api/v1/alliances/{other.id}", json={"name": "别人的"}, headers=leader.headers
        ),
        404,
    )


async def test_delete_refuses_alliance_with_members_or_pairings(client):
    region = await make_region()
    alliance = await make_alliance(region)
    kg = await make_kindergarten(region, alliance=alliance)
    admin = await login_as(client, "admin")
    body = refused(
        await client.delete(f"/api/v1/alliances/{alliance.id}", headers=admin.headers),
        409,
        "alliance_not_empty",
    )
    assert "成员园" in body["message"]
    kg.alliance = None
    await kg.save()
    a, b = await make_kindergarten(region), await make_kindergarten(region)
    await Pairing.create(
        supporting=a,
        supported=b,
        alliance=alliance,
        cycle_start="2024-03-01",
        cycle_end="2026-03-01",
    )
    refused(
        await client.delete(f"/api/v1/alliances/{alliance.id}", headers=admin.headers),
        409,
        "alliance_not_empty",
    )
    await Pairing.filter(alliance_id=alliance.id).delete()
    ok(await client.delete(f"/api/v1/alliances/{alliance.id}", headers=admin.headers))
    assert not await Alliance.exists(id=alliance.id)
    refused(await client.delete(f"/api/v1/alliances/{alliance.id}", headers=admin.headers), 404)


async def test_only_admin_deletes_alliances(client):
    region = await make_region()
    alliance = await make_alliance(region)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    refused(
        await client.delete(f"/api/v1/alliances/{alliance.id}", headers=leader.headers),
        403,
        "forbidden",
    )
