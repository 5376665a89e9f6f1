"""Region, alliance, kindergarten and class ids in orgs bodies: another region's id is
answered exactly as an id that does not exist (ids are sequential; no enumeration)."""

from __future__ import annotations

from server.orgs.models import Alliance, Kindergarten, Pairing, Region, SchoolClass
from tests.orgs.asserts import ok
from tests.support.factories import (
    login_as,
    make_alliance,
    make_child,
    make_class,
    make_kindergarten,
    make_region,
)


async def _missing(model) -> int:
    last = await model.all().order_by("-id").first()
    return (last.id if last else 0) + 10_000


def _same(foreign, unknown) -> dict:
    """Both refused, with the same status and the same JSON."""
    assert foreign.status_code in (400, 403, 404), foreign.text
    assert (unknown.status_code, unknown.json()) == (foreign.status_code, foreign.json())
    return foreign.json()


def _kg(region_id: int, **extra) -> dict:
    return {"name": "城关镇中心幼儿园", "level": "乡镇中心园", "region_id": region_id, **extra}


def _pairing(supporting_id: int, supported_id: int, **extra) -> dict:
    return {
        "supporting_id": supporting_id,
        "supported_id": supported_id,
        "cycle_start": "2024-03-01",
        "cycle_end": "2026-03-01",
        **extra,
    }


async def _leader_and_foreign(client):
    mine, theirs = await make_region(), await make_region()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=mine.id)
    return mine, theirs, leader


async def test_a_foreign_region_id_is_answered_as_an_unknown_one(client):
    mine, theirs, leader = await _leader_and_foreign(client)
    missing = await _missing(Region)
    h = leader.headers
    for url, make in (
        ("/api/v1/alliances", lambda rid: {"name": "新联盟", "region_id": rid}),
        ("/api/v1/kindergartens", _kg),
    ):
        foreign = await client.post(url, json=make(theirs.id), headers=h)
        unknown = await client.post(url, json=make(missing), headers=h)
        _same(foreign, unknown)
    kg = await make_kindergarten(mine)
    url = f"/api/v1/kindergartens/{kg.id}"
    foreign = await client.patch(url, json={"region_id": theirs.id}, headers=h)
    unknown = await client.patch(url, json={"region_id": missing}, headers=h)
    _same(foreign, unknown)
    assert (await Kindergarten.get(id=kg.id)).region_id == mine.id
    assert not await Alliance.filter(name="新联盟").exists()


async def test_a_foreign_alliance_id_is_answered_as_an_unknown_one(client):
    mine, theirs, leader = await _leader_and_foreign(client)
    foreign_alliance = await make_alliance(theirs)
    missing = await _missing(Alliance)
    h = leader.headers
    foreign = await client.post(
        "/api/v1/kindergartens", json=_kg(mine.id, alliance_id=foreign_alliance.id), headers=h
    )
    unknown = await client.post(
        "/api/v1/kindergartens", json=_kg(mine.id, alliance_id=missing), headers=h
    )
    _same(foreign, unknown)
    kg = await make_kindergarten(mine)
    url = f"/api/v1/kindergartens/{kg.id}"
    foreign = await client.patch(url, json={"alliance_id": foreign_alliance.id}, headers=h)
    unknown = await client.patch(url, json={"alliance_id": missing}, headers=h)
    _same(foreign, unknown)
    a, b = kg, await make_kindergarten(mine)
    foreign = await client.post(
        "/api/v1/pairings", json=_pairing(a.id, b.id, alliance_id=foreign_alliance.id), headers=h
    )
    unknown = await client.post(
        "/api/v1/pairings", json=_pairing(a.id, b.id, alliance_id=missing), headers=h
    )
    _same(foreign, unknown)
    pairing = ok(await client.post("/api/v1/pairings", json=_pairing(a.id, b.id), headers=h), 201)
    url = f"/api/v1/pairings/{pairing['id']}"
    foreign = await client.patch(url, json={"alliance_id": foreign_alliance.id}, headers=h)
    unknown = await client.patch(url, json={"alliance_id": missing}, headers=h)
    _same(foreign, unknown)
    # The leader's own alliance still works.
    own = await make_alliance(mine)
    ok(await client.patch(url, json={"alliance_id": own.id}, headers=h))
    # An alliance's lead must be its member: a foreign kindergarten is no different.
    foreign_kg = await make_kindergarten(theirs)
    url = f"/api/v1/alliances/{own.id}"
    foreign = await client.patch(url, json={"lead_id": foreign_kg.id}, headers=h)
    unknown = await client.patch(url, json={"lead_id": await _missing(Kindergarten)}, headers=h)
    _same(foreign, unknown)


async def test_a_foreign_kindergarten_in_a_pairing_is_answered_as_an_unknown_one(client):
    mine, theirs, leader = await _leader_and_foreign(client)
    own, foreign_kg = await make_kindergarten(mine), await make_kindergarten(theirs)
    missing = await _missing(Kindergarten)
    h = leader.headers
    for make in (lambda k: _pairing(own.id, k), lambda k: _pairing(k, own.id)):
        foreign = await client.post("/api/v1/pairings", json=make(foreign_kg.id), headers=h)
        unknown = await client.post("/api/v1/pairings", json=make(missing), headers=h)
        _same(foreign, unknown)
    assert not await Pairing.exists(supporting_id=own.id)


async def test_a_foreign_pairing_or_alliance_of_a_new_group_is_answered_as_an_unknown_one(client):
    mine, theirs, leader = await _leader_and_foreign(client)
    f_a, f_b = await make_kindergarten(theirs), await make_kindergarten(theirs)
    f_pairing = await Pairing.create(
        supporting=f_a, supported=f_b, cycle_start="2024-03-01", cycle_end="2026-03-01"
    )
    f_alliance = await make_alliance(theirs)
    h = leader.headers
    for field, foreign_id, missing in (
        ("pairing_id", f_pairing.id, await _missing(Pairing)),
        ("alliance_id", f_alliance.id, await _missing(Alliance)),
    ):
        foreign = await client.post(
            "/api/v1/leading-groups", json={"name": "小组", field: foreign_id}, headers=h
        )
        unknown = await client.post(
            "/api/v1/leading-groups", json={"name": "小组", field: missing}, headers=h
        )
        _same(foreign, unknown)


async def test_moving_a_child_to_a_foreign_class_is_answered_as_to_an_unknown_one(client):
    kg = await make_kindergarten()
    child = await make_child(await make_class(kg))
    director = await login_as(client, "director", scope_id=kg.id)
    foreign_class = await make_class(await make_kindergarten())
    url = f"/api/v1/children/{child.id}"
    h = director.headers
    foreign = await client.patch(url, json={"class_id": foreign_class.id}, headers=h)
    unknown = await client.patch(url, json={"class_id": await _missing(SchoolClass)}, headers=h)
    _same(foreign, unknown)
    other_class = await make_class(kg)
    moved = ok(await client.patch(url, json={"class_id": other_class.id}, headers=h))
    assert moved["class_id"] == other_class.id
