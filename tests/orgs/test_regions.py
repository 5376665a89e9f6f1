"""Regions (教育局): admins keep them, leaders see their own."""

from __future__ import annotations

from tests.orgs.asserts import ok, refused
from tests.support.factories import login_as, make_alliance, make_kindergarten, make_region


async def test_admin_creates_lists_and_renames_regions(client):
    admin = await login_as(client, "admin")
    made = ok(
        await client.post(
            "/api/v1/regions",
            json={"name": "浏阳市", "bureau_name": "浏阳市教育局"},
            headers=admin.headers,
        ),
        201,
    )
    assert made["name"] == "浏阳市"
    page = ok(await client.get("/api/v1/regions", headers=admin.headers))
    assert page["total"] == 1 and page["items"][0]["bureau_name"] == "浏阳市教育局"
    renamed = ok(
        await client.patch(
            f"/api/v1/regions/{made['id']}",
            json={"bureau_name": "浏阳市教科局"},
            headers=admin.headers,
        )
    )
    assert renamed == {"id": made["id"], "name": "浏阳市", "bureau_name": "浏阳市教科局"}


async def test_leader_sees_only_his_regions(client):
    mine, other = await make_region(), await make_region()
    alliance_region = await make_region()
    alliance = await make_alliance(alliance_region)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=mine.id)
    page = ok(await client.get("/api/v1/regions", headers=leader.headers))
    assert [r["id"] for r in page["items"]] == [mine.id]
    refused(await client.get(f"/api/v1/regions/{other.id}", headers=leader.headers), 404)
    alliance_leader = await login_as(client, "leader", scope_kind="alliance", scope_id=alliance.id)
    page = ok(await client.get("/api/v1/regions", headers=alliance_leader.headers))
    assert [r["id"] for r in page["items"]] == [alliance_region.id]


async def test_region_list_paginates(client):
    admin = await login_as(client, "admin")
    for _ in range(3):
        await make_region()
    page = ok(await client.get("/api/v1/regions?limit=2&offset=1", headers=admin.headers))
    assert page["total"] == 3 and len(page["items"]) == 2
    refused(
        await client.get("/api/v1/regions?limit=201", headers=admin.headers), 400, "invalid_input"
    )


async def test_region_name_is_checked_and_unique(client):
    admin = await login_as(client, "admin")
    await make_region("长沙县")
    refused(
        await client.post("/api/v1/regions", json={"name": "  "}, headers=admin.headers),
        400,
        "invalid_name",
    )
    refused(
        await client.post("/api/v1/regions", json={"name": "县" * 65}, headers=admin.headers),
        400,
        "invalid_name",
    )
    refused(
        await client.post("/api/v1/regions", json={"name": "长沙县"}, headers=admin.headers),
        409,
        "duplicate",
    )
    refused(
        await client.post("/api/v1/regions", json={"nam": "x"}, headers=admin.headers),
        400,
        "invalid_input",
    )


async def test_only_admins_create_or_edit_regions(client):
    region = await make_region()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    refused(
        await client.post("/api/v1/regions", json={"name": "新县"}, headers=leader.headers),
        403,
        "forbidden",
    )
    refused(
        await client.patch(
            f"/api/v1/regions/{region.id}", json={"name": "改名"}, headers=leader.headers
        ),
        403,
        "forbidden",
    )
    director = await login_as(client, "director", scope_id=(await make_kindergarten(region)).id)
    refused(await client.get("/api/v1/regions", headers=director.headers), 403, "forbidden")
    refused(await client.get("/api/v1/regions"), 401, "unauthenticated")


async def test_editing_missing_region_is_not_found(client):
    admin = await login_as(client, "admin")
    refused(
        await client.patch("/api/v1/regions/999", json={"name": "无"}, headers=admin.headers),
        404,
        "not_found",
    )
