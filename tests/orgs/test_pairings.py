"""Pairings (结对): created by leaders responsible for both sides, validated by rule."""

from __future__ import annotations

import pytest

from server.orgs.models import DEFAULT_PAIRING_TARGETS, Pairing
from tests.orgs.asserts import ok, refused
from tests.support.factories import login_as, make_alliance, make_kindergarten, make_region


def new_pairing(supporting_id: int, supported_id: int, **extra) -> dict:
    return {
        "supporting_id": supporting_id,
        "supported_id": supported_id,
        "cycle_start": "2024-03-01",
        "cycle_end": "2026-03-01",
        "agreement_date": "2024-02-20",
        **extra,
    }


async def _region_with_two():
    region = await make_region()
    return region, await make_kindergarten(region), await make_kindergarten(region)


async def test_leader_pairs_two_kindergartens_with_default_targets(client):
    region, a, b = await _region_with_two()
    alliance = await make_alliance(region)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    made = ok(
        await client.post(
            "/api/v1/pairings",
            json=new_pairing(
                a.id, b.id, alliance_id=alliance.id, targets={"send_hours_per_semester": 12}
            ),
            headers=leader.headers,
        ),
        201,
    )
    assert made["supporting_name"] == a.name and made["supported_name"] == b.name
    assert made["targets"] == {**DEFAULT_PAIRING_TARGETS, "send_hours_per_semester": 12}
    assert (await Pairing.get(id=made["id"])).targets["lectures_per_semester"] == 2
    detail = ok(await client.get(f"/api/v1/pairings/{made['id']}", headers=leader.headers))
    assert detail["cycle_end"] == "2026-03-01" and detail["alliance_id"] == alliance.id


async def test_one_supporting_kindergarten_pairs_with_several(client):
    region, city_model, county = await _region_with_two()
    private = await make_kindergarten(region)
    admin = await login_as(client, "admin")
    for supported in (county, private):
        ok(
            await client.post(
                "/api/v1/pairings",
                json=new_pairing(city_model.id, supported.id),
                headers=admin.headers,
            ),
            201,
        )
    page = ok(
        await client.get(f"/api/v1/pairings?kindergarten_id={city_model.id}", headers=admin.headers)
    )
    assert page["total"] == 2


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"cycle_end": "2024-03-01"}, "invalid_cycle"),
        ({"cycle_end": "2023-03-01"}, "invalid_cycle"),
        ({"agreement_date": "2026-03-02"}, "agreement_after_cycle"),
        ({"targets": {"homework": 3}}, "unknown_target"),
        ({"targets": {"send_hours_per_semester": -1}}, "invalid_target"),
        ({"targets": {"send_hours_per_semester": 2.5}}, "invalid_target"),
        ({"targets": {"lectures_per_semester": True}}, "invalid_target"),
        ({"targets": {"excellent_lesson_rate": 1.5}}, "invalid_target"),
        ({"targets": {"qualified_lesson_rate": "100%"}}, "invalid_target"),
        ({"targets": {"visit_every_month": 1}}, "invalid_target"),
        ({"cycle_start": "2024-02-30"}, "invalid_input"),
        ({"note": "记" * 2001}, "text_too_long"),
    ],
)
async def test_pairing_rules_are_enforced(client, change, code):
    _, a, b = await _region_with_two()
    admin = await login_as(client, "admin")
    refused(
        await client.post(
            "/api/v1/pairings", json=new_pairing(a.id, b.id, **change), headers=admin.headers
        ),
        400,
        code,
    )


async def test_kindergarten_cannot_pair_with_itself(client):
    _, a, _ = await _region_with_two()
    admin = await login_as(client, "admin")
    refused(
        await client.post("/api/v1/pairings", json=new_pairing(a.id, a.id), headers=admin.headers),
        400,
        "same_kindergarten",
    )


async def test_same_pairing_twice_is_a_duplicate(client):
    _, a, b = await _region_with_two()
    admin = await login_as(client, "admin")
    ok(
        await client.post("/api/v1/pairings", json=new_pairing(a.id, b.id), headers=admin.headers),
        201,
    )
    refused(
        await client.post("/api/v1/pairings", json=new_pairing(a.id, b.id), headers=admin.headers),
        409,
        "duplicate",
    )


async def test_pairing_with_missing_kindergarten_is_not_found(client):
    _, a, _ = await _region_with_two()
    admin = await login_as(client, "admin")
    refused(
        await client.post("/api/v1/pairings", json=new_pairing(a.id, 9999), headers=admin.headers),
        404,
        "not_found",
    )
    refused(await client.get("/api/v1/pairings/9999", headers=admin.headers), 404, "not_found")


async def test_leader_of_region_x_cannot_pair_in_region_y(client):
    x = await make_region()
    _, c, d = await _region_with_two()
    own = await make_kindergarten(x)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=x.id)
    refused(
        await client.post("/api/v1/pairings", json=new_pairing(c.id, d.id), headers=leader.headers),
        403,
        "forbidden",
    )
    # Across the border (one side his, one not) is refused too.
    refused(
        await client.post(
            "/api/v1/pairings", json=new_pairing(own.id, d.id), headers=leader.headers
        ),
        403,
        "forbidden",
    )
    director = await login_as(client, "director", scope_id=c.id)
    refused(
        await client.post(
            "/api/v1/pairings", json=new_pairing(c.id, d.id), headers=director.headers
        ),
        403,
        "forbidden",
    )


