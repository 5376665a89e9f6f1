"""Kindergartens: listed within sight, created by leaders, edited within limits."""

from __future__ import annotations

import pytest

from server.orgs.models import Alliance, Kindergarten, KindergartenLevel, Pairing
from tests.orgs.asserts import ok, refused
from tests.support.factories import (
    login_as,
    make_alliance,
    make_class,
    make_kindergarten,
    make_person,
    make_region,
)


def new_kg(region_id: int, **extra) -> dict:
    return {
        "name": "城关镇中心幼儿园",
        "level": "乡镇中心园",
        "region_id": region_id,
        "address": "城关镇人民路1号",
        "lat": 28.1,
        "lng": 113.6,
        **extra,
    }


async def test_region_leader_creates_kindergarten(client):
    region = await make_region()
    alliance = await make_alliance(region)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    made = ok(
        await client.post(
            "/api/v1/kindergartens",
            json=new_kg(region.id, alliance_id=alliance.id),
            headers=leader.headers,
        ),
        201,
    )
    assert made["level"] == "乡镇中心园" and made["alliance_id"] == alliance.id
    detail = ok(await client.get(f"/api/v1/kindergartens/{made['id']}", headers=leader.headers))
    assert detail["region_name"] == region.name and detail["alliance_name"] == alliance.name


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"lat": 91}, "invalid_coordinates"),
        ({"lat": -90.5}, "invalid_coordinates"),
        ({"lng": 181}, "invalid_coordinates"),
        ({"lng": -180.1}, "invalid_coordinates"),
        ({"level": "一级园"}, "invalid_level"),
        ({"name": ""}, "invalid_name"),
        ({"name": "园" * 65}, "invalid_name"),
        ({"address": "路" * 201}, "text_too_long"),
        ({"lat": "north"}, "invalid_input"),
    ],
)
async def test_kindergarten_input_is_checked(client, extra, code):
    region = await make_region()
    admin = await login_as(client, "admin")
    refused(
        await client.post(
            "/api/v1/kindergartens", json=new_kg(region.id, **extra), headers=admin.headers
        ),
        400,
        code,
    )


async def test_kindergarten_name_is_unique_per_region(client):
    region = await make_region()
    await make_kindergarten(region, name="城关镇中心幼儿园")
    admin = await login_as(client, "admin")
    refused(
        await client.post("/api/v1/kindergartens", json=new_kg(region.id), headers=admin.headers),
        409,
        "duplicate",
    )
    other = await make_region()
    ok(
        await client.post("/api/v1/kindergartens", json=new_kg(other.id), headers=admin.headers),
        201,
    )


async def test_kindergarten_joins_only_alliances_of_its_region(client):
    region, other = await make_region(), await make_region()
    foreign = await make_alliance(other)
    admin = await login_as(client, "admin")
    refused(
        await client.post(
            "/api/v1/kindergartens",
            json=new_kg(region.id, alliance_id=foreign.id),
            headers=admin.headers,
        ),
        400,
        "alliance_region_mismatch",
    )
    refused(
        await client.post(
            "/api/v1/kindergartens", json=new_kg(region.id, alliance_id=999), headers=admin.headers
        ),
        404,
        "not_found",
    )
    refused(
        await client.post("/api/v1/kindergartens", json=new_kg(999), headers=admin.headers),
        404,
        "not_found",
    )


async def test_leader_cannot_create_kindergarten_elsewhere(client):
    mine, other = await make_region(), await make_region()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=mine.id)
    refused(
        await client.post("/api/v1/kindergartens", json=new_kg(other.id), headers=leader.headers),
        403,
        "forbidden",
    )
    director = await login_as(client, "director", scope_id=(await make_kindergarten(mine)).id)
    refused(
        await client.post("/api/v1/kindergartens", json=new_kg(mine.id), headers=director.headers),
        403,
        "forbidden",
    )


async def test_list_shows_only_visible_kindergartens_with_filters(client):
    region = await make_region()
    alliance = await make_alliance(region)
    a = await make_kindergarten(
        region, alliance=alliance, name="实验幼儿园", level=KindergartenLevel.COUNTY_MODEL
    )
    b = await make_kindergarten(region, alliance=alliance, name="东村幼儿园")
    c = await make_kindergarten(region, name="西村幼儿园")
    await make_kindergarten(name="外县幼儿园")
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    page = ok(await client.get("/api/v1/kindergartens", headers=leader.headers))
    assert page["total"] == 3
    assert {k["id"] for k in page["items"]} == {a.id, b.id, c.id}
    page = ok(
        await client.get(f"/api/v1/kindergartens?alliance_id={alliance.id}", headers=leader.headers)
    )
    assert {k["id"] for k in page["items"]} == {a.id, b.id}
    page = ok(await client.get("/api/v1/kindergartens", params={"q": "村"}, headers=leader.headers))
    assert {k["id"] for k in page["items"]} == {b.id, c.id}
    page = ok(
        await client.get(
            "/api/v1/kindergartens", params={"level": "县级示范园"}, headers=leader.headers
        )
    )
    assert [k["id"] for k in page["items"]] == [a.id]
    page = ok(await client.get("/api/v1/kindergartens?limit=1&offset=1", headers=leader.headers))
    assert page["total"] == 3 and len(page["items"]) == 1
    refused(
        await client.get("/api/v1/kindergartens", params={"level": "特级"}, headers=leader.headers),
        400,
        "invalid_level",
    )


