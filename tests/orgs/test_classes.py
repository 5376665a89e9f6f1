"""Classes (班级): run by the kindergarten's director, sized for leaders."""

from __future__ import annotations

import pytest

from server.orgs.models import SchoolClass
from tests.orgs.asserts import ok, refused
from tests.support.factories import (
    login_as,
    make_child,
    make_class,
    make_kindergarten,
    make_region,
)


async def test_director_opens_renames_and_closes_a_class(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    made = ok(
        await client.post(
            f"/api/v1/kindergartens/{kg.id}/classes",
            json={"name": "大一班", "grade": "大班"},
            headers=director.headers,
        ),
        201,
    )
    assert made == {
        "id": made["id"],
        "kindergarten_id": kg.id,
        "name": "大一班",
        "grade": "大班",
        "children_count": 0,
    }
    edited = ok(
        await client.patch(
            f"/api/v1/classes/{made['id']}",
            json={"name": "大二班", "grade": "混龄班"},
            headers=director.headers,
        )
    )
    assert (edited["name"], edited["grade"]) == ("大二班", "混龄班")
    ok(await client.delete(f"/api/v1/classes/{made['id']}", headers=director.headers))
    assert not await SchoolClass.exists(id=made["id"])
    refused(await client.delete(f"/api/v1/classes/{made['id']}", headers=director.headers), 404)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "小一班", "grade": "学前班"}, "invalid_grade"),
        ({"name": "", "grade": "小班"}, "invalid_name"),
        ({"name": "班" * 33, "grade": "小班"}, "invalid_name"),
        ({"name": "小一班"}, "invalid_input"),
    ],
)
async def test_class_input_is_checked(client, body, code):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    refused(
        await client.post(
            f"/api/v1/kindergartens/{kg.id}/classes", json=body, headers=director.headers
        ),
        400,
        code,
    )


async def test_class_name_is_unique_per_kindergarten(client):
    kg, other = await make_kindergarten(), await make_kindergarten()
    await make_class(kg, name="小一班")
    second = await make_class(kg, name="小二班")
    admin = await login_as(client, "admin")
    refused(
        await client.post(
            f"/api/v1/kindergartens/{kg.id}/classes",
            json={"name": "小一班", "grade": "小班"},
            headers=admin.headers,
        ),
        409,
        "duplicate",
    )
    refused(
        await client.patch(
            f"/api/v1/classes/{second.id}", json={"name": "小一班"}, headers=admin.headers
        ),
        409,
        "duplicate",
    )
    ok(
        await client.post(
            f"/api/v1/kindergartens/{other.id}/classes",
            json={"name": "小一班", "grade": "小班"},
            headers=admin.headers,
        ),
        201,
    )


async def test_teacher_cannot_create_classes(client):
    kg = await make_kindergarten()
    teacher = await login_as(client, "teacher", scope_id=kg.id)
    refused(
        await client.post(
            f"/api/v1/kindergartens/{kg.id}/classes",
            json={"name": "小一班", "grade": "小班"},
            headers=teacher.headers,
        ),
        403,
        "forbidden",
    )


async def test_director_of_a_cannot_manage_classes_of_b(client):
    a, b = await make_kindergarten(), await make_kindergarten()
    b_class = await make_class(b)
    director = await login_as(client, "director", scope_id=a.id)
    refused(
        await client.post(
            f"/api/v1/kindergartens/{b.id}/classes",
            json={"name": "小一班", "grade": "小班"},
            headers=director.headers,
        ),
        404,
        "not_found",
    )
    refused(
        await client.patch(
            f"/api/v1/classes/{b_class.id}", json={"name": "x"}, headers=director.headers
        ),
        404,
        "not_found",
    )
    refused(
        await client.delete(f"/api/v1/classes/{b_class.id}", headers=director.headers),
        404,
        "not_found",
    )
    refused(
        await client.get(f"/api/v1/kindergartens/{b.id}/classes", headers=director.headers),
        404,
        "not_found",
    )
    refused(
        await client.post(
            "/api/v1/kindergartens/9999/classes",
            json={"name": "小一班", "grade": "小班"},
            headers=director.headers,
        ),
        404,
        "not_found",
    )


async def test_class_with_children_is_not_deleted(client):
    kg = await make_kindergarten()
    school_class = await make_class(kg)
    await make_child(school_class)
    director = await login_as(client, "director", scope_id=kg.id)
    refused(
        await client.delete(f"/api/v1/classes/{school_class.id}", headers=director.headers),
        409,
        "class_not_empty",
    )


async def test_staff_and_leaders_list_classes_with_sizes(client):
    region = await make_region()
    kg = await make_kindergarten(region)
    small, large = await make_class(kg, name="小一班"), await make_class(kg, name="大一班")
    for _ in range(3):
        await make_child(small)
    teacher = await login_as(client, "teacher", scope_id=kg.id)
    page = ok(await client.get(f"/api/v1/kindergartens/{kg.id}/classes", headers=teacher.headers))
    assert page["total"] == 2
    assert {c["id"]: c["children_count"] for c in page["items"]} == {small.id: 3, large.id: 0}
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    page = ok(
        await client.get(f"/api/v1/kindergartens/{kg.id}/classes?limit=1", headers=leader.headers)
    )
    assert page["total"] == 2 and len(page["items"]) == 1
    detail = ok(await client.get(f"/api/v1/classes/{small.id}", headers=leader.headers))
    assert detail["children_count"] == 3
    other_leader = await login_as(
        client, "leader", scope_kind="region", scope_id=(await make_region()).id
    )
    refused(
        await client.get(f"/api/v1/kindergartens/{kg.id}/classes", headers=other_leader.headers),
        404,
        "not_found",
    )
    refused(await client.get("/api/v1/classes/9999", headers=teacher.headers), 404)


async def test_parent_cannot_list_classes(client):
    kg = await make_kindergarten()
    child = await make_child(await make_class(kg))
    parent = await login_as(client, "parent", scope_kind="child", scope_id=child.id)
    refused(
        await client.get(f"/api/v1/kindergartens/{kg.id}/classes", headers=parent.headers),
        403,
        "forbidden",
    )