async def test_list_shows_pairings_of_visible_kindergartens_with_filters(client):
    region, a, b = await _region_with_two()
    alliance = await make_alliance(region)
    c = await make_kindergarten(region)
    _, far1, far2 = await _region_with_two()
    p1 = await Pairing.create(
        supporting=a,
        supported=b,
        alliance=alliance,
        cycle_start="2022-03-01",
        cycle_end="2024-03-01",
    )
    p2 = await Pairing.create(
        supporting=a, supported=c, cycle_start="2024-03-01", cycle_end="2026-03-01"
    )
    await Pairing.create(
        supporting=far1, supported=far2, cycle_start="2024-03-01", cycle_end="2026-03-01"
    )
    teacher = await login_as(client, "teacher", scope_id=b.id)
    page = ok(await client.get("/api/v1/pairings", headers=teacher.headers))
    assert {p["id"] for p in page["items"]} == {p1.id, p2.id}
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    page = ok(await client.get("/api/v1/pairings?active_on=2025-01-01", headers=leader.headers))
    assert [p["id"] for p in page["items"]] == [p2.id]
    page = ok(
        await client.get(f"/api/v1/pairings?alliance_id={alliance.id}", headers=leader.headers)
    )
    assert [p["id"] for p in page["items"]] == [p1.id]
    page = ok(await client.get("/api/v1/pairings?limit=1", headers=leader.headers))
    assert page["total"] == 2 and len(page["items"]) == 1
    refused(
        await client.get("/api/v1/pairings?active_on=someday", headers=leader.headers),
        400,
        "invalid_input",
    )
    refused(
        await client.get(
            f"/api/v1/pairings/{p1.id}",
            headers=(await login_as(client, "teacher", scope_id=far1.id)).headers,
        ),
        404,
        "not_found",
    )


async def test_parent_cannot_list_pairings(client):
    _, a, _ = await _region_with_two()
    parent = await login_as(client, "parent", scope_kind="child", scope_id=1)
    refused(await client.get("/api/v1/pairings", headers=parent.headers), 403, "forbidden")


async def test_leader_edits_targets_and_dates(client):
    region, a, b = await _region_with_two()
    pairing = await Pairing.create(
        supporting=a,
        supported=b,
        cycle_start="2024-03-01",
        cycle_end="2026-03-01",
        targets={**DEFAULT_PAIRING_TARGETS, "papers_per_year": 2},
    )
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    edited = ok(
        await client.patch(
            f"/api/v1/pairings/{pairing.id}",
            json={
                "targets": {"excellent_lesson_rate": 0.4},
                "cycle_end": "2026-07-01",
                "note": "第二轮",
            },
            headers=leader.headers,
        )
    )
    assert edited["targets"]["excellent_lesson_rate"] == 0.4
    assert edited["targets"]["papers_per_year"] == 2  # earlier edits stay
    assert edited["cycle_end"] == "2026-07-01" and edited["note"] == "第二轮"
    refused(
        await client.patch(
            f"/api/v1/pairings/{pairing.id}",
            json={"cycle_start": "2027-01-01"},
            headers=leader.headers,
        ),
        400,
        "invalid_cycle",
    )
    refused(
        await client.patch(
            f"/api/v1/pairings/{pairing.id}",
            json={"agreement_date": "2027-01-01"},
            headers=leader.headers,
        ),
        400,
        "agreement_after_cycle",
    )
    refused(
        await client.patch(
            f"/api/v1/pairings/{pairing.id}", json={"supporting_id": b.id}, headers=leader.headers
        ),
        400,
        "invalid_input",
    )


async def test_leader_elsewhere_cannot_edit_or_delete_pairing(client):
    _, a, b = await _region_with_two()
    pairing = await Pairing.create(
        supporting=a, supported=b, cycle_start="2024-03-01", cycle_end="2026-03-01"
    )
    other = await make_region()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=other.id)
    refused(
        await client.patch(
            f"/api/v1/pairings/{pairing.id}", json={"note": "x"}, headers=leader.headers
        ),
        404,
    )
    refused(await client.delete(f"/api/v1/pairings/{pairing.id}", headers=leader.headers), 404)
    teacher = await login_as(client, "director", scope_id=a.id)
    refused(
        await client.patch(
            f"/api/v1/pairings/{pairing.id}", json={"note": "x"}, headers=teacher.headers
        ),
        403,
        "forbidden",
    )


async def test_alliance_leader_with_only_one_side_cannot_edit(client):
    region, a, b = await _region_with_two()
    alliance = await make_alliance(region)
    a.alliance = alliance
    await a.save()
    pairing = await Pairing.create(
        supporting=a, supported=b, cycle_start="2024-03-01", cycle_end="2026-03-01"
    )
    leader = await login_as(client, "leader", scope_kind="alliance", scope_id=alliance.id)
    ok(await client.get(f"/api/v1/pairings/{pairing.id}", headers=leader.headers))
    refused(
        await client.delete(f"/api/v1/pairings/{pairing.id}", headers=leader.headers),
        403,
        "forbidden",
    )


async def test_admin_deletes_pairing(client):
    _, a, b = await _region_with_two()
    pairing = await Pairing.create(
        supporting=a, supported=b, cycle_start="2024-03-01", cycle_end="2026-03-01"
    )
    admin = await login_as(client, "admin")
    ok(await client.delete(f"/api/v1/pairings/{pairing.id}", headers=admin.headers))
    assert not await Pairing.exists(id=pairing.id)
    refused(await client.delete(f"/api/v1/pairings/{pairing.id}", headers=admin.headers), 404)
