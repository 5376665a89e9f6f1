"""Children and guardians: names for the kindergarten's staff, one record for a parent."""

from __future__ import annotations

import pytest

from server.accounts.models import RoleGrant
from server.orgs.models import Child, Guardian, Person
from tests.orgs.asserts import ok, refused
from tests.support.factories import (
    login_as,
    make_child,
    make_class,
    make_kindergarten,
    make_person,
    make_region,
)


async def test_director_enrols_renames_moves_and_removes_a_child(client):
    kg = await make_kindergarten()
    small, middle = await make_class(kg), await make_class(kg)
    director = await login_as(client, "director", scope_id=kg.id)
    child = ok(
        await client.post(
            f"/api/v1/classes/{small.id}/children", json={"name": "小明"}, headers=director.headers
        ),
        201,
    )
    assert child["class_id"] == small.id and child["kindergarten_id"] == kg.id
    moved = ok(
        await client.patch(
            f"/api/v1/children/{child['id']}",
            json={"name": "王小明", "class_id": middle.id},
            headers=director.headers,
        )
    )
    assert (moved["name"], moved["class_id"]) == ("王小明", middle.id)
    ok(await client.delete(f"/api/v1/children/{child['id']}", headers=director.headers))
    assert not await Child.exists(id=child["id"])
    refused(await client.get(f"/api/v1/children/{child['id']}", headers=director.headers), 404)


async def test_child_input_is_checked(client):
    kg, other = await make_kindergarten(), await make_kindergarten()
    school_class = await make_class(kg)
    child = await make_child(school_class)
    director = await login_as(client, "director", scope_id=kg.id)
    refused(
        await client.post(
            f"/api/v1/classes/{school_class.id}/children",
            json={"name": " "},
            headers=director.headers,
        ),
        400,
        "invalid_name",
    )
    refused(
        await client.post(
            f"/api/v1/classes/{school_class.id}/children",
            json={"name": "名" * 33},
            headers=director.headers,
        ),
        400,
        "invalid_name",
    )
    refused(
        await client.post(
            "/api/v1/classes/9999/children", json={"name": "小红"}, headers=director.headers
        ),
        404,
        "not_found",
    )
    foreign_class = await make_class(other)
    refused(
        await client.patch(
            f"/api/v1/children/{child.id}",
            json={"class_id": foreign_class.id},
            headers=(await login_as(client, "admin")).headers,
        ),
        400,
        "class_other_kindergarten",
    )


async def test_staff_list_children_of_a_class(client):
    kg = await make_kindergarten()
    school_class = await make_class(kg)
    names = {(await make_child(school_class)).name for _ in range(3)}
    teacher = await login_as(client, "teacher", scope_id=kg.id)
    page = ok(
        await client.get(f"/api/v1/classes/{school_class.id}/children", headers=teacher.headers)
    )
    assert page["total"] == 3 and {c["name"] for c in page["items"]} == names
    page = ok(
        await client.get(
            f"/api/v1/classes/{school_class.id}/children?limit=2&offset=2", headers=teacher.headers
        )
    )
    assert page["total"] == 3 and len(page["items"]) == 1


async def test_leaders_never_get_childrens_names(client):
    region = await make_region()
    kg = await make_kindergarten(region)
    school_class = await make_class(kg)
    child = await make_child(school_class)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    for url in (
        f"/api/v1/classes/{school_class.id}/children",
        f"/api/v1/children/{child.id}",
        f"/api/v1/children/{child.id}/guardians",
    ):
        resp = await client.get(url, headers=leader.headers)
        refused(resp, 403, "forbidden")
        assert child.name not in resp.text
    classes = await client.get(f"/api/v1/kindergartens/{kg.id}/classes", headers=leader.headers)
    assert classes.status_code == 200 and child.name not in classes.text


async def test_parent_reads_own_child_only(client):
    kg = await make_kindergarten()
    school_class = await make_class(kg)
    mother = await make_person("张妈妈", phone="13900139000")
    mine = await make_child(school_class, guardian=mother)
    other = await make_child(school_class)
    parent = await login_as(client, "parent", scope_kind="child", scope_id=mine.id)
    record = ok(await client.get(f"/api/v1/children/{mine.id}", headers=parent.headers))
    assert record["name"] == mine.name and record["class_name"] == school_class.name
    assert record["guardians"][0]["relation"] == "母亲"
    assert record["guardians"][0]["phone"] == "139****9000"
    ok(await client.get(f"/api/v1/children/{mine.id}/guardians", headers=parent.headers))
    resp = await client.get(f"/api/v1/children/{other.id}", headers=parent.headers)
    refused(resp, 404, "not_found")
    assert other.name not in resp.text
    refused(
        await client.get(f"/api/v1/children/{other.id}/guardians", headers=parent.headers),
        404,
        "not_found",
    )
    refused(
        await client.get(f"/api/v1/classes/{school_class.id}/children", headers=parent.headers),
        403,
        "forbidden",
    )


async def test_staff_of_another_kindergarten_cannot_see_children(client):
    kg, other = await make_kindergarten(), await make_kindergarten()
    school_class = await make_class(kg)
    child = await make_child(school_class)
    teacher = await login_as(client, "teacher", scope_id=other.id)
    refused(
        await client.get(f"/api/v1/classes/{school_class.id}/children", headers=teacher.headers),
        404,
        "not_found",
    )
    refused(
        await client.get(f"/api/v1/children/{child.id}", headers=teacher.headers), 404, "not_found"
    )
    director = await login_as(client, "director", scope_id=other.id)
    refused(
        await client.patch(
            f"/api/v1/children/{child.id}", json={"name": "x"}, headers=director.headers
        ),
        404,
        "not_found",
    )
    refused(
        await client.delete(f"/api/v1/children/{child.id}", headers=director.headers),
        404,
        "not_found",
    )