async def test_teacher_sees_own_kindergarten_and_partners_only(client):
    region = await make_region()
    own, partner, stranger = [await make_kindergarten(region) for _ in range(3)]
    await Pairing.create(
        supporting=partner, supported=own, cycle_start="2024-03-01", cycle_end="2026-03-01"
    )
    teacher = await login_as(client, "teacher", scope_id=own.id)
    page = ok(await client.get("/api/v1/kindergartens", headers=teacher.headers))
    assert {k["id"] for k in page["items"]} == {own.id, partner.id}
    ok(await client.get(f"/api/v1/kindergartens/{partner.id}", headers=teacher.headers))
    refused(
        await client.get(f"/api/v1/kindergartens/{stranger.id}", headers=teacher.headers),
        404,
        "not_found",
    )
    refused(await client.get("/api/v1/kindergartens/9999", headers=teacher.headers), 404)


async def test_director_edits_address_and_coordinates_only(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    edited = ok(
        await client.patch(
            f"/api/v1/kindergartens/{kg.id}",
            json={"address": "新址", "lat": 27.5, "lng": 112.0},
            headers=director.headers,
        )
    )
    assert (edited["address"], edited["lat"], edited["lng"]) == ("新址", 27.5, 112.0)
    for change in ({"level": "省级示范园"}, {"region_id": kg.region_id}, {"alliance_id": None}):
        body = refused(
            await client.patch(
                f"/api/v1/kindergartens/{kg.id}", json=change, headers=director.headers
            ),
            403,
            "field_not_editable",
        )
        assert "地址" in body["message"]
    refused(
        await client.patch(
            f"/api/v1/kindergartens/{kg.id}", json={"lat": 100}, headers=director.headers
        ),
        400,
        "invalid_coordinates",
    )


async def test_director_of_a_cannot_edit_b(client):
    region = await make_region()
    a, b = await make_kindergarten(region), await make_kindergarten(region)
    director = await login_as(client, "director", scope_id=a.id)
    refused(
        await client.patch(
            f"/api/v1/kindergartens/{b.id}", json={"address": "x"}, headers=director.headers
        ),
        404,
        "not_found",
    )
    refused(
        await client.patch(
            "/api/v1/kindergartens/9999", json={"address": "x"}, headers=director.headers
        ),
        404,
        "not_found",
    )
    teacher = await login_as(client, "teacher", scope_id=a.id)
    refused(
        await client.patch(
            f"/api/v1/kindergartens/{a.id}", json={"address": "x"}, headers=teacher.headers
        ),
        403,
        "forbidden",
    )


async def test_leader_moves_kindergarten_between_alliances(client):
    region = await make_region()
    first, second = await make_alliance(region), await make_alliance(region)
    kg = await make_kindergarten(region, alliance=first, name="老园")
    first.lead_id = kg.id
    await first.save()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    edited = ok(
        await client.patch(
            f"/api/v1/kindergartens/{kg.id}",
            json={"alliance_id": second.id, "level": "市级示范园", "name": "新园"},
            headers=leader.headers,
        )
    )
    assert edited["alliance_id"] == second.id and edited["level"] == "市级示范园"
    assert (await Alliance.get(id=first.id)).lead_id is None
    await make_kindergarten(region, name="重名园")
    refused(
        await client.patch(
            f"/api/v1/kindergartens/{kg.id}", json={"name": "重名园"}, headers=leader.headers
        ),
        409,
        "duplicate",
    )


async def test_leader_cannot_move_kindergarten_into_foreign_region(client):
    region, other = await make_region(), await make_region()
    kg = await make_kindergarten(region)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    refused(
        await client.patch(
            f"/api/v1/kindergartens/{kg.id}", json={"region_id": other.id}, headers=leader.headers
        ),
        403,
        "forbidden",
    )
    admin = await login_as(client, "admin")
    moved = ok(
        await client.patch(
            f"/api/v1/kindergartens/{kg.id}", json={"region_id": other.id}, headers=admin.headers
        )
    )
    assert moved["region_id"] == other.id


async def test_admin_deletes_only_empty_kindergartens(client):
    region = await make_region()
    kg, partner = await make_kindergarten(region), await make_kindergarten(region)
    admin = await login_as(client, "admin")
    school_class = await make_class(kg)
    refused(
        await client.delete(f"/api/v1/kindergartens/{kg.id}", headers=admin.headers),
        409,
        "kindergarten_not_empty",
    )
    await school_class.delete()
    teacher = await make_person(teacher_of=kg)
    refused(
        await client.delete(f"/api/v1/kindergartens/{kg.id}", headers=admin.headers),
        409,
        "kindergarten_not_empty",
    )
    await teacher.staff_roles.all().delete()
    pairing = await Pairing.create(
        supporting=partner, supported=kg, cycle_start="2024-03-01", cycle_end="2026-03-01"
    )
    refused(
        await client.delete(f"/api/v1/kindergartens/{kg.id}", headers=admin.headers),
        409,
        "kindergarten_not_empty",
    )
    await pairing.delete()
    ok(await client.delete(f"/api/v1/kindergartens/{kg.id}", headers=admin.headers))
    assert not await Kindergarten.exists(id=kg.id)
    refused(await client.delete(f"/api/v1/kindergartens/{kg.id}", headers=admin.headers), 404)


async def test_leader_cannot_delete_kindergarten(client):
    region = await make_region()
    kg = await make_kindergarten(region)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    refused(
        await client.delete(f"/api/v1/kindergartens/{kg.id}", headers=leader.headers),
        403,
        "forbidden",
    )