async def test_teacher_cannot_enrol_children(client):
    kg = await make_kindergarten()
    school_class = await make_class(kg)
    teacher = await login_as(client, "teacher", scope_id=kg.id)
    refused(
        await client.post(
            f"/api/v1/classes/{school_class.id}/children",
            json={"name": "小红"},
            headers=teacher.headers,
        ),
        403,
        "forbidden",
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("(139)00139000", "13900139000"),
    ],
)
async def test_guardian_phone_is_normalised(client, typed, stored):
    kg = await make_kindergarten()
    child = await make_child(await make_class(kg))
    director = await login_as(client, "director", scope_id=kg.id)
    added = ok(
        await client.post(
            f"/api/v1/children/{child.id}/guardians",
            json={"name": "李爸爸", "phone": typed, "relation": "父亲"},
            headers=director.headers,
        ),
        201,
    )
    assert added["phone"] == stored
    assert (await Person.get(id=added["person_id"])).phone == stored


@pytest.mark.parametrize(
    "typed", ["12800138000", "1380013800", "138001380001", "电话", "+1 415 555 0100"]
)
async def test_bad_guardian_phone_is_refused(client, typed):
    kg = await make_kindergarten()
    child = await make_child(await make_class(kg))
    director = await login_as(client, "director", scope_id=kg.id)
    refused(
        await client.post(
            f"/api/v1/children/{child.id}/guardians",
            json={"name": "李爸爸", "phone": typed},
            headers=director.headers,
        ),
        400,
        "invalid_phone",
    )


async def test_guardians_listed_with_phones_masked_except_for_director(client):
    kg = await make_kindergarten()
    child = await make_child(await make_class(kg))
    director = await login_as(client, "director", scope_id=kg.id)
    ok(
        await client.post(
            f"/api/v1/children/{child.id}/guardians",
            json={"name": "赵妈妈", "phone": "13700137000", "relation": "母亲"},
            headers=director.headers,
        ),
        201,
    )
    full = ok(await client.get(f"/api/v1/children/{child.id}/guardians", headers=director.headers))
    assert full["total"] == 1 and full["items"][0]["phone"] == "13700137000"
    teacher = await login_as(client, "teacher", scope_id=kg.id)
    masked = await client.get(f"/api/v1/children/{child.id}/guardians", headers=teacher.headers)
    assert masked.json()["items"][0]["phone"] == "137****7000"
    assert "13700137000" not in masked.text


async def test_guardian_rules_and_removal(client):
    kg = await make_kindergarten()
    child = await make_child(await make_class(kg))
    director = await login_as(client, "director", scope_id=kg.id)
    url = f"/api/v1/children/{child.id}/guardians"
    refused(
        await client.post(url, json={"name": ""}, headers=director.headers), 400, "invalid_name"
    )
    refused(
        await client.post(
            url, json={"name": "奶奶", "relation": "关系" * 5}, headers=director.headers
        ),
        400,
        "invalid_name",
    )
    added = ok(
        await client.post(
            url,
            json={"name": "周奶奶", "phone": "13600136000", "relation": "祖母"},
            headers=director.headers,
        ),
        201,
    )
    refused(
        await client.post(
            url, json={"name": "周奶奶", "phone": "136 0013 6000"}, headers=director.headers
        ),
        409,
        "duplicate",
    )
    await RoleGrant.create(
        person_id=added["person_id"], role="parent", scope_kind="child", scope_id=child.id
    )
    ok(await client.delete(f"{url}/{added['id']}", headers=director.headers))
    assert not await Guardian.exists(id=added["id"])
    assert not await RoleGrant.exists(person_id=added["person_id"], role="parent")
    refused(await client.delete(f"{url}/{added['id']}", headers=director.headers), 404)
    teacher = await login_as(client, "teacher", scope_id=kg.id)
    refused(await client.post(url, json={"name": "某人"}, headers=teacher.headers), 403)


async def test_same_parent_of_two_children_is_one_person(client):
    kg = await make_kindergarten()
    school_class = await make_class(kg)
    first, second = await make_child(school_class), await make_child(school_class)
    director = await login_as(client, "director", scope_id=kg.id)
    body = {"name": "孙妈妈", "phone": "13500135000", "relation": "母亲"}
    a = ok(
        await client.post(
            f"/api/v1/children/{first.id}/guardians", json=body, headers=director.headers
        ),
        201,
    )
    b = ok(
        await client.post(
            f"/api/v1/children/{second.id}/guardians", json=body, headers=director.headers
        ),
        201,
    )
    assert a["person_id"] == b["person_id"]


async def test_deleting_child_ends_parent_access(client):
    kg = await make_kindergarten()
    mother = await make_person()
    child = await make_child(await make_class(kg), guardian=mother)
    await RoleGrant.create(person=mother, role="parent", scope_kind="child", scope_id=child.id)
    admin = await login_as(client, "admin")
    ok(await client.delete(f"/api/v1/children/{child.id}", headers=admin.headers))
    assert not await RoleGrant.exists(person_id=mother.id, scope_kind="child")
    assert not await Guardian.exists(person_id=mother.id)
